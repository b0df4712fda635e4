import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { commandBody, signalBody } from '../shared/core/command-schema';
import { decide } from '../shared/core/decide';
import { RegionshiftError } from '../shared/core/errors';
import { compactMatrix } from '../shared/core/matrix';
// Types only: the derivation itself is loaded by runSimulate when a scenario needs it (it comes
// with the Kubernetes client, which would add ~2 s to every other scenario and command).
import type { entryRoutes as EntryRoutes, VirtualServiceObject } from '../shared/adapters/mesh-virtualservices';
import { formatIssues, loadPolicyYaml, type Policy } from '../shared/core/policy';
import { duration } from '../shared/core/policy-schema';
import type { EntryRead, Input, MeshState, Step } from '../shared/core/types';
import { toSignals } from '../shared/signals/detection';
import { parseRawPayload, rawPayloadKinds, urlPayloadKinds, type RawPayloadKind } from '../shared/signals/raw-input';

/**
 * `regionshift simulate`: replay a scenario through the decision core. A scenario is a start
 * time, optional periodic ticks, and timed inputs (signals, ticks, commands, raw payloads run
 * through the parsers). Steps may carry `expect`, which makes a scenario self-checking.
 */

const matrixSchema = z.record(z.string(), z.record(z.string(), z.number()));

const SCOPE_VALUE = 'must be default or a matrix { <source region>: { <region>: percent } }';

/**
 * A VirtualService as Istio writes it (`kubectl get virtualservice -o yaml`), for policy
 * `scopes.entryFrom`. Strict where a typo would silently change what the derivation sees: the
 * object's top level, `spec` (Istio's VirtualService fields), an http route's destinations and a
 * destination. `metadata` and an http rule's other fields (match, rewrite, timeout, …) are kept as
 * they are: the derivation does not read them, and Istio adds fields there from release to release.
 */
const requiredText = () => z.string({ error: (iss) => (iss.input === undefined ? 'required' : 'must be a string') }).min(1, 'required');
const destinationSchema = z.object({ host: requiredText(), subset: z.string().optional(), port: z.unknown().optional() }).strict();
const virtualServiceSchema = z
  .object({
    apiVersion: z.string().optional(),
    kind: z.literal('VirtualService').optional(),
    metadata: z.object({ name: requiredText(), namespace: z.string().min(1).optional() }).passthrough(),
    spec: z
      .object({
        hosts: z.array(z.string()).optional(),
        gateways: z.array(z.string()).optional(),
        http: z.array(z.object({ route: z.array(z.object({ destination: destinationSchema, weight: z.number().optional(), headers: z.unknown().optional() }).strict()).optional() }).passthrough()).optional(),
        tls: z.array(z.unknown()).optional(),
        tcp: z.array(z.unknown()).optional(),
        exportTo: z.array(z.string()).optional(),
      })
      .strict(),
    status: z.unknown().optional(),
  })
  .strict();

/** What the tick's read of the gateways' VirtualServices returns from a step on: these objects, or a failure. */
const entryReadSchema = z
  .object({
    virtualServices: z.array(virtualServiceSchema).optional(),
    error: z.string().min(1, 'the failure message, as the runtime would record it').optional(),
  })
  .strict()
  .refine((r) => (r.virtualServices === undefined) !== (r.error === undefined), { message: 'give either virtualServices (what the read returns) or error (the read fails), not both' });

const expectSchema = z
  .object({
    mode: z.enum(['failover', 'distribute']).optional(),
    /** The default matrix: every host not routed apart by a scope. */
    matrix: matrixSchema.optional(),
    /**
     * Per host FQDN: the matrix its traffic follows (its own routing, or the default when it has
     * none), or `default` to state that it has no routing of its own.
     */
    scopes: z.record(z.string().min(1, 'a host FQDN'), z.union([z.literal('default', { message: SCOPE_VALUE }), matrixSchema], { message: SCOPE_VALUE })).optional(),
    health: z.record(z.string(), z.enum(['HEALTHY', 'DEGRADED', 'DOWN', 'RECOVERING'])).optional(),
    /**
     * The entry services (service scopes): `services` and `from` (VirtualServices, `namespace/name`)
     * as sets; `problem` a text the recorded problem contains, or null for none.
     */
    entry: z
      .object({
        services: z.array(z.string()).optional(),
        from: z.array(z.string()).optional(),
        problem: z.union([z.string().min(1), z.null()]).optional(),
      })
      .strict()
      .optional(),
    changed: z.boolean().optional(),
    refused: z.array(z.string()).optional(),
  })
  .strict();

