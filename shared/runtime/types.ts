import type { Policy } from '../core/policy';
import type { Clock } from '../ports/clock';
import type { CmsAlertingReader } from '../ports/cms-alerting';
import type { EngineApi } from '../engine/api';
import type { Notifier } from '../ports/notifier';
import type { StateStore } from '../ports/state-store';
import type { AccessLogReaderFactory } from '../ports/access-logs';
import type { TelemetryWindowStore } from '../ports/telemetry-windows';
import type { ReadinessReport } from '../readiness/checks';

/** The second argument FC 3.0 passes to a Node.js handler (the parts regionshift reads). */
export interface FcContext {
  requestId: string;
  credentials?: { accessKeyId: string; accessKeySecret: string; securityToken?: string };
  function?: { name: string; handler: string; memory: number; timeout: number };
  region?: string;
  accountId?: string;
  logger?: FcLogger;
}

interface FcLogger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

interface RuntimeSecrets {
  /** The token CMS and Alertmanager put in the callback URL. */
  alarmToken: string;
  /** HMAC key of the control API's signed requests. */
  controlSecret: string;
  /** Optional bearer token for read-only calls (dashboard, status scripts). */
  readToken?: string;
}

/**
 * Everything a handler needs, built once per container (cold start) by the runtime module and
 * injected into `makeHandler`, so tests swap in a fake engine and an in-memory store.
 */
export interface Runtime {
  engine: EngineApi;
  policy: Policy;
  store: StateStore;
  secrets: RuntimeSecrets;
  /** The policy's notification channels: the engine's, and the one anything else in the invocation notifies through. */
  notifier: Notifier;
  log(line: Record<string, unknown>): void;
  /**
   * The one clock of the invocation: the engine decides by it and the control API checks request
   * signatures' timestamps against it (tests and the lab pin it; FC: the system clock).
   */
  clock: Clock;
  /** The readiness checks against the live cloud (read-only); absent where no probes are wired. */
  readiness?: () => Promise<ReadinessReport>;
  /** CloudMonitor's alerting resources of one rule (policy `detection.cmsReconcile`); absent when the policy reads none. */
  cmsAlerting?: CmsAlertingReader;
  /** The telemetry function's parts: the window row's store and an SLS reader per endpoint. */
  telemetry?: { windows: TelemetryWindowStore; readerFor: AccessLogReaderFactory };
}

export type RuntimeFactory = (context: FcContext) => Promise<Runtime>;

/** The FC context once `injectRuntime` has run. */
export interface RuntimeContext extends FcContext {
  runtime?: Runtime;
}
