import type { DeploymentPods } from './deployment-pods';
import type { K8sObject, ObjectStore } from './object-store';
import { DEPLOYMENTS, NODES } from './resources';

/**
 * Pods as the API server lists them, derived from each Deployment's pod count and readiness
 * (the twin has no pod objects of its own): read-only, so `kubectl get pods -o wide` shows which
 * node, zone and kind of node (an ECS node, or an ECI virtual node in an ASK cluster) each pod
 * runs on. Pods are placed on the zones the lab seeded for the Deployment (annotations below),
 * round-robin as the data plane places them, else on every zone of the cluster's nodes.
 */

/** Zones a seeded Deployment's pods spread over, comma-separated, in the data plane's order. */
export const ZONES_ANNOTATION = 'lab.regionshift.io/zones';
/** The subzone (Istio's `topology.istio.io/subzone` node label) its pods run in. */
export const SUBZONE_ANNOTATION = 'lab.regionshift.io/subzone';

const ZONE_LABEL = 'topology.kubernetes.io/zone';
const SUBZONE_LABEL = 'topology.istio.io/subzone';

interface TemplateView {
  template?: { metadata?: { labels?: Record<string, string> } };
}

export function podView(store: ObjectStore, pods: DeploymentPods): (scope: string) => K8sObject[] {
  return (scope) => {
    const nodes = store.list(scope, NODES).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    const nodeZones = [...new Set(nodes.map((n) => n.metadata.labels?.[ZONE_LABEL]).filter((z): z is string => z !== undefined))];
    const out: K8sObject[] = [];
    for (const d of store.list(scope, DEPLOYMENTS)) {
      const counts = pods.counts(scope, d.metadata.namespace, d.metadata.name);
      if (!counts) continue;
      const annotated = d.metadata.annotations?.[ZONES_ANNOTATION];
      const zones = annotated ? annotated.split(',') : nodeZones;
      const subzone = d.metadata.annotations?.[SUBZONE_ANNOTATION];
      const labels = (d.spec as TemplateView | undefined)?.template?.metadata?.labels ?? {};
      for (let i = 0; i < counts.total; i++) {
        const zone = zones.length > 0 ? zones[i % zones.length] : undefined;
        const node = nodes.find(
          (n) => n.metadata.labels?.[ZONE_LABEL] === zone && (subzone === undefined || n.metadata.labels?.[SUBZONE_LABEL] === subzone),
        );
        // The data plane counts the first `ready` pods as the ready ones; the view agrees.
        const ready = i < counts.ready;
        out.push({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: `${d.metadata.name}-${i}`,
            namespace: d.metadata.namespace,
            uid: `${d.metadata.uid}-${i}`,
            resourceVersion: d.metadata.resourceVersion,
            generation: 1,
            creationTimestamp: d.metadata.creationTimestamp,
            labels: { ...labels },
            ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name, uid: d.metadata.uid, controller: true }],
          },
          spec: { ...(node ? { nodeName: node.metadata.name } : {}) },
          status: { phase: ready ? 'Running' : 'Pending', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
        });
      }
    }
    return out;
  };
}
