import { parsePolicy } from '../../shared/core/policy';
import type { ControlCommand, Plan, Signal } from '../../shared/core/types';
import type { DecisionOutcome, EngineApi, StatusView } from '../../shared/engine/api';
import type { Runtime } from '../../shared/runtime/types';
import type { AuditEvent, PlanRecord, StateStore, StoredEvent, VersionedState } from '../../shared/ports/state-store';
import { FakeClock, RecordingNotifier } from '../../lab/fakes';

/** Test doubles for the functions: an engine that records what it was asked, and a key store. */

export const ALARM_TOKEN = 'alarm-token-5f1c9e';
export const CONTROL_SECRET = 'control-secret-0b7d42';
export const READ_TOKEN = 'read-token-a81e33';

export const testPolicy = parsePolicy({
  name: 'bookinfo',
  mesh: { backend: 'asm', meshId: 'bookinfo-mesh', apiRegion: 'cn-hangzhou' },
  regions: { 'cn-hangzhou': { clusters: [{ id: 'c-hangzhou' }] }, 'cn-shanghai': { clusters: [{ id: 'c-shanghai' }] } },
  detection: {
    rules: [
      // The region comes from the callback URL (?region=), the default: a CMS callback names none.
      {
        name: 'cms-5xx',
        match: { source: 'cms', alertName: '*-5xx-*' },
        region: { fromUrl: true },
        severity: { CRITICAL: 'down', WARN: 'degraded' },
      },
      { name: 'ack-node-not-ready', match: { source: 'ack', alertName: 'NodeNotReady' }, region: { fromCluster: true }, severity: 'down' },
      {
        name: 'alertmanager-reviews',
        match: { source: 'alertmanager', labels: { service: 'reviews' } },
        region: { fromLabel: 'region' },
        severity: { critical: 'down', warning: 'degraded' },
      },
    ],
  },
});

export function plan(id: string, over: Partial<Plan> = {}): Plan {
  return { id, at: 1_793_672_130_000, trigger: 'test', reasons: [], before: null, after: null, steps: [], refused: [], ...over };
}

export function outcome(over: Partial<DecisionOutcome> = {}): DecisionOutcome {
  return { plan: plan('p-1'), explain: ['nothing to do'], committed: true, executed: 0, handedOff: false, ...over };
}

export const statusView: StatusView = {
  mesh: 'bookinfo',
  version: 7,
  at: '2026-11-03T02:15:30.000Z',
  paused: null,
  health: { 'cn-hangzhou': { status: 'HEALTHY', since: '2026-11-01T00:00:00.000Z', causes: [] } },
  matrix: { 'cn-hangzhou': { 'cn-hangzhou': 100 }, 'cn-shanghai': { 'cn-shanghai': 100 } },
  config: null,
  intended: null,
  confirmed: null,
  shifting: false,
  override: null,
  drill: null,
  activeSignals: [],
  openPlans: [],
  refused: [],
  refusedSince: null,
  schedules: [],
};

export type EngineCall =
  | { method: 'ingest'; signals: Signal[]; actor: string }
  | { method: 'command'; command: ControlCommand; dryRun: boolean }
  | { method: 'tick' }
  | { method: 'execute'; planId: string }
  | { method: 'status' }
  | { method: 'history'; limit: number; before?: number }
  | { method: 'recordUnmatched'; source: string; summary: string; detail: unknown };

export class FakeEngine implements EngineApi {
  readonly calls: EngineCall[] = [];
  commandOutcome: DecisionOutcome = outcome();
  executeResult: PlanRecord | null = null;
  events: StoredEvent[] = [];
  /** When set, every call rejects with it (after being recorded). */
  failWith: Error | null = null;
  /** The time of the tick's decision (the engine's clock). */
  tickAt = 1_793_672_130_000;

