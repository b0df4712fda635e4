import { UpstreamError } from '../../shared/core/errors';
import type { Clock } from '../../shared/ports/clock';
import type { ClusterScaler, DeploymentRef, DeploymentStatus } from '../../shared/ports/cluster-scaler';
import { FaultQueue, type FaultKind } from './faults';

export interface ScaleCall {
  ref: DeploymentRef;
  replicas: number;
  at: number;
}

export interface FakeScalerOptions {
  /** New pods become ready this long after a scale-up (virtual time). Default 30s. */
  readyDelayMs?: number;
  /** How often `waitReady` looks (virtual time). Default 1s. */
  pollMs?: number;
  /** Deployments that exist at the start, all ready: `cluster/namespace/name` → replicas. */
  deployments?: Record<string, number>;
  /** Unknown deployments are a 404 (as the Kubernetes API answers) instead of appearing on first use. */
  strict?: boolean;
}

type ScalerOp = 'get' | 'scale' | 'waitReady';

interface Deployment {
  replicas: number;
  ready: number;
  /** A scale-up in progress: all `replicas` are ready from this time on. */
  readyAt: number | null;
}

export const refKey = (ref: DeploymentRef): string => `${ref.cluster}/${ref.namespace}/${ref.name}`;

/**
 * In-memory Deployments in any number of clusters. A scale-up's new pods become ready
 * `readyDelayMs` later on the given clock (a FakeClock makes that instant in real time); a
 * scale-down takes effect at once. Failures are scripted with `failNext`.
 */
export class FakeClusterScaler implements ClusterScaler {
  /** Every accepted scale call, in order. */
  readonly scaleCalls: ScaleCall[] = [];
  readonly attempts: Record<ScalerOp, number> = { get: 0, scale: 0, waitReady: 0 };
  private readonly deployments = new Map<string, Deployment>();
  private readonly faults = new FaultQueue<ScalerOp>();
  private readonly readyDelayMs: number;
  private readonly pollMs: number;

  constructor(
    private readonly clock: Clock,
    private readonly opts: FakeScalerOptions = {},
  ) {
    this.readyDelayMs = opts.readyDelayMs ?? 30_000;
    this.pollMs = opts.pollMs ?? 1_000;
    for (const [key, replicas] of Object.entries(opts.deployments ?? {})) {
      this.deployments.set(key, { replicas, ready: replicas, readyAt: null });
    }
  }

  async get(ref: DeploymentRef): Promise<DeploymentStatus> {
    this.attempts.get++;
    this.faults.take('get');
    const d = this.settle(this.find(ref));
    return { replicas: d.replicas, readyReplicas: d.ready, availableReplicas: d.ready };
  }

  async scale(ref: DeploymentRef, replicas: number): Promise<void> {
    this.attempts.scale++;
    this.faults.take('scale');
    const d = this.settle(this.find(ref));
    this.scaleCalls.push({ ref: { ...ref }, replicas, at: this.clock.now() });
    if (replicas > d.ready) d.readyAt = this.clock.now() + this.readyDelayMs;
    else {
      d.ready = replicas;
      d.readyAt = null;
    }
    d.replicas = replicas;
  }

  async waitReady(ref: DeploymentRef, replicas: number, deadline: number): Promise<boolean> {
    this.attempts.waitReady++;
    this.faults.take('waitReady');
    for (;;) {
      if (this.settle(this.find(ref)).ready >= replicas) return true;
      const now = this.clock.now();
      if (now >= deadline) return false;
      await this.clock.sleep(Math.min(this.pollMs, deadline - now));
    }
  }

  /** The next `count` calls of `op` (default `scale`) fail; `'throttle'` is retryable. */
  failNext(count: number, kind: FaultKind, op: ScalerOp = 'scale'): void {
    this.faults.failNext(op, count, kind);
  }

  recover(op?: ScalerOp): void {
    this.faults.clear(op);
  }

  /** Current spec and ready replicas, without counting as an API call; undefined when unknown. */
  status(ref: DeploymentRef | string): DeploymentStatus | undefined {
    const d = this.deployments.get(typeof ref === 'string' ? ref : refKey(ref));
    if (!d) return undefined;
    this.settle(d);
    return { replicas: d.replicas, readyReplicas: d.ready, availableReplicas: d.ready };
  }

  /** Scale calls for one deployment, as `replicas` values in order. */
  scaledTo(ref: DeploymentRef | string): number[] {
    const key = typeof ref === 'string' ? ref : refKey(ref);
    return this.scaleCalls.filter((c) => refKey(c.ref) === key).map((c) => c.replicas);
  }

  private find(ref: DeploymentRef): Deployment {
    const key = refKey(ref);
    let d = this.deployments.get(key);
    if (!d) {
      if (this.opts.strict)
        throw new UpstreamError('K8S.NotFound', `deployments.apps "${ref.name}" not found in ${ref.cluster}/${ref.namespace}`, {
          retryable: false,
        });
      d = { replicas: 0, ready: 0, readyAt: null };
      this.deployments.set(key, d);
    }
    return d;
  }

  private settle(d: Deployment): Deployment {
    if (d.readyAt !== null && this.clock.now() >= d.readyAt) {
      d.ready = d.replicas;
      d.readyAt = null;
    }
    return d;
  }
}
