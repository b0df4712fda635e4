import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startFcHost, type AsyncOutcome, type FcHost, type HandlerModule } from '../../../lab/host/fc-host';
import { SqliteStateStore } from '../../../shared/adapters/state-sqlite';
import type { Plan } from '../../../shared/core/types';
import type { FcContext } from '../../../shared/runtime/types';
import { executorHandoff, fcEndpointFor } from '../../../shared/adapters/fc-executor';
import { runtimeFactory } from '../../../shared/runtime/index';
import { FakeClock, FakeClusterScaler, FakeMeshControl } from '../../../lab/fakes';
import { meshState } from '../../contract/state-store.contract';

/**
 * The handoff to the executor as on FC 3.0: the real `@alicloud/fc20230330` SDK calls
 * InvokeFunction (async) over loopback on the local FC host, which checks its ACS3 signature.
 */
const ROLE = { accessKeyId: 'STS.HandoffKey0001', accessKeySecret: 'handoff-secret-0001', securityToken: 'sts-token-0001' };
const ROTATED = { accessKeyId: 'STS.HandoffKey0002', accessKeySecret: 'handoff-secret-0002', securityToken: 'sts-token-0002' };
const baseEnv = {
  ALIBABA_CLOUD_ACCESS_KEY_ID: ROLE.accessKeyId,
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: ROLE.accessKeySecret,
  ALIBABA_CLOUD_SECURITY_TOKEN: ROLE.securityToken,
};

describe('the FC endpoint', () => {
  test("the internal endpoint of the function's own account and region", () => {
    expect(fcEndpointFor({ accountId: '1234567890', region: 'cn-shanghai' })).toBe(
      'https://1234567890.cn-shanghai-internal.fc.aliyuncs.com',
    );
  });

  test('without account or region on the context, the handoff fails (CONFIG.FC_ENDPOINT), not the runtime', async () => {
    const handOff = executorHandoff({ functionName: 'regionshift-executor', endpoint: () => fcEndpointFor({}), credentials: () => ROLE });
    await expect(handOff('p-0')).rejects.toMatchObject({ code: 'CONFIG.FC_ENDPOINT' });
  });
});

describe('InvokeFunction through the FC 3.0 SDK, served by the local host', () => {
  let host: FcHost;
  const events: Array<{ key: string; event: unknown; context: FcContext }> = [];
  const done: AsyncOutcome[] = [];

  beforeAll(async () => {
    host = await startFcHost({
      sYamlPath: 's.yaml',
      env: baseEnv,
      log: () => undefined,
      onAsyncDone: (o) => done.push(o),
      // s.yaml's real `@every 1m` scheduler timer stays off: its tick would be one more invocation
      // in what this suite counts, and a slow run (CI, under load) lasts past a minute.
      every: () => () => undefined,
      loadHandler: async (key) =>
        ({
          handler: async (event: Buffer, context: FcContext) => (
            events.push({ key, event: JSON.parse(event.toString('utf8')), context }),
            { ok: true }
          ),
        }) as HandlerModule,
    });
  });
  afterAll(() => host.stop());
  beforeEach(() => {
    events.length = 0;
    done.length = 0;
    host.setCredentials(ROLE);
  });

  test('an async invocation is answered 202 and runs the executor with the event {planId}', async () => {
    await executorHandoff({ functionName: 'regionshift-executor', endpoint: host.url, credentials: () => ROLE })('p-1');
    await host.idle();
    expect(events.map(({ key, event }) => ({ key, event }))).toEqual([{ key: 'executor', event: { planId: 'p-1' } }]);
    expect(events[0]?.context.function).toMatchObject({ name: 'regionshift-executor', timeout: 600 });
    expect(done).toMatchObject([{ function: 'executor', ok: true }]);
  });

  test('a wrong secret, an expired key or an unknown function is refused and nothing runs', async () => {
    const call = (credentials: typeof ROLE, functionName = 'regionshift-executor') =>
      executorHandoff({ functionName, endpoint: host.url, credentials: () => credentials })('p-2');
    await expect(call({ ...ROLE, accessKeySecret: 'not-the-secret' })).rejects.toMatchObject({ code: 'FC.SignatureDoesNotMatch' });
    await expect(call({ ...ROLE, securityToken: 'another-token' })).rejects.toMatchObject({
      code: 'FC.InvalidSecurityToken.MismatchWithAccessKey',
    });
    await expect(call(ROLE, 'regionshift-nothing')).rejects.toMatchObject({ code: 'FC.FunctionNotFound' });
    host.setCredentials(ROTATED);
    await expect(call(ROLE)).rejects.toMatchObject({ code: 'FC.InvalidAccessKeyId.NotFound' });
    await host.idle();
    expect(events).toEqual([]);
  });

  test('after a rotation one handoff signs with the new credentials (a client per key)', async () => {
    let current = ROLE;
    const handOff = executorHandoff({ functionName: 'regionshift-executor', endpoint: host.url, credentials: () => current });
    await handOff('p-3');
    host.setCredentials(ROTATED);
    current = ROTATED;
    await handOff('p-4');
    await host.idle();
    expect(events.map((e) => e.event)).toEqual([{ planId: 'p-3' }, { planId: 'p-4' }]);
  });
});