const stepSchema = z
  .object({
    at: duration,
    signal: signalBody.optional(),
    tick: z.literal(true).optional(),
    command: commandBody.optional(),
    raw: z
      .object({
        kind: z.enum(rawPayloadKinds as [RawPayloadKind, ...RawPayloadKind[]]),
        body: z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())]).optional(),
        file: z.string().optional(),
        /** The region the callback URL names (`?region=`): CMS callbacks carry none in their body. */
        urlRegion: z.string().min(1, 'required').optional(),
      })
      .strict()
      .refine((r) => r.urlRegion === undefined || urlPayloadKinds.includes(r.kind), { message: `urlRegion: only ${urlPayloadKinds.join(' and ')} payloads arrive on a URL` })
      .optional(),
    actor: z.string().default('scenario'),
    /** From this step on, what each tick's read of the gateways' VirtualServices returns (policy scopes.entryFrom). */
    entryRead: entryReadSchema.optional(),
    expect: expectSchema.optional(),
  })
  .strict()
  .refine((s) => [s.signal, s.tick, s.command, s.raw].filter((x) => x !== undefined).length === 1, { message: 'each step has exactly one of signal, tick, command, raw' });

export const scenarioSchema = z
  .object({
    name: z.string().optional(),
    start: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO time'),
    tickEvery: duration.optional(),
    /** Policy scopes.entryFrom: the VirtualServices each tick's read returns from the start (a step's entryRead changes it). */
    virtualServices: z.array(virtualServiceSchema).optional(),
    steps: z.array(stepSchema).min(1, 'a scenario needs at least one step'),
  })
  .strict();

export type Scenario = z.output<typeof scenarioSchema>;

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
  return { met: checked.length - failed.length, failed: failed.length, failures: failed.flatMap((r) => r.failures.map((f) => `${r.at}: ${f}`)) };
}

export function expectationSummaryText(s: ExpectationSummary): string[] {
  if (s.met + s.failed === 0) return ['expectations: none stated in the scenario'];
  return [`expectations: ${s.met} met, ${s.failed} failed`, ...s.failures.map((f) => `  failed at ${f}`)];
}

function stepView(s: Step): Record<string, unknown> {
  if (s.kind === 'mesh') {
    const scopes = Object.entries(s.scopes ?? {});
    return {
      kind: 'mesh',
      mode: s.config.mode,
      localityLbSetting: s.config.localityLbSetting,
      ...(scopes.length ? { scopes: Object.fromEntries(scopes.map(([host, r]) => [host, { mode: r.config.mode, localityLbSetting: r.config.localityLbSetting }])) } : {}),
    };
  }
  const out: Record<string, unknown> = { ...s };
  if (s.kind === 'scale' && s.notBefore !== undefined) out.notBefore = new Date(s.notBefore).toISOString();
  return out;
}

/** One matrix row as the checks compare and print it: zero shares dropped, destinations sorted. */
const rowText = (row: Record<string, number> | undefined) => JSON.stringify(Object.fromEntries(Object.entries(row ?? {}).filter(([, v]) => v > 0).sort(([a], [b]) => a.localeCompare(b))));

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
      if (own) failures.push(`scopes.${host}: expected to follow the default, got its own routing (${own.mode}) ${Object.entries(own.matrix).map(([src, row]) => `${src}: ${rowText(row)}`).join(', ')}`);
      continue;
    }
    const got = own?.matrix ?? rec.matrix ?? {};
    for (const [src, row] of Object.entries(expected)) {
      if (rowText(row) !== rowText(got[src])) failures.push(`scopes.${host}.${src}: expected ${rowText(row)}, got ${rowText(got[src])}${own ? '' : ' (the host follows the default: it has no routing of its own)'}`);
    }
  }
  return failures;
}

const setText = (list: readonly string[] | undefined) => [...(list ?? [])].sort().join(', ') || '(none)';

