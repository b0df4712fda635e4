import { LabDataPlane } from '../../../../lab/dataplane/engine';
import { FaultBook } from '../../../../lab/dataplane/faults';
import type { EffectiveTrafficPolicy } from '../../../../lab/dataplane/config-source';
import { loadDefaultTopology, type Topology } from '../../../../lab/topology/schema';
import { InMemoryRoutingConfig, bookinfoOutlierDetection } from './in-memory-config';
import { ManualClock } from './manual-clock';

export const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

export interface LabFixture {
  topology: Topology;
  config: InMemoryRoutingConfig;
  clock: ManualClock;
  faults: FaultBook;
  dataPlane: LabDataPlane;
}

export function labFixture(opts: { topology?: Topology; seed?: number; tickMs?: number } = {}): LabFixture {
  const topology = opts.topology ?? loadDefaultTopology();
  const config = InMemoryRoutingConfig.forTopology(topology);
  const clock = new ManualClock(T0);
  const faults = new FaultBook(clock);
  const dataPlane = new LabDataPlane({ topology, config, clock, faults, seed: opts.seed ?? 7, tickMs: opts.tickMs });
  return { topology, config, clock, faults, dataPlane };
}

/** Locality failover between the two regions with outlier detection: what the product renders when all is well. */
export const failoverPolicy: Partial<EffectiveTrafficPolicy> = {
  localityLb: {
    enabled: true,
    failover: [
      { from: 'cn-hangzhou', to: 'cn-shanghai' },
      { from: 'cn-shanghai', to: 'cn-hangzhou' },
    ],
  },
  outlierDetection: bookinfoOutlierDetection,
};

/** Each region served by itself whatever happens: distribute to self, no outlier detection, so faults stay visible. */
export const keepLocalPolicy: Partial<EffectiveTrafficPolicy> = {
  localityLb: {
    enabled: true,
    distribute: [
      { from: 'cn-hangzhou/*', to: { 'cn-hangzhou/*': 100 } },
      { from: 'cn-shanghai/*', to: { 'cn-shanghai/*': 100 } },
    ],
  },
  outlierDetection: null,
};

/** Share of a record's total, in percent. */
export function percentOf(counts: Record<string, number> | undefined, key: string): number {
  const all = Object.values(counts ?? {}).reduce((s, n) => s + n, 0);
  return all === 0 ? 0 : (100 * (counts?.[key] ?? 0)) / all;
}

/** Moves the clock on by `ms` and waits until every alarm notification due by then is delivered. */
export async function advanceAndDeliver(clock: ManualClock, alarms: { idle(): Promise<void> }, ms: number): Promise<void> {
  await clock.advance(ms);
  await alarms.idle();
}
