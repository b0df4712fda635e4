import { startLab, type Lab } from '../../lab/world';
import { controlCall, fastLabFiles, sendRequests, share, waitFor, type Served } from './lab-fixture';

/**
 * Do no harm, end to end: productpage fails 30% of its requests in one region and 60% in the
 * other. Both CMS 5xx alarms fire (both regions graded down), each with its `curValue`. The
 * sicker region's traffic goes to the less sick one; never the other way round; and the users
 * fail no more than they did while automation was paused (doing nothing, Envoy's own fallback).
 */
type Status = { health: Record<string, { status: string }>; matrix: Record<string, Record<string, number>> | null };

const REQUESTS = 3000;
const GATEWAYS = { 'cn-hangzhou': 'gw-hangzhou', 'cn-shanghai': 'gw-shanghai' } as const;

async function failedShare(lab: Lab): Promise<{ share: number; byGateway: Record<string, Served> }> {
  const byGateway: Record<string, Served> = {};
  let failed = 0;
  let total = 0;
  for (const [region, gw] of Object.entries(GATEWAYS)) {
    const s = await sendRequests(lab, gw, REQUESTS);
    byGateway[region] = s;
    failed += s.failed;
    total += s.ok + s.failed;
  }
  return { share: failed / total, byGateway };
}

describe.each([
  { lessSick: 'cn-hangzhou', sicker: 'cn-shanghai' },
  { lessSick: 'cn-shanghai', sicker: 'cn-hangzhou' },
] as const)('productpage failing 30% in $lessSick and 60% in $sicker', ({ lessSick, sicker }) => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab({ ...fastLabFiles(), tickMs: 1000, policy: { safety: { cooldown: '2s', stepInterval: '2s' } } });
  });
  afterAll(async () => {
    await lab.stop();
  });
  const status = async () => (await controlCall(lab, 'GET', '/v1/status')).json as unknown as Status;

  test('the sicker region drains into the less sick one, and users fail no more than with no action', async () => {
    await waitFor('the normal matrix applied', async () => (await status()).matrix !== null, 20_000);
    expect((await controlCall(lab, 'POST', '/v1/pause', { reason: 'measure doing nothing first' })).status).toBe(200);
    for (const [region, rate] of [
      [lessSick, 0.3],
      [sicker, 0.6],
    ] as const) {
      const res = await fetch(`${lab.labUrl}/lab/v1/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ kind: 'error-rate', region, service: 'productpage', rate }),
      });
      expect(res.status).toBe(201);
    }
    // Both alarms in: health follows the signals while paused; the mesh does not move.
    await waitFor(
      'both regions graded',
      async () => {
        const h = (await status()).health;
        return h[lessSick]?.status !== 'HEALTHY' && h[sicker]?.status !== 'HEALTHY';
      },
      30_000,
      250,
    );
    const nothing = await failedShare(lab);

    expect((await controlCall(lab, 'POST', '/v1/resume', {})).status).toBe(200);
    await waitFor(
      `${sicker}'s traffic served in ${lessSick}`,
      async () => (await status()).matrix?.[sicker]?.[lessSick] === 100,
      20_000,
      250,
    );
    // Settled: give the mesh its push and a few ticks, then nothing moves any more.
    await new Promise((r) => setTimeout(r, 4000));
    const settled = (await status()).matrix;
    expect(settled?.[lessSick]).toEqual({ [lessSick]: 100 });
    expect(settled?.[sicker]).toEqual({ [lessSick]: 100 });

    const acting = await failedShare(lab);
    // No traffic of the less sick region is served in the sicker one.
    expect(share(acting.byGateway[lessSick] as Served, 'productpage', sicker)).toBe(0);
    // And the users are better off than with no action (30% everywhere vs a mix of 30% and 60%).
    expect(acting.share).toBeLessThanOrEqual(nothing.share);
    process.stdout.write(
      `both sick (${lessSick} 30%, ${sicker} 60%): failed ${(nothing.share * 100).toFixed(1)}% doing nothing, ${(acting.share * 100).toFixed(1)}% after the decisions settled\n`,
    );
  });
});
