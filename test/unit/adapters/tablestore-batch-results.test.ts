import { TablestoreStateStore } from '../../../shared/adapters/state-tablestore';

/**
 * BatchWriteRow's row results name their table (tableName): a result is matched to the row sent
 * by table and index within that table, not by its position in the flat list.
 */
interface Write {
  table: string;
  confirmation: boolean;
  item: unknown;
}
interface Result {
  isOk: boolean;
  errorCode: string | null;
  errorMessage: string | null;
  tableName: string;
  primaryKey: null;
  attributes: null;
}
const ok = (tableName: string): Result => ({
  isOk: true,
  errorCode: null,
  errorMessage: null,
  tableName,
  primaryKey: null,
  attributes: null,
});
const condFail = (tableName: string): Result => ({
  isOk: false,
  errorCode: 'OTSConditionCheckFail',
  errorMessage: 'Condition check failed.',
  tableName,
  primaryKey: null,
  attributes: null,
});

function storeAnswering(results: Result[]) {
  const store = new TablestoreStateStore({ endpoint: 'http://127.0.0.1:1', instance: 'i', accessKeyId: 'id', accessKeySecret: 'secret' });
  const inner = store as unknown as { client: { batchWriteRow(): Promise<{ tables: Result[] }> }; writeRows(w: Write[]): Promise<void> };
  inner.client = { batchWriteRow: async () => ({ tables: results }) };
  return inner;
}

const plans = { table: 'regionshift_plans', confirmation: true, item: {} };
const events = { table: 'regionshift_events', confirmation: false, item: {} };

test("a confirmation that fails its condition is harmless even when its table's results come second", async () => {
  // Sent: plans then events; answered: events (ok) then plans (condition failed, a vanished row).
  await expect(
    storeAnswering([ok('regionshift_events'), condFail('regionshift_plans')]).writeRows([plans, events]),
  ).resolves.toBeUndefined();
});

test('a failed event write is an error naming its table, whatever the order of the results', async () => {
  await expect(storeAnswering([condFail('regionshift_events'), ok('regionshift_plans')]).writeRows([plans, events])).rejects.toThrow(
    /regionshift_events/,
  );
});

test('a result for a table that was not sent is an error, not a silent match', async () => {
  await expect(storeAnswering([ok('regionshift_plans'), ok('regionshift_keys')]).writeRows([plans, events])).rejects.toThrow(
    /regionshift_keys/,
  );
});
