import { drillSignal } from './commands';
import { transitionText } from './decide-text';
import { updateHealth, type HealthTransition } from './health';
import type { Policy } from './policy';
import { signalScope, updateServiceHealth } from './scopes';
import type { MeshState, Signal, Step } from './types';

/** What the health phase found. */
export interface HealthAssessed {
  /** The active signals after expiry, plus a running drill's synthetic one. */
  active: Signal[];
  transitions: HealthTransition[];
  /** One line per transition, for the plan's reasons; the notifications carry the same text. */
  texts: string[];
  /** One notification per transition: critical to DOWN, warning to DEGRADED, info otherwise. */
  notify: Step[];
}

/**
 * Phase 3. Move each region's (and each scoped service's) health in `draft` from the active
 * signals, and remember how sick a sick region measured. `before`: the signals before the input,
 * so a transition caused by a signal this input resolved still names its source.
 */
export function assessHealth(
  policy: Policy,
  draft: MeshState,
  now: number,
  clearedAt: Record<string, number>,
  before: ReadonlyMap<string, Signal>,
): HealthAssessed {
  const active: Signal[] = Object.values(draft.signals);
  const drill = drillSignal(draft);
  if (drill) active.push(drill);
  // A signal naming a scoped service moves that (region, service) only; the others the region.
  const transitions = updateHealth(
    policy,
    draft,
    policy.scopes ? active.filter((s) => signalScope(policy, s) === undefined) : active,
    now,
    clearedAt,
  );
  if (policy.scopes) transitions.push(...updateServiceHealth(policy, draft, active, now, clearedAt));
  rememberMeasured(policy, draft, active);
  const known = new Map([...before, ...active.map((s) => [s.key, s] as const)]);
  const texts = transitions.map((t) => transitionText(t, known));
  const notify: Step[] = transitions.map((t, i) => ({
    kind: 'notify',
    level: t.to === 'DOWN' ? 'critical' : t.to === 'DEGRADED' ? 'warning' : 'info',
    message: texts[i] as string,
  }));
  return { active, transitions, texts, notify };
}

/**
 * A sick region remembers how sick its signals measured it (`RegionHealth.measured`) until it
 * recovers: an alarm that clears while its region is drained (too little traffic left to breach)
 * must not make that region look healthier than one still failing less.
 */
export function rememberMeasured(policy: Policy, draft: MeshState, active: readonly Signal[]): void {
  for (const region of policy.regionIds) {
    const h = draft.health[region];
    if (!h) continue;
    if (h.status !== 'DOWN' && h.status !== 'DEGRADED') {
      if (h.measured !== undefined) delete h.measured;
      continue;
    }
    let worst: number | null = null;
    for (const s of active) if (s.region === region && s.measure?.kind === 'errorShare') worst = Math.max(worst ?? 0, s.measure.value);
    if (worst !== null && h.measured !== worst) h.measured = worst;
  }
}
