import type { z } from 'zod';
import type { Step } from '../shared/core/types';
import type { expectSchema } from './simulate-scenario';

/**
 * What a simulation records per input, and the checks of a step's `expect` against it: health,
 * mode, matrix, scoped hosts, entry services, refusals. A failed check names what differed.
 */

export interface SimulationRecord {
  at: string;
  input: unknown;
  health: Record<string, string>;
  mode: 'failover' | 'distribute' | null;
  matrix: Record<string, Record<string, number>> | null;
  /** The entry services (service scopes) after this input, and where they came from; absent when the policy scopes no services. */
  entry?: { source: 'policy' | 'virtualservices'; services: string[]; from?: string[]; problem?: string | null };
  /** Hosts routed apart from the default matrix (service scopes); absent when none is. */
  scopes?: Record<string, { mode: 'failover' | 'distribute'; matrix: Record<string, Record<string, number>> }>;
  localityLBConf: unknown;
  steps: Array<Record<string, unknown>>;
  refused: Array<{ rule: string; message: string }>;
  changed: boolean;
  explain: string[];
  /** True on the record where a step's `expect` was checked (its last input). */
  checked: boolean;
  failures: string[];
}

/** What the scenario's `expect`s came to: one per step that states one. */
export interface ExpectationSummary {
  met: number;
  failed: number;
  /** `<at>: <what>` for every failed check. */
  failures: string[];
}

export function summarizeExpectations(records: readonly SimulationRecord[]): ExpectationSummary {
  const checked = records.filter((r) => r.checked);
  const failed = checked.filter((r) => r.failures.length > 0);
  return {
    met: checked.length - failed.length,
    failed: failed.length,
    failures: failed.flatMap((r) => r.failures.map((f) => `${r.at}: ${f}`)),
  };
}

export function expectationSummaryText(s: ExpectationSummary): string[] {
  if (s.met + s.failed === 0) return ['expectations: none stated in the scenario'];
  return [`expectations: ${s.met} met, ${s.failed} failed`, ...s.failures.map((f) => `  failed at ${f}`)];
}

export function stepView(s: Step): Record<string, unknown> {
  if (s.kind === 'mesh') {
    const scopes = Object.entries(s.scopes ?? {});
    return {
      kind: 'mesh',
      mode: s.config.mode,
      localityLbSetting: s.config.localityLbSetting,
      ...(scopes.length
        ? {
            scopes: Object.fromEntries(
              scopes.map(([host, r]) => [host, { mode: r.config.mode, localityLbSetting: r.config.localityLbSetting }]),
            ),
          }
        : {}),
    };
  }
  const out: Record<string, unknown> = { ...s };
  if (s.kind === 'scale' && s.notBefore !== undefined) out.notBefore = new Date(s.notBefore).toISOString();
  return out;
}

/** One matrix row as the checks compare and print it: zero shares dropped, destinations sorted. */
const rowText = (row: Record<string, number> | undefined) =>
  JSON.stringify(
    Object.fromEntries(
      Object.entries(row ?? {})
        .filter(([, v]) => v > 0)
        .sort(([a], [b]) => a.localeCompare(b)),
    ),
  );

/**
 * Per host: `default` holds when the host has no routing of its own; a matrix is compared row by
 * row with what the host's traffic follows (its own routing, else the default matrix), and a
 * mismatch names the host, the row and whether the host was on the default.
 */
function checkScopes(want: Record<string, 'default' | Record<string, Record<string, number>>>, rec: SimulationRecord): string[] {
  const failures: string[] = [];
  for (const [host, expected] of Object.entries(want)) {
    const own = rec.scopes?.[host];
    if (expected === 'default') {
      if (own)
        failures.push(
          `scopes.${host}: expected to follow the default, got its own routing (${own.mode}) ${Object.entries(own.matrix)
            .map(([src, row]) => `${src}: ${rowText(row)}`)
            .join(', ')}`,
        );
      continue;
    }
    const got = own?.matrix ?? rec.matrix ?? {};
    for (const [src, row] of Object.entries(expected)) {
      if (rowText(row) !== rowText(got[src]))
        failures.push(
          `scopes.${host}.${src}: expected ${rowText(row)}, got ${rowText(got[src])}${own ? '' : ' (the host follows the default: it has no routing of its own)'}`,
        );
    }
  }
  return failures;
}

const setText = (list: readonly string[] | undefined) => [...(list ?? [])].sort().join(', ') || '(none)';

function checkEntry(want: NonNullable<z.output<typeof expectSchema>['entry']>, rec: SimulationRecord): string[] {
  const got = rec.entry;
  if (!got) return ['entry: expected entry services, but the policy scopes no services'];
  const failures: string[] = [];
  if (want.services && setText(want.services) !== setText(got.services))
    failures.push(
      `entry.services: expected ${setText(want.services)}, got ${setText(got.services)}${got.problem ? ` (latest read not used: ${got.problem})` : ''}`,
    );
  if (want.from && setText(want.from) !== setText(got.from))
    failures.push(`entry.from: expected ${setText(want.from)}, got ${setText(got.from)}`);
  if (want.problem === null && got.problem) failures.push(`entry.problem: expected none, got "${got.problem}"`);
  if (typeof want.problem === 'string' && !(got.problem ?? '').includes(want.problem))
    failures.push(`entry.problem: expected one containing "${want.problem}", got ${got.problem ? `"${got.problem}"` : 'none'}`);
  return failures;
}

/** The failures of one step's `expect` against the record of its last input (none when it holds). */
export function checkExpect(expect: z.output<typeof expectSchema> | undefined, rec: SimulationRecord): string[] {
  if (!expect) return [];
  const failures: string[] = [];
  if (expect.mode && expect.mode !== rec.mode) failures.push(`mode: expected ${expect.mode}, got ${rec.mode}`);
  if (expect.changed !== undefined && expect.changed !== rec.changed)
    failures.push(`changed: expected ${expect.changed}, got ${rec.changed}`);
  if (expect.matrix) {
    for (const [src, row] of Object.entries(expect.matrix)) {
      const want = JSON.stringify(
        Object.fromEntries(
          Object.entries(row)
            .filter(([, v]) => v > 0)
            .sort(),
        ),
      );
      const got = JSON.stringify(Object.fromEntries(Object.entries(rec.matrix?.[src] ?? {}).sort()));
      if (want !== got) failures.push(`matrix.${src}: expected ${want}, got ${got}`);
    }
  }
  if (expect.scopes) failures.push(...checkScopes(expect.scopes, rec));
  if (expect.entry) failures.push(...checkEntry(expect.entry, rec));
  for (const [region, status] of Object.entries(expect.health ?? {})) {
    if (rec.health[region] !== status) failures.push(`health.${region}: expected ${status}, got ${rec.health[region]}`);
  }
  if (expect.refused) {
    const got = rec.refused.map((r) => r.rule).sort();
    if (JSON.stringify(got) !== JSON.stringify([...expect.refused].sort()))
      failures.push(`refused: expected ${expect.refused.join(',') || '(none)'}, got ${got.join(',') || '(none)'}`);
  }
  return failures;
}