  private async record<T>(call: EngineCall, value: T): Promise<T> {
    this.calls.push(call);
    if (this.failWith) throw this.failWith;
    return value;
  }
  ingest(signals: Signal[], actor: string) {
    return this.record(
      { method: 'ingest', signals, actor },
      signals.length ? [outcome({ plan: plan('p-sig-0', { trigger: signals.map((s) => s.key).join(', ') }) })] : [],
    );
  }
  command(command: ControlCommand, opts: { dryRun: boolean }) {
    return this.record(
      { method: 'command', command, dryRun: opts.dryRun },
      { ...this.commandOutcome, committed: opts.dryRun ? false : this.commandOutcome.committed },
    );
  }
  tick() {
    return this.record(
      { method: 'tick' },
      { decision: outcome({ plan: plan('p-tick', { at: this.tickAt }) }), resumed: ['p-old'], drift: null },
    );
  }
  execute(planId: string) {
    return this.record({ method: 'execute', planId }, this.executeResult);
  }
  status() {
    return this.record({ method: 'status' }, statusView);
  }
  history(opts: { limit: number; before?: number }) {
    return this.record({ method: 'history', ...opts }, this.events.slice(0, opts.limit));
  }
  recordUnmatched(source: string, summary: string, detail: unknown) {
    return this.record({ method: 'recordUnmatched', source, summary, detail }, undefined);
  }
}

/** Only `rememberKey` is used by the edge; the rest belongs to the engine and fails loudly if touched. */
export class MemoryKeyStore implements StateStore {
  readonly keys = new Map<string, number>();
  rememberKey(key: string, expiresAt: number, now: number): Promise<boolean> {
    const until = this.keys.get(key);
    if (until !== undefined && until > now) return Promise.resolve(false);
    this.keys.set(key, expiresAt);
    return Promise.resolve(true);
  }
  private unused(): never {
    throw new Error('the functions must not touch the state store beyond rememberKey');
  }
  load(): Promise<VersionedState> {
    return this.unused();
  }
  commit(): Promise<number> {
    return this.unused();
  }
  appendEvents(_e: AuditEvent[]): Promise<void> {
    return this.unused();
  }
  listEvents(): Promise<StoredEvent[]> {
    return this.unused();
  }
  getPlan(): Promise<PlanRecord | null> {
    return this.unused();
  }
  listOpenPlans(): Promise<PlanRecord[]> {
    return this.unused();
  }
  acquireLease(): Promise<boolean> {
    return this.unused();
  }
  releaseLease(): Promise<void> {
    return this.unused();
  }
  recordStep(): Promise<void> {
    return this.unused();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

export interface FakeRuntime extends Runtime {
  engine: FakeEngine;
  store: MemoryKeyStore;
  notifier: RecordingNotifier;
  clock: FakeClock;
  lines: Array<Record<string, unknown>>;
}

/** The instant a fake runtime's clock starts at (the sample events' day, 10:15:30 in Shanghai). */
export const FAKE_RUNTIME_NOW = Date.UTC(2026, 10, 3, 2, 15, 30);

export function fakeRuntime(secrets: Partial<Runtime['secrets']> = {}, policy: Runtime['policy'] = testPolicy): FakeRuntime {
  const lines: Array<Record<string, unknown>> = [];
  return {
    engine: new FakeEngine(),
    policy,
    store: new MemoryKeyStore(),
    notifier: new RecordingNotifier(),
    clock: new FakeClock(FAKE_RUNTIME_NOW),
    secrets: { alarmToken: ALARM_TOKEN, controlSecret: CONTROL_SECRET, readToken: READ_TOKEN, ...secrets },
    log: (line) => lines.push(line),
    lines,
  };
}

/** An FC 3.0 HTTP trigger event, as a Buffer like FC passes it. */
export function httpEvent(p: {
  method: string;
  path: string;
  query?: Record<string, string | string[]>;
  headers?: Record<string, string>;
  body?: string;
  base64?: boolean;
}): Buffer {
  const body = p.body ?? '';
  return Buffer.from(
    JSON.stringify({
      version: 'v1',
      rawPath: p.path,
      headers: p.headers ?? {},
      queryParameters: p.query ?? {},
      body: p.base64 ? Buffer.from(body).toString('base64') : body,
      isBase64Encoded: p.base64 ?? false,
      requestContext: {
        accountId: '1234567890123456',
        http: { method: p.method, path: p.path, protocol: 'HTTP/1.1', sourceIp: '10.0.0.8', userAgent: 'test' },
        requestId: 'r-1',
        time: 'now',
        timeEpoch: '0',
      },
    }),
  );
}

export const fcContext = (requestId = 'req-1') => ({
  requestId,
  function: { name: 'regionshift-test', handler: 'index.handler', memory: 512, timeout: 30 },
  region: 'cn-hangzhou',
  accountId: '1234567890123456',
});