describe('the executor is idempotent by plan id, so FC may deliver the same event twice', () => {
  let host: FcHost;
  let dir: string;
  let store: SqliteStateStore;
  const clock = new FakeClock(Date.parse('2026-03-03T03:00:00Z'));
  const mesh = new FakeMeshControl({ clock });
  const scaler = new FakeClusterScaler(clock, { readyDelayMs: 20_000 });
  const outcomes: AsyncOutcome[] = [];
  let failNextLease = false;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'regionshift-handoff-'));
    store = new SqliteStateStore(path.join(dir, 'state.db'));
    const env: Record<string, string | undefined> = {
      ...baseEnv,
      REGIONSHIFT_POLICY_FILE: 'examples/bookinfo.yaml',
      REGIONSHIFT_ALARM_TOKEN: 'alarm-token-0123456789abcdef',
      REGIONSHIFT_CONTROL_SECRET: 'control-secret-0123456789abcdef',
      REGIONSHIFT_EXECUTOR_FUNCTION: 'regionshift-executor',
    };
    // The store fails the next lease while `failNextLease` is set, as a Tablestore outage would.
    const flaky = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'acquireLease' && failNextLease) {
          failNextLease = false;
          return async () => {
            throw new Error('Tablestore unavailable');
          };
        }
        const value = Reflect.get(target, prop, receiver) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const getRuntime = runtimeFactory(env, { mesh, scaler, clock, store: flaky, log: () => undefined });
    host = await startFcHost({
      sYamlPath: 's.yaml',
      env: baseEnv,
      log: () => undefined,
      onAsyncDone: (o) => outcomes.push(o),
      // s.yaml's real `@every 1m` scheduler timer stays off: its tick would be one more invocation
      // in what this suite counts, and a slow run (CI, under load) lasts past a minute.
      every: () => () => undefined,
      loadHandler: async (key) => {
        const mod = (await import(pathToFileURL(path.resolve('functions', key, 'handler.ts')).href)) as {
          makeHandler: (g: typeof getRuntime) => unknown;
        };
        return { handler: mod.makeHandler(getRuntime) } as HandlerModule;
      },
    });
    env.REGIONSHIFT_FC_ENDPOINT = host.url;
  });
  afterAll(async () => {
    await host.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('two deliveries of {planId}: the scale-up and the mesh step each happen once, and the plan is done', async () => {
    const plan: Plan = {
      id: 'p-twice',
      at: clock.now(),
      trigger: 'signal:cms',
      reasons: ['test'],
      before: null,
      after: null,
      refused: [],
      steps: [
        {
          kind: 'scale',
          cluster: 'c-shanghai',
          namespace: 'bookinfo',
          deployment: 'reviews-v2',
          region: 'cn-shanghai',
          from: 2,
          to: 4,
          waitReady: true,
        },
        {
          kind: 'mesh',
          config: { mode: 'failover', localityLbSetting: { failover: [{ from: 'cn-hangzhou', to: 'cn-shanghai' }] } },
          matrix: { 'cn-hangzhou': { 'cn-shanghai': 100 } },
        },
      ],
    };
    await store.commit('bookinfo', 0, meshState(1), plan, []);
    const handOff = executorHandoff({ functionName: 'regionshift-executor', endpoint: host.url, credentials: () => ROLE });
    await Promise.all([handOff('p-twice'), handOff('p-twice')]);
    await host.idle();
    await handOff('p-twice'); // a late retry, after the plan is done
    await host.idle();
    expect(scaler.scaleCalls.map((c) => c.replicas)).toEqual([4]);
    expect(mesh.applied).toHaveLength(1);
    expect((await store.getPlan('bookinfo', 'p-twice'))?.status).toBe('done');
  });

  test('a delivery that fails (the store is down) is retried by FC with the same event, and the plan completes', async () => {
    const plan: Plan = {
      id: 'p-retried',
      at: clock.now(),
      trigger: 'signal:cms',
      reasons: ['test'],
      before: null,
      after: null,
      refused: [],
      steps: [
        {
          kind: 'scale',
          cluster: 'c-shanghai',
          namespace: 'bookinfo',
          deployment: 'details-v1',
          region: 'cn-shanghai',
          from: 2,
          to: 3,
          waitReady: true,
        },
      ],
    };
    await store.commit('bookinfo', (await store.load('bookinfo')).version, meshState(2), plan, []);
    outcomes.length = 0;
    failNextLease = true;
    await executorHandoff({ functionName: 'regionshift-executor', endpoint: host.url, credentials: () => ROLE })('p-retried');
    await host.idle();
    expect(outcomes).toMatchObject([{ function: 'executor', ok: true, attempts: 2, result: { planId: 'p-retried', status: 'done' } }]);
    expect(scaler.scaleCalls.filter((c) => c.ref.name === 'details-v1').map((c) => c.replicas)).toEqual([3]);
  });
});
