import Database from 'better-sqlite3';
import type { Signal } from '../../../shared/core/types';
import type { StateStore } from '../../../shared/ports/state-store';
import { bookinfoPolicy, downSignal, World } from './harness';

/**
 * A delivery's signals are one decision and one commit, however many there are; the state row
 * stays bounded whatever arrives; alarms ignored for their time are audited.
 */

let w: World;
afterEach(() => w.cleanup());

/** Counts the store's compare-and-set commits. */
function counting(store: StateStore): { store: StateStore; commits: () => number } {
  let commits = 0;
  const wrapped = Object.create(store) as StateStore;
  wrapped.commit = (...args: Parameters<StateStore['commit']>) => {
    commits++;
    return store.commit(...args);
  };
  return { store: wrapped, commits: () => commits };
}

const amSignal = (i: number, at: number, over: Partial<Signal> = {}): Signal => ({
  key: `am-reviews|alertmanager|${i.toString(16).padStart(16, '0')}`,
  source: 'alertmanager',
  rule: 'am-reviews',
  region: i % 2 ? 'cn-hangzhou' : 'cn-shanghai',
  severity: 'degraded',
  status: 'firing',
  at,
  ttl: 600_000,
  name: 'ReviewsHighErrorRate',
  service: 'reviews',
  // Both regions degraded, hangzhou measurably worse: only hangzhou sheds (the target guard).
  measure: { kind: 'errorShare', value: i % 2 ? 0.5 : 0.25, metric: 'reviews-5xx' },
  ...over,
});

function stateRowBytes(): number {
  const db = new Database(w.file.path, { readonly: true });
  try {
    return (db.prepare('SELECT length(CAST(json AS BLOB)) AS n FROM mesh_state').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('one delivery, one decision', () => {
  test('3,000 signals are one load → decide → commit, with a bounded audit', async () => {
    w = new World();
    const { store, commits } = counting(w.store);
    const engine = w.engine({ store });
    await w.baseline(engine);
    const before = commits();
    const appliedBefore = w.mesh.applied.length;
    const { version: v0 } = await w.store.load('bookinfo');
    w.clock.advance(60_000);
    const signals = Array.from({ length: 3000 }, (_, i) => amSignal(i, w.clock.now()));
    const outcomes = await engine.ingest(signals, 'alertmanager');

    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]?.committed).toBe(true);
    // One decision commit for the whole delivery; each mesh step it ran adds its confirmation.
    const meshSteps = w.mesh.applied.length - appliedBefore;
    expect(meshSteps).toBe(1);
    expect(commits() - before).toBe(1 + meshSteps);
    expect((await w.store.load('bookinfo')).version).toBe(v0 + 1 + meshSteps);
    const events = await w.store.listEvents('bookinfo', { limit: 500 });
    const signalEvents = events.filter((e) => e.kind === 'signal');
    // 20 signal lines, one line for the other 2,980, one for the 2,800 that lapsed over the cap.
    expect(signalEvents.map((e) => e.summary)).toEqual(
      expect.arrayContaining([
        '2980 more signals in this delivery',
        expect.stringMatching(/^2800 signals lapsed: over detection.maxSignalsPerRegion \(100\)$/),
      ]),
    );
    expect(signalEvents).toHaveLength(22);
  });

  test('an alarm 30 days old changes nothing, commits nothing, and is audited as stale', async () => {
    w = new World();
    const engine = w.engine();
    await w.baseline(engine);
    const { version } = await w.store.load('bookinfo');
    const applied = w.mesh.applied.length;
    const [out] = await engine.ingest([downSignal(w.clock, { at: w.clock.now() - 30 * 86_400_000 })], 'cms');
    expect(out?.committed).toBe(false);
    expect(out?.ignored).toEqual([expect.objectContaining({ reason: 'stale' })]);
    expect((await w.store.load('bookinfo')).version).toBe(version);
    expect(w.mesh.applied.length).toBe(applied);
    const [audit] = await w.store.listEvents('bookinfo', { limit: 1 });
    expect(audit).toMatchObject({ kind: 'signal', actor: 'cms' });
    expect(audit?.summary).toMatch(/^stale: cms\|hz-5xx firing stamped .*, 43200m old \(maxAge 60m\): stale, ignored$/);
  });
});

describe('the state row stays bounded', () => {
  test('10,000 distinct signals: at most maxSignalsPerRegion per region kept, the row under 256 KB, the oldest lapsed and audited', async () => {
    w = new World(bookinfoPolicy());
    const engine = w.engine();
    await w.baseline(engine);
    // Ten deliveries of 1,000 alerts each, a minute apart; long keys (label sets, no fingerprint).
    for (let d = 0; d < 10; d++) {
      w.clock.advance(60_000);
      const longKey = (i: number) =>
        `am-reviews|alertmanager|alertname=ReviewsHighErrorRate,instance=10.0.${d}.${i}:9080,job=reviews,${'pod=reviews-v1-7f9c8d6b5-'.repeat(3)}${i}`.slice(
          0,
          160,
        );
      await engine.ingest(
        Array.from({ length: 1000 }, (_, i) => amSignal(d * 1000 + i, w.clock.now(), { key: longKey(i) })),
        'alertmanager',
      );
    }
    const { state } = await w.store.load('bookinfo');
    const kept = Object.values(state?.signals ?? {});
    expect(kept.filter((s) => s.region === 'cn-hangzhou')).toHaveLength(100);
    expect(kept.filter((s) => s.region === 'cn-shanghai')).toHaveLength(100);
    // The newest delivery's signals are the ones kept.
    expect(kept.every((s) => s.seenAt === w.clock.now())).toBe(true);
    const bytes = stateRowBytes();
    expect(bytes).toBeLessThan(256 * 1024);
    const lapsed = (await w.store.listEvents('bookinfo', { limit: 500 })).filter(
      (e) => e.kind === 'signal' && /signals lapsed/.test(e.summary),
    );
    expect(lapsed).toHaveLength(10);
    expect(lapsed.every((e) => JSON.stringify(e.detail).length <= 16 * 1024)).toBe(true);
  });
});

describe('unmatched alarms', () => {
  test('are stored as an excerpt, not whole', async () => {
    w = new World();
    const engine = w.engine();
    const huge = { alarm: { name: 'disk-full', message: 'x'.repeat(4 * 1024 * 1024) } };
    await engine.recordUnmatched('cms', 'cms alarm disk-full (firing) produced no signal', huge);
    const [event] = await w.store.listEvents('bookinfo', { limit: 1 });
    expect(event?.kind).toBe('raw');
    expect(JSON.stringify(event?.detail).length).toBeLessThan(5 * 1024);
    expect(event?.detail).toMatchObject({ truncated: true, length: JSON.stringify(huge).length });
  });
});