function checkEntry(want: NonNullable<z.output<typeof expectSchema>['entry']>, rec: SimulationRecord): string[] {
  const got = rec.entry;
  if (!got) return ['entry: expected entry services, but the policy scopes no services'];
  const failures: string[] = [];
  if (want.services && setText(want.services) !== setText(got.services)) failures.push(`entry.services: expected ${setText(want.services)}, got ${setText(got.services)}${got.problem ? ` (latest read not used: ${got.problem})` : ''}`);
  if (want.from && setText(want.from) !== setText(got.from)) failures.push(`entry.from: expected ${setText(want.from)}, got ${setText(got.from)}`);
  if (want.problem === null && got.problem) failures.push(`entry.problem: expected none, got "${got.problem}"`);
  if (typeof want.problem === 'string' && !(got.problem ?? '').includes(want.problem)) failures.push(`entry.problem: expected one containing "${want.problem}", got ${got.problem ? `"${got.problem}"` : 'none'}`);
  return failures;
}

/** The failures of one step's `expect` against the record of its last input (none when it holds). */
export function checkExpect(expect: z.output<typeof expectSchema> | undefined, rec: SimulationRecord): string[] {
  if (!expect) return [];
  const failures: string[] = [];
  if (expect.mode && expect.mode !== rec.mode) failures.push(`mode: expected ${expect.mode}, got ${rec.mode}`);
  if (expect.changed !== undefined && expect.changed !== rec.changed) failures.push(`changed: expected ${expect.changed}, got ${rec.changed}`);
  if (expect.matrix) {
    for (const [src, row] of Object.entries(expect.matrix)) {
      const want = JSON.stringify(Object.fromEntries(Object.entries(row).filter(([, v]) => v > 0).sort()));
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
    if (JSON.stringify(got) !== JSON.stringify([...expect.refused].sort())) failures.push(`refused: expected ${expect.refused.join(',') || '(none)'}, got ${got.join(',') || '(none)'}`);
  }
  return failures;
}

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
  return Object.fromEntries(scopes.sort(([a], [b]) => a.localeCompare(b)).map(([host, r]) => [host, { mode: r.config.mode, matrix: compactMatrix(r.matrix, regionIds) }]));
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
      throw new RegionshiftError('SCENARIO.INVALID', hosts.length ? `${where}: not a host the policy scopes (scoped: ${hosts.join(', ')})` : `${where}: the policy scopes no services (add scopes.services to it)`);
    }
  }
}

/**
 * VirtualServices, an `entryRead` or an `expect.entry` with a policy that would never use them
 * would check nothing real: refused, naming where.
 */
function checkEntryKeys(policy: Policy, scenario: Scenario): void {
  const fromGateways = Boolean(policy.scopes?.entryFrom);
  const why = policy.scopes ? 'the policy names its entry services (scopes.entry), so nothing reads VirtualServices; set scopes.entryFrom instead' : 'the policy scopes no services (add scopes.services and scopes.entryFrom to it)';
  if (scenario.virtualServices && !fromGateways) throw new RegionshiftError('SCENARIO.INVALID', `virtualServices: ${why}`);
  for (const step of scenario.steps) {
    const where = `step at ${new Date(Date.parse(scenario.start) + step.at).toISOString()}`;
    if (step.entryRead && !fromGateways) throw new RegionshiftError('SCENARIO.INVALID', `${where}: entryRead: ${why}`);
    if (step.expect?.entry && !policy.scopes) throw new RegionshiftError('SCENARIO.INVALID', `${where}: expect.entry: the policy scopes no services (add scopes.services to it)`);
  }
}

/** The entry services as status would show them after a decision; null without service scopes. */
function entryOf(policy: Policy, state: MeshState): SimulationRecord['entry'] | null {
  const s = policy.scopes;
  if (!s) return null;
  if (!s.entryFrom) return { source: 'policy', services: [...(s.entry ?? [])] };
  return { source: 'virtualservices', services: state.entry?.services ?? [], from: state.entry?.from ?? [], problem: state.entry?.problem?.message ?? null };
}

/**
 * What a tick's read of the gateways' VirtualServices returns: the routes derived by the runtime's
 * own derivation (`entryRoutes`) from the scenario's objects, or the step's failure. Undefined
 * without `scopes.entryFrom`, or when the scenario gives no VirtualServices (nothing was read).
 */
function entryReadOf(policy: Policy, given: { virtualServices?: VirtualServiceObject[]; error?: string } | null, derive: typeof EntryRoutes | undefined): EntryRead | undefined {
  const gateways = policy.scopes?.entryFrom?.gateways;
  if (!gateways || !given) return undefined;
  if (given.error !== undefined) return { ok: false, error: given.error };
  if (!derive) throw new Error('simulate: this scenario gives VirtualServices; pass the runtime\'s derivation (entryRoutes of shared/adapters/mesh-virtualservices) as opts.entryRoutes');
  return { ok: true, routes: derive(given.virtualServices ?? [], gateways) };
}

