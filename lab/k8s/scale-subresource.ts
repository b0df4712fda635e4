import type { K8sObject, K8sObjectInput } from './object-store';
import { badRequest, K8sStatusError } from './status-error';

/** The `autoscaling/v1` Scale view of a Deployment, and how a Scale write maps back onto it. */

export interface ScaleObject {
  kind: 'Scale';
  apiVersion: 'autoscaling/v1';
  metadata: { name: string; namespace: string; uid: string; resourceVersion: string; creationTimestamp: string };
  spec: { replicas: number };
  status: { replicas: number; selector?: string };
}

interface DeploymentView {
  replicas?: number;
  selector?: { matchLabels?: Record<string, string> };
}

export function scaleOf(deployment: K8sObject): ScaleObject {
  const spec = (deployment.spec ?? {}) as DeploymentView;
  const status = (deployment.status ?? {}) as { replicas?: number };
  const labels = spec.selector?.matchLabels;
  const selector = labels
    ? Object.entries(labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')
    : undefined;
  const { name, namespace, uid, resourceVersion, creationTimestamp } = deployment.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
    spec: { replicas: spec.replicas ?? 1 },
    status: { replicas: status.replicas ?? 0, ...(selector ? { selector } : {}) },
  };
}

/** The Deployment with the Scale's replicas; the Scale's resourceVersion stays a precondition. */
export function scaleUpdate(current: K8sObject, requested: unknown): K8sObjectInput {
  if (typeof requested !== 'object' || requested === null || Array.isArray(requested))
    throw badRequest('the request body must be a Scale object');
  const scale = requested as Partial<ScaleObject> & { kind?: unknown; metadata?: { name?: unknown; resourceVersion?: unknown } };
  if (scale.kind !== undefined && scale.kind !== 'Scale') throw badRequest(`the kind of the object (${String(scale.kind)}) must be Scale`);
  if (scale.metadata?.name !== undefined && scale.metadata.name !== current.metadata.name) {
    throw badRequest(
      `the name of the object (${String(scale.metadata.name)}) does not match the name on the URL (${current.metadata.name})`,
    );
  }
  const replicas = scale.spec?.replicas;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    const message = `spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`;
    throw new K8sStatusError(422, 'Invalid', `Scale.autoscaling "${current.metadata.name}" is invalid: ${message}`, {
      name: current.metadata.name,
      group: 'autoscaling',
      kind: 'Scale',
      causes: [{ reason: 'FieldValueInvalid', message, field: 'spec.replicas' }],
    });
  }
  const rv = scale.metadata?.resourceVersion;
  return {
    ...current,
    metadata: { ...current.metadata, ...(typeof rv === 'string' && rv !== '' ? { resourceVersion: rv } : {}) },
    spec: { ...(current.spec as object), replicas },
  };
}
