import type { Clock } from '../../shared/ports/clock';
import type { K8sObject, ResourceBehavior } from './object-store';
import { K8sStatusError } from './status-error';

/**
 * The pods behind each Deployment, reduced to what matters for traffic: when each one became
 * (or becomes) ready. Readiness is computed from the clock whenever it is read, so status is
 * right at any instant without timers; the stored object's resourceVersion does not move when a
 * pod turns ready (the real controller would write status; nothing here watches for it).
 */

export const STARTUP_DELAY_ANNOTATION = 'lab.regionshift.io/startup-delay-ms';
export const DEFAULT_STARTUP_DELAY_MS = 2000;

interface Pod {
  startedAt: number;
  readyAt: number;
}

interface DeploymentSpecView {
  replicas?: unknown;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function startupDelayMs(obj: K8sObject): number {
  const raw = obj.metadata.annotations?.[STARTUP_DELAY_ANNOTATION];
  return raw === undefined ? DEFAULT_STARTUP_DELAY_MS : Number(raw);
}

function invalid(obj: K8sObject, field: string, message: string): K8sStatusError {
  const text = `${field}: ${message}`;
  return new K8sStatusError(422, 'Invalid', `Deployment.apps "${obj.metadata.name}" is invalid: ${text}`, {
    name: obj.metadata.name,
    group: 'apps',
    kind: 'Deployment',
    causes: [{ reason: 'FieldValueInvalid', message: text, field }],
  });
}

export function desiredReplicas(obj: K8sObject): number {
  const replicas = (obj.spec as DeploymentSpecView | undefined)?.replicas;
  return typeof replicas === 'number' ? replicas : 1;
}

export class DeploymentPods implements ResourceBehavior {
  private readonly pods = new Map<string, Pod[]>();

  constructor(private readonly clock: Clock) {}

  defaults(next: K8sObject): void {
    if (!isObject(next.spec)) next.spec = {};
    const spec = next.spec as Record<string, unknown>;
    if (spec.replicas === undefined || spec.replicas === null) spec.replicas = 1;
  }

  admit(_scope: string, next: K8sObject): void {
    const replicas = (next.spec as DeploymentSpecView).replicas;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw invalid(next, 'spec.replicas', `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`);
    }
    const delay = next.metadata.annotations?.[STARTUP_DELAY_ANNOTATION];
    if (delay !== undefined && !/^(0|[1-9][0-9]*)$/.test(delay)) {
      throw invalid(
        next,
        `metadata.annotations[${STARTUP_DELAY_ANNOTATION}]`,
        `Invalid value: ${JSON.stringify(delay)}: must be a whole number of milliseconds`,
      );
    }
  }

  committed(scope: string, next: K8sObject | null, previous: K8sObject | null): void {
    const ref = next ?? previous;
    if (!ref) return;
    const key = this.key(scope, ref.metadata.namespace, ref.metadata.name);
    if (!next) {
      this.pods.delete(key);
      return;
    }
    const now = this.clock.now();
    const pods = this.pods.get(key) ?? [];
    const want = desiredReplicas(next);
    if (pods.length < want) {
      const delay = startupDelayMs(next);
      for (let i = pods.length; i < want; i++) pods.push({ startedAt: now, readyAt: now + delay });
    } else if (pods.length > want) {
      // As the ReplicaSet controller does: give up pods that are not ready first, then the newest.
      pods.sort((a, b) => Number(a.readyAt <= now) - Number(b.readyAt <= now) || b.startedAt - a.startedAt);
      pods.splice(0, pods.length - want);
    }
    this.pods.set(key, pods);
  }

  present(scope: string, stored: K8sObject): K8sObject {
    const counts = this.counts(scope, stored.metadata.namespace, stored.metadata.name);
    const total = counts?.total ?? 0;
    const ready = counts?.ready ?? 0;
    // Like the API server's JSON, zero counts are omitted (omitempty), so readers must default them.
    const status: Record<string, number> = { observedGeneration: stored.metadata.generation };
    if (total > 0) {
      status.replicas = total;
      status.updatedReplicas = total;
    }
    if (ready > 0) {
      status.readyReplicas = ready;
      status.availableReplicas = ready;
    }
    if (total - ready > 0) status.unavailableReplicas = total - ready;
    return { ...stored, status };
  }

  /** Pods that exist and pods past their startup delay, or null for an unknown Deployment. */
  counts(scope: string, namespace: string, name: string): { total: number; ready: number } | null {
    const pods = this.pods.get(this.key(scope, namespace, name));
    if (!pods) return null;
    const now = this.clock.now();
    return { total: pods.length, ready: pods.filter((p) => p.readyAt <= now).length };
  }

  private key(scope: string, namespace: string, name: string): string {
    return `${scope}/${namespace}/${name}`;
  }
}
