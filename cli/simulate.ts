import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { decide } from '../shared/core/decide';
import { RegionshiftError } from '../shared/core/errors';
import { compactMatrix } from '../shared/core/matrix';
// Types only: the derivation itself is loaded by runSimulate when a scenario needs it (it comes
// with the Kubernetes client, which would add ~2 s to every other scenario and command).
import type { entryRoutes as EntryRoutes, VirtualServiceObject } from '../shared/adapters/mesh-virtualservices';
import { loadPolicyYaml, type Policy } from '../shared/core/policy';
import type { EntryRead, Input, MeshState } from '../shared/core/types';
import { toSignals } from '../shared/signals/detection';
import { checkExpect, expectationSummaryText, stepView, summarizeExpectations, type SimulationRecord } from './simulate-expect';
import { loadScenario, type Scenario } from './simulate-scenario';
import { parseRawPayload } from '../shared/signals/raw-input';

/**
 * `regionshift simulate`: replay a scenario through the decision core. A scenario is a start
 * time, optional periodic ticks, and timed inputs (signals, ticks, commands, raw payloads run
 * through the parsers). Steps may carry `expect`, which makes a scenario self-checking. The
 * scenario's schema is simulate-scenario.ts; the records and their checks simulate-expect.ts.
 */

/** Expand a scenario into timed inputs: its steps, plus a tick at each multiple of tickEvery between them. */
function timeline(s: Scenario): Array<{ offset: number; step: Scenario['steps'][number] | null }> {
  const items: Array<{ offset: number; step: Scenario['steps'][number] | null }> = s.steps.map((step) => ({ offset: step.at, step }));
  if (s.tickEvery) {
    const last = Math.max(...s.steps.map((st) => st.at));
    for (let t = s.tickEvery; t <= last; t += s.tickEvery) if (!s.steps.some((st) => st.at === t)) items.push({ offset: t, step: null });
  }
  return items.sort((a, b) => a.offset - b.offset);
}

/** The hosts a state routes apart from its default matrix, compacted as the default is; null when none is. */
function scopesOf(state: MeshState, regionIds: readonly string[]): SimulationRecord['scopes'] | null {
  const scopes = Object.entries(state.applied?.scopes ?? {});
  if (scopes.length === 0) return null;
  return Object.fromEntries(
    scopes
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([host, r]) => [host, { mode: r.config.mode, matrix: compactMatrix(r.matrix, regionIds) }]),
  );
}

/**
 * The host FQDNs the policy scopes (`scopes.services`, `<service>.<namespace>.svc.cluster.local`
 * unless a service names its `host`): an empty list when it scopes none; null when the policy's
 * scopes are in a shape this does not know, so a scenario is then not checked against them.
 */
export function scopedHosts(policy: Policy): string[] | null {
  const scopes = (policy as unknown as { scopes?: unknown }).scopes;
  if (scopes === undefined || scopes === null) return [];
  if (typeof scopes !== 'object') return null;
  const { namespace, services } = scopes as { namespace?: unknown; services?: unknown };
  const ns = typeof namespace === 'string' ? namespace : 'default';
  const hostOf = (name: unknown, svc: unknown): string | null => {
    const host = svc && typeof svc === 'object' ? (svc as { host?: unknown }).host : undefined;
    if (typeof host === 'string' && host) return host;
    return typeof name === 'string' && name ? `${name}.${ns}.svc.cluster.local` : null;
  };
  const list = Array.isArray(services)
    ? services.map((svc: unknown) => hostOf(svc && typeof svc === 'object' ? (svc as { name?: unknown }).name : svc, svc))
    : services && typeof services === 'object'
      ? Object.entries(services).map(([name, svc]) => hostOf(name, svc))
      : null;
  if (!list || list.some((h) => h === null)) return null;
  return list as string[];
}

/** A scenario expecting routing of a host the policy does not scope would check nothing real: refused, naming it. */
function checkScopeHosts(policy: Policy, scenario: Scenario): void {
  const hosts = scopedHosts(policy);
  if (hosts === null) return;
  for (const step of scenario.steps) {
    for (const host of Object.keys(step.expect?.scopes ?? {})) {
      if (hosts.includes(host)) continue;
      const where = `step at ${new Date(Date.parse(scenario.start) + step.at).toISOString()}: expect.scopes.${host}`;
      throw new RegionshiftError(
        'SCENARIO.INVALID',
        hosts.length
          ? `${where}: not a host the policy scopes (scoped: ${hosts.join(', ')})`
          : `${where}: the policy scopes no services (add scopes.services to it)`,
      );
    }
  }
}

