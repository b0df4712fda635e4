import { spawn } from 'node:child_process';
import type { MeshConfig, MeshState, RegionHealth, TrafficMatrix } from '../../../shared/core/types';
import type { StatusView } from '../../../shared/engine/api';
import { renderStatus } from '../../../cli/control-render';
import { CONTROL_SECRET, cliChild, eachTestWithControlHost, type ControlHost } from './control-host';

/**
 * `regionshift status` with service scopes: the real control function on the local FC host reads a
 * state row holding per-host routing and per-service health (written to its SQLite file as the
 * engine would), and the CLI prints the default matrix, then one block per scope, then service health.
 */

const HZ = 'cn-hangzhou';
const SH = 'cn-shanghai';
const REVIEWS = 'reviews.default.svc.cluster.local';
const drained: TrafficMatrix = { [HZ]: { [SH]: 100 }, [SH]: { [SH]: 100 } };
const distribute = (m: TrafficMatrix): MeshConfig => ({
  mode: 'distribute',
  localityLbSetting: {
    distribute: Object.entries(m).map(([src, to]) => ({
      from: `${src}/*`,
      to: Object.fromEntries(Object.entries(to).map(([d, p]) => [`${d}/*`, p])),
    })),
  },
});
const degraded = (at: number): RegionHealth => ({
  status: 'DEGRADED',
  since: at,
  clearSince: null,
  hold: 60_000,
  causes: ['cms|hz-reviews-5xx'],
});

/** Writes per-host routing into the stored state: intended always, confirmed when `confirmed`. */
async function scopeState(h: ControlHost, opts: { confirmed: boolean }): Promise<void> {
  const { version, state } = await h.store.load('bookinfo');
  if (!state?.applied || !state.meshConfirmed) throw new Error('the baseline tick did not apply and confirm the default');
  const scopes = { [REVIEWS]: { matrix: drained, config: distribute(drained) } };
  const next: MeshState = {
    ...state,
    applied: { ...state.applied, scopes },
    meshConfirmed: { ...state.meshConfirmed, ...(opts.confirmed ? { scopes } : {}) },
    serviceHealth: { [HZ]: { reviews: degraded(h.clock.now()) } },
  };
  await h.store.commit('bookinfo', version, next, null, []);
}

