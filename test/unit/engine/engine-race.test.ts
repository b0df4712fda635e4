import type { Engine } from '../../../shared/engine/engine';
import { downSignal, World } from './harness';

let w: World;
beforeEach(() => {
  w = new World();
});
afterEach(() => w.cleanup());

/** `n` engines, each with its own owner and its own connection to the one SQLite file. */
function instances(n: number): Engine[] {
  return Array.from({ length: n }, (_, i) => w.engine({ owner: `fc-${i}`, store: w.file.open() }));
}

const commitsOf = (outcomes: Array<{ committed: boolean }>) => outcomes.filter((o) => o.committed).length;

describe('racing instances on one state file', () => {
  it.each([2, 8])('%i instances ingesting the same DOWN signal: one commits the transition, the mesh gets one apply', async (n) => {
    const engines = instances(n);
    await w.baseline(engines[0] as Engine);
    const { version } = await w.store.load('bookinfo');
    const signal = downSignal(w.clock);

    const results = await Promise.all(engines.map((e) => e.ingest([signal], 'alarm')));

    expect(commitsOf(results.flat())).toBe(1);
    // They did race: every loser backed off once, re-read, and found the signal already in.
    expect(w.clock.sleeps).toHaveLength(n - 1);
    // One commit of the transition, one record that the mesh step confirmed the drain.
    expect((await w.store.load('bookinfo')).version).toBe(version + 2);
    expect((await w.store.load('bookinfo')).state?.meshConfirmed?.matrix).toEqual((await w.store.load('bookinfo')).state?.applied?.matrix);
    expect(w.mesh.applied).toHaveLength(2);
    expect(w.mesh.lastApplied?.mode).toBe('distribute');
    expect(w.scaler.scaleCalls).toHaveLength(1);
    const events = await w.store.listEvents('bookinfo', { limit: 100 });
    expect(events.filter((e) => e.kind === 'decision' && e.summary.includes('signal'))).toHaveLength(1);
    const transitions = events
      .filter((e) => e.kind === 'decision')
      .flatMap((e) => (e.detail as { reasons: string[] }).reasons)
      .filter((r) => r.includes('HEALTHY → DOWN'));
    expect(transitions).toHaveLength(1);
  });

  it.each([2, 8, 24])('%i distinct signals from different sources racing: none is lost', async (n) => {
    const engines = instances(n);
    await w.baseline(engines[0] as Engine);
    const signals = engines.map((_, i) =>
      downSignal(w.clock, {
        key: `src-${i}|degraded`,
        source: i % 2 ? 'alertmanager' : 'cms',
        rule: `rule-${i}`,
        region: i % 2 ? 'cn-shanghai' : 'cn-hangzhou',
        severity: 'degraded',
      }),
    );

    const results = await Promise.all(engines.map((e, i) => e.ingest([signals[i]!], `alarm-${i}`)));

    expect(commitsOf(results.flat())).toBe(n);
    // Losers re-decide on the newer state: at least n-1 lost compare-and-sets.
    expect(w.clock.sleeps.length).toBeGreaterThanOrEqual(n - 1);
    const { state, version } = await w.store.load('bookinfo');
    expect(Object.keys(state?.signals ?? {}).sort()).toEqual(signals.map((s) => s.key).sort());
    // The baseline's commit and its mesh confirmation, then one commit per signal (degraded: no mesh step).
    expect(version).toBe(2 + n);
    const causes = [...(state?.health['cn-hangzhou']?.causes ?? []), ...(state?.health['cn-shanghai']?.causes ?? [])];
    expect(causes.sort()).toEqual(signals.map((s) => s.key).sort());
    const events = await w.store.listEvents('bookinfo', { limit: 1000 });
    expect(events.filter((e) => e.kind === 'signal')).toHaveLength(n);
  });

  it('200 concurrent identical signals through one store settle with one commit and one apply', async () => {
    const engines = Array.from({ length: 200 }, (_, i) => w.engine({ owner: `fc-${i}` }));
    await w.baseline(engines[0] as Engine);
    const signal = downSignal(w.clock);
    const results = await Promise.all(engines.map((e) => e.ingest([signal], 'alarm')));
    expect(commitsOf(results.flat())).toBe(1);
    expect(w.mesh.applied).toHaveLength(2);
  });
});