/**
 * VirtualServices, an `entryRead` or an `expect.entry` with a policy that would never use them
 * would check nothing real: refused, naming where.
 */
function checkEntryKeys(policy: Policy, scenario: Scenario): void {
  const fromGateways = Boolean(policy.scopes?.entryFrom);
  const why = policy.scopes
    ? 'the policy names its entry services (scopes.entry), so nothing reads VirtualServices; set scopes.entryFrom instead'
    : 'the policy scopes no services (add scopes.services and scopes.entryFrom to it)';
  if (scenario.virtualServices && !fromGateways) throw new RegionshiftError('SCENARIO.INVALID', `virtualServices: ${why}`);
  for (const step of scenario.steps) {
    const where = `step at ${new Date(Date.parse(scenario.start) + step.at).toISOString()}`;
    if (step.entryRead && !fromGateways) throw new RegionshiftError('SCENARIO.INVALID', `${where}: entryRead: ${why}`);
    if (step.expect?.entry && !policy.scopes)
      throw new RegionshiftError('SCENARIO.INVALID', `${where}: expect.entry: the policy scopes no services (add scopes.services to it)`);
  }
}

/** The entry services as status would show them after a decision; null without service scopes. */
function entryOf(policy: Policy, state: MeshState): SimulationRecord['entry'] | null {
  const s = policy.scopes;
  if (!s) return null;
  if (!s.entryFrom) return { source: 'policy', services: [...(s.entry ?? [])] };
  return {
    source: 'virtualservices',
    services: state.entry?.services ?? [],
    from: state.entry?.from ?? [],
    problem: state.entry?.problem?.message ?? null,
  };
}

/**
 * What a tick's read of the gateways' VirtualServices returns: the routes derived by the runtime's
 * own derivation (`entryRoutes`) from the scenario's objects, or the step's failure. Undefined
 * without `scopes.entryFrom`, or when the scenario gives no VirtualServices (nothing was read).
 */
function entryReadOf(
  policy: Policy,
  given: { virtualServices?: VirtualServiceObject[]; error?: string } | null,
  derive: typeof EntryRoutes | undefined,
): EntryRead | undefined {
  const gateways = policy.scopes?.entryFrom?.gateways;
  if (!gateways || !given) return undefined;
  if (given.error !== undefined) return { ok: false, error: given.error };
  if (!derive)
    throw new Error(
      "simulate: this scenario gives VirtualServices; pass the runtime's derivation (entryRoutes of shared/adapters/mesh-virtualservices) as opts.entryRoutes",
    );
  return { ok: true, routes: derive(given.virtualServices ?? [], gateways) };
}

/** Whether a scenario has VirtualServices to derive from (with a policy that reads them). */
export function needsEntryDerivation(policy: Policy, scenario: Scenario): boolean {
  return (
    Boolean(policy.scopes?.entryFrom) &&
    (scenario.virtualServices !== undefined || scenario.steps.some((st) => st.entryRead?.virtualServices !== undefined))
  );
}

/**
 * `decide` is the core's unless a test gives another (one that adds scopes to the core's decisions,
 * say). `entryRoutes` is the runtime's derivation of the gateways' routes, required when the
 * scenario gives VirtualServices (`needsEntryDerivation`); the caller loads it.
 */