/** Whether a scenario has VirtualServices to derive from (with a policy that reads them). */
export function needsEntryDerivation(policy: Policy, scenario: Scenario): boolean {
  return Boolean(policy.scopes?.entryFrom) && (scenario.virtualServices !== undefined || scenario.steps.some((st) => st.entryRead?.virtualServices !== undefined));
}

/**
 * `decide` is the core's unless a test gives another (one that adds scopes to the core's decisions,
 * say). `entryRoutes` is the runtime's derivation of the gateways' routes, required when the
 * scenario gives VirtualServices (`needsEntryDerivation`); the caller loads it.
 */
export function simulate(policy: Policy, scenario: Scenario, baseDir: string, opts: { decide?: typeof decide; entryRoutes?: typeof EntryRoutes } = {}): SimulationRecord[] {
  const decideFn = opts.decide ?? decide;
  checkScopeHosts(policy, scenario);
  checkEntryKeys(policy, scenario);
  const start = Date.parse(scenario.start);
  let state: MeshState | null = null;
  // What the VirtualService read returns now: the scenario's objects, changed by a step's entryRead.
  let read: { virtualServices?: VirtualServiceObject[]; error?: string } | null = scenario.virtualServices ? { virtualServices: scenario.virtualServices } : null;
  const records: SimulationRecord[] = [];
  for (const { offset, step } of timeline(scenario)) {
    const now = start + offset;
    const inputs: Array<{ input: Input; shown: unknown }> = [];
    if (step?.entryRead) read = step.entryRead;
    if (!step || step.tick) {
      // As the scheduler's tick does: the read goes with ticks only (an alarm never waits on it).
      const entry = entryReadOf(policy, read, opts.entryRoutes);
      inputs.push({ input: entry ? { kind: 'tick', entry } : { kind: 'tick' }, shown: { tick: true } });
    }
    else if (step.signal) {
      const sig = step.signal;
      const at = sig.at === undefined ? now : typeof sig.at === 'number' ? sig.at : Date.parse(sig.at);
      inputs.push({ input: { kind: 'signal', signal: { ...sig, at, ttl: sig.ttl ?? policy.detection.defaultTtl } }, shown: { signal: step.signal } });
    } else if (step.command) {
      inputs.push({ input: { kind: 'command', command: { ...step.command, actor: step.actor } }, shown: { command: step.command } });
    } else if (step.raw) {
      const text = step.raw.file ? readFileSync(resolve(baseDir, step.raw.file), 'utf8') : typeof step.raw.body === 'string' ? step.raw.body : JSON.stringify(step.raw.body);
      const { urlRegion } = step.raw;
      // As the alarm function does: a URL naming a region the policy lacks is refused.
      if (urlRegion !== undefined && !policy.regionIds.includes(urlRegion)) {
        throw new RegionshiftError('SCENARIO.INVALID', `step at ${new Date(now).toISOString()}: raw.urlRegion: unknown region ${urlRegion} (declared: ${policy.regionIds.join(', ')})`);
      }
      for (const raw of parseRawPayload(step.raw.kind, text, urlRegion)) {
        const { signals, note } = toSignals(raw, policy);
        if (signals.length === 0) inputs.push({ input: { kind: 'tick' }, shown: { raw: step.raw.kind, unmatched: note ?? 'no rule matched' } });
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

export function loadScenario(text: string): Scenario {
  const parsed = scenarioSchema.safeParse(parseYaml(text));
  if (!parsed.success) throw new RegionshiftError('SCENARIO.INVALID', `invalid scenario:\n  ${formatIssues(parsed.error.issues).join('\n  ')}`);
  return parsed.data;
}

export async function runSimulate(args: string[], out: { log(s: string): void; error(s: string): void }, env: Record<string, string | undefined>): Promise<number> {
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
    const entryRoutes = needsEntryDerivation(policy, scenario) ? (await import('../shared/adapters/mesh-virtualservices')).entryRoutes : undefined;
    const records = simulate(policy, scenario, dirname(resolve(scenarioFile)), { entryRoutes });
    const json = args.includes('--json');
    if (json) {
      for (const r of records) {
        const { explain: _e, failures: _f, checked: _c, ...rest } = r;
        out.log(JSON.stringify(rest));
      }
    } else {
      for (const r of records) if (r.steps.length || r.refused.length || r.explain.some((l) => l.includes('→'))) out.log(r.explain.join('\n'));
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