describe('regionshift status with service scopes, against the control function', () => {
  let h: ControlHost;
  eachTestWithControlHost((host) => {
    h = host;
  });

  test('without scopes nothing changes: no scope block, no service health, no keys in --json', async () => {
    const run = await h.cli(['status']);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain('scopes');
    expect(run.stdout).not.toContain('service health');
    const api = JSON.parse((await h.cli(['status', '--json'])).stdout) as StatusView;
    expect(api).not.toHaveProperty('scopes');
    expect(api).not.toHaveProperty('serviceHealth');
  });

  test('a confirmed scope prints after the default matrix with the rows that differ; service health per region; --json carries both', async () => {
    await scopeState(h, { confirmed: true });
    const run = await h.cli(['status']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^matrix:\n {2}cn-hangzhou → cn-hangzhou 100%\n {2}cn-shanghai → cn-shanghai 100%\nscopes \(hosts routed apart from the default; every other host follows it\):\n {2}reviews\.default\.svc\.cluster\.local: cn-hangzhou → cn-shanghai 100% {2}\(distribute\)\nservice health:\n {2}cn-hangzhou {2}reviews {2}DEGRADED {4}since 2026-11-03T03:00:00\.000Z {2}causes: cms\|hz-reviews-5xx$/m,
    );
    expect(run.stdout).not.toContain('SHIFTING');
    const api = JSON.parse((await h.cli(['status', '--json'])).stdout) as StatusView;
    expect(api.scopes).toEqual({
      [REVIEWS]: { intended: { matrix: drained, mode: 'distribute' }, confirmed: { matrix: drained, mode: 'distribute' }, shifting: false },
    });
    expect(api.serviceHealth).toEqual({
      [HZ]: { reviews: { status: 'DEGRADED', since: '2026-11-03T03:00:00.000Z', causes: ['cms|hz-reviews-5xx'] } },
    });
    expect(api.shifting).toBe(false);
  });

  test('a scope the mesh has not confirmed: the scope says SHIFTING to its routing, the default is not called shifting', async () => {
    await scopeState(h, { confirmed: false });
    const run = await h.cli(['status']);
    expect(run.stdout).toContain(
      `  ${REVIEWS}: not confirmed by the mesh yet (follows the live default)\n    SHIFTING to: cn-hangzhou → cn-shanghai 100%  (distribute)`,
    );
    expect(run.stdout).not.toContain('SHIFTING: the mesh has not confirmed the intended matrix yet');
    expect(run.stdout).not.toMatch(/^intended:/m);
    const api = JSON.parse((await h.cli(['status', '--json'])).stdout) as StatusView;
    expect(api.shifting).toBe(true);
    expect(api.scopes?.[REVIEWS]).toMatchObject({ confirmed: null, shifting: true });
  });

  test('status --watch redraws with the scope block and exits 0 on SIGINT', async () => {
    await scopeState(h, { confirmed: true });
    const run = cliChild(h, ['status', '--watch', '1'], { REGIONSHIFT_ENDPOINT: h.endpoint, REGIONSHIFT_CONTROL_SECRET: CONTROL_SECRET });
    const child = spawn(process.execPath, run.args, { env: run.env });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      const end = Date.now() + 20_000;
      while (!out.includes(`${REVIEWS}: cn-hangzhou → cn-shanghai 100%`) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      expect(out).toContain(`  ${REVIEWS}: cn-hangzhou → cn-shanghai 100%  (distribute)`);
      expect(out).toMatch(/^ {2}cn-hangzhou {2}reviews {2}DEGRADED/m);
      child.kill('SIGINT');
      expect(await exit).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 60_000);
});

describe('renderStatus: scope blocks', () => {
  const base: StatusView = {
    mesh: 'm',
    version: 1,
    at: '2026-11-03T03:00:00.000Z',
    paused: null,
    health: { [HZ]: { status: 'HEALTHY', since: null, causes: [] }, [SH]: { status: 'HEALTHY', since: null, causes: [] } },
    matrix: { [HZ]: { [HZ]: 100 }, [SH]: { [SH]: 100 } },
    config: { mode: 'failover', localityLbSetting: { failover: [] } },
    intended: null,
    confirmed: null,
    shifting: false,
    override: null,
    drill: null,
    activeSignals: [],
    openPlans: [],
    schedules: [],
    refused: [],
    refusedSince: null,
  };
  const lines = (s: StatusView) => {
    const got: string[] = [];
    renderStatus(s, { log: (l) => got.push(l), error: (l) => got.push(`ERR ${l}`) });
    return got;
  };

  test('a scope being removed says it shifts to the default; one changing shows live and intended rows', () => {
    const half: TrafficMatrix = { [HZ]: { [HZ]: 50, [SH]: 50 }, [SH]: { [SH]: 100 } };
    const got = lines({
      ...base,
      shifting: true,
      scopes: {
        'details.default.svc.cluster.local': { intended: null, confirmed: { matrix: drained, mode: 'distribute' }, shifting: true },
        [REVIEWS]: { intended: { matrix: drained, mode: 'distribute' }, confirmed: { matrix: half, mode: 'distribute' }, shifting: true },
      },
    });
    expect(got).toEqual(
      expect.arrayContaining([
        '  details.default.svc.cluster.local: cn-hangzhou → cn-shanghai 100%  (distribute)',
        '    SHIFTING to: the default (its own rule is to be removed)',
        `  ${REVIEWS}: cn-hangzhou → cn-hangzhou 50%, cn-shanghai 50%  (distribute)`,
        '    SHIFTING to: cn-hangzhou → cn-shanghai 100%  (distribute)',
      ]),
    );
    expect(got.indexOf('    SHIFTING to: the default (its own rule is to be removed)')).toBe(
      got.indexOf('  details.default.svc.cluster.local: cn-hangzhou → cn-shanghai 100%  (distribute)') + 1,
    );
    expect(got.some((l) => l.startsWith('SHIFTING: the mesh has not confirmed the intended matrix'))).toBe(false);
  });

  test('an override or drill of one service names it', () => {
    const got = lines({
      ...base,
      override: {
        id: 'ovr-3',
        service: 'reviews',
        drain: [HZ],
        force: false,
        expiresAt: '2026-11-03T04:00:00.000Z',
        actor: 'alice',
        reason: 'rollout',
      },
      drill: { id: 'drill-2', region: HZ, service: 'reviews', severity: 'down', endsAt: '2026-11-03T03:15:00.000Z', actor: 'bob' },
    });
    expect(got).toContain('override: ovr-3  drain cn-hangzhou of service reviews  until 2026-11-03T04:00:00.000Z  by alice: rollout');
    expect(got).toContain('drill: drill-2  cn-hangzhou reviews down  until 2026-11-03T03:15:00.000Z  by bob');
  });

  test('a status from a server without scopes prints exactly what it printed before', () => {
    const got = lines(base);
    expect(got.some((l) => l.includes('scopes') || l.includes('service health'))).toBe(false);
  });
});