export function simulate(
  policy: Policy,
  scenario: Scenario,
  baseDir: string,
  opts: { decide?: typeof decide; entryRoutes?: typeof EntryRoutes } = {},
): SimulationRecord[] {
  const decideFn = opts.decide ?? decide;
  checkScopeHosts(policy, scenario);
  checkEntryKeys(policy, scenario);
  const start = Date.parse(scenario.start);
  let state: MeshState | null = null;
  // What the VirtualService read returns now: the scenario's objects, changed by a step's entryRead.
  let read: { virtualServices?: VirtualServiceObject[]; error?: string } | null = scenario.virtualServices
    ? { virtualServices: scenario.virtualServices }
    : null;
  const records: SimulationRecord[] = [];
  for (const { offset, step } of timeline(scenario)) {
    const now = start + offset;
    const inputs: Array<{ input: Input; shown: unknown }> = [];
    if (step?.entryRead) read = step.entryRead;
    if (!step || step.tick) {
      // As the scheduler's tick does: the read goes with ticks only (an alarm never waits on it).
      const entry = entryReadOf(policy, read, opts.entryRoutes);
      inputs.push({ input: entry ? { kind: 'tick', entry } : { kind: 'tick' }, shown: { tick: true } });
    } else if (step.signal) {
      const sig = step.signal;
      const at = sig.at === undefined ? now : typeof sig.at === 'number' ? sig.at : Date.parse(sig.at);
      inputs.push({
        input: { kind: 'signal', signal: { ...sig, at, ttl: sig.ttl ?? policy.detection.defaultTtl } },
        shown: { signal: step.signal },
      });
    } else if (step.command) {
      inputs.push({ input: { kind: 'command', command: { ...step.command, actor: step.actor } }, shown: { command: step.command } });
    } else if (step.raw) {
      const text = step.raw.file
        ? readFileSync(resolve(baseDir, step.raw.file), 'utf8')
        : typeof step.raw.body === 'string'
          ? step.raw.body
          : JSON.stringify(step.raw.body);
      const { urlRegion } = step.raw;
      // As the alarm function does: a URL naming a region the policy lacks is refused.
      if (urlRegion !== undefined && !policy.regionIds.includes(urlRegion)) {
        throw new RegionshiftError(
          'SCENARIO.INVALID',
          `step at ${new Date(now).toISOString()}: raw.urlRegion: unknown region ${urlRegion} (declared: ${policy.regionIds.join(', ')})`,
        );
      }
      for (const raw of parseRawPayload(step.raw.kind, text, urlRegion)) {
        const { signals, note } = toSignals(raw, policy);
        if (signals.length === 0)
          inputs.push({ input: { kind: 'tick' }, shown: { raw: step.raw.kind, unmatched: note ?? 'no rule matched' } });
        for (const signal of signals) inputs.push({ input: { kind: 'signal', signal }, shown: { raw: step.raw.kind, signal } });
      }
    }
    inputs.forEach(({ input, shown }, i) => {
      const d = decideFn(policy, state, input, now);
      state = d.state;
      const scopes = scopesOf(d.state, policy.regionIds);
      const entry = entryOf(policy, d.state);
      const applied = state.applied?.matrix ?? null;
      const mesh = d.plan.after?.config ?? d.plan.before?.config ?? null;
      const rec: SimulationRecord = {
        at: new Date(now).toISOString(),
        input: shown,
        health: Object.fromEntries(Object.entries(state.health).map(([r, h]) => [r, h.status])),
        mode: mesh?.mode ?? null,
        matrix: applied ? compactMatrix(applied, policy.regionIds) : null,
        ...(entry ? { entry } : {}),
        ...(scopes ? { scopes } : {}),
        localityLBConf: mesh?.localityLbSetting ?? null,
        steps: d.plan.steps.map(stepView),
        refused: d.plan.refused,
        changed: d.plan.after !== null,
        explain: d.explain,
        checked: false,
        failures: [],
      };
      if (step?.expect && i === inputs.length - 1) {
        rec.checked = true;
        rec.failures = checkExpect(step.expect, rec);
      }
      records.push(rec);
    });
  }
  return records;
}

export async function runSimulate(
  args: string[],
  out: { log(s: string): void; error(s: string): void },
  env: Record<string, string | undefined>,
): Promise<number> {
  const opt = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const policyFile = opt('--policy');
  const scenarioFile = opt('--scenario');
  if (!policyFile || !scenarioFile) {
    out.error('usage: regionshift simulate --policy <policy.yaml> --scenario <scenario.yaml> [--json]');
    return 2;
  }
  try {
    const policy = loadPolicyYaml(readFileSync(policyFile, 'utf8'), env);
    const scenario = loadScenario(readFileSync(scenarioFile, 'utf8'));
    const entryRoutes = needsEntryDerivation(policy, scenario)
      ? (await import('../shared/adapters/mesh-virtualservices')).entryRoutes
      : undefined;
    const records = simulate(policy, scenario, dirname(resolve(scenarioFile)), { entryRoutes });
    const json = args.includes('--json');
    if (json) {
      for (const r of records) {
        const { explain: _e, failures: _f, checked: _c, ...rest } = r;
        out.log(JSON.stringify(rest));
      }
    } else {
      for (const r of records)
        if (r.steps.length || r.refused.length || r.explain.some((l) => l.includes('→'))) out.log(r.explain.join('\n'));
    }
    // The summary goes with the failures to stderr; with --json stdout stays one JSON object a line.
    const summary = summarizeExpectations(records);
    const toStderr = summary.failed > 0 || json;
    for (const line of expectationSummaryText(summary)) {
      if (toStderr) out.error(line);
      else out.log(line);
    }
    return summary.failed ? 1 : 0;
  } catch (err) {
    out.error(err instanceof RegionshiftError ? err.message : `error: ${(err as Error).message}`);
    return 1;
  }
}
