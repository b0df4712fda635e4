import { localityLbProblems, type LocalityLbSettingInput } from '../../shared/core/mesh-validation';
import type { K8sObject, ResourceBehavior } from './object-store';
import { K8sStatusError } from './status-error';

/**
 * Istio's validating webhook (`validation.istio.io`) for the fields the lab cares about. The
 * real webhook's denial reaches clients as a 400 (the API server raises codes below 400 to 400);
 * the twin answers 422 Invalid, as a schema-level rejection does, so a client must treat both as
 * "the mesh refused this config".
 */

interface TrafficPolicyInput {
  loadBalancer?: { localityLbSetting?: LocalityLbSettingInput | null } | null;
  portLevelSettings?: Array<TrafficPolicyInput | null> | null;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function trafficPolicyProblems(path: string, policy: unknown): string[] {
  if (policy === undefined || policy === null) return [];
  if (!isObject(policy)) return [`${path}: must be an object`];
  const tp = policy as TrafficPolicyInput;
  const problems = localityLbProblems(tp.loadBalancer?.localityLbSetting).map((p) => `${path}.loadBalancer.${p}`);
  (tp.portLevelSettings ?? []).forEach((pls, i) => {
    problems.push(...trafficPolicyProblems(`${path}.portLevelSettings[${i}]`, pls));
  });
  return problems;
}

export function destinationRuleProblems(spec: unknown): string[] {
  if (!isObject(spec)) return ['spec: required'];
  const problems: string[] = [];
  if (typeof spec.host !== 'string' || spec.host.length === 0) problems.push('spec.host: host must be specified');
  problems.push(...trafficPolicyProblems('spec.trafficPolicy', spec.trafficPolicy));
  const subsets = spec.subsets ?? [];
  if (!Array.isArray(subsets)) return [...problems, 'spec.subsets: must be a list'];
  const seen = new Set<string>();
  subsets.forEach((subset: unknown, i) => {
    const name = isObject(subset) ? subset.name : undefined;
    if (typeof name !== 'string' || name.length === 0) problems.push(`spec.subsets[${i}].name: subset name must be specified`);
    else if (seen.has(name)) problems.push(`spec.subsets[${i}].name: duplicate subset name ${name}`);
    else seen.add(name);
    if (isObject(subset)) problems.push(...trafficPolicyProblems(`spec.subsets[${i}].trafficPolicy`, subset.trafficPolicy));
  });
  return problems;
}

export function virtualServiceProblems(spec: unknown): string[] {
  if (!isObject(spec)) return ['spec: required'];
  const problems: string[] = [];
  const hosts = spec.hosts;
  if (!Array.isArray(hosts) || hosts.length === 0 || hosts.some((h) => typeof h !== 'string' || h.length === 0)) {
    problems.push('spec.hosts: virtual service must have at least one host');
  }
  const http = spec.http ?? [];
  if (!Array.isArray(http)) return [...problems, 'spec.http: must be a list'];
  http.forEach((route: unknown, i) => {
    const destinations = isObject(route) ? route.route : undefined;
    if (!Array.isArray(destinations) || destinations.length === 0) {
      problems.push(`spec.http[${i}].route: http route is required`);
      return;
    }
    destinations.forEach((d: unknown, j) => {
      const host = isObject(d) && isObject(d.destination) ? d.destination.host : undefined;
      if (typeof host !== 'string' || host.length === 0) problems.push(`spec.http[${i}].route[${j}].destination.host: host must be specified`);
      const weight = isObject(d) ? d.weight : undefined;
      if (weight !== undefined && (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 0)) {
        problems.push(`spec.http[${i}].route[${j}].weight: weight must be a non-negative integer`);
      }
    });
  });
  return problems;
}

const LABEL_KEY_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;

/**
 * Istio's validateWorkloadEntry: an address unless a network is set, ports 1-65535, label maps
 * of strings. Istio's webhook does not parse spec.locality; the twin additionally refuses more
 * than three `/`-separated parts or an empty part (region/zone/subzone), the form Envoy reads,
 * so a lab scenario cannot carry a locality the readiness check would have to guess at.
 */
export function workloadEntryProblems(spec: unknown): string[] {
  if (!isObject(spec)) return ['spec: required'];
  const problems: string[] = [];
  const address = spec.address;
  if (address !== undefined && typeof address !== 'string') problems.push('spec.address: must be a string');
  if ((address === undefined || address === '') && (typeof spec.network !== 'string' || spec.network === '')) problems.push('spec.address: address is required');
  const ports = spec.ports ?? {};
  if (!isObject(ports)) problems.push('spec.ports: must be a map of port name to number');
  else {
    for (const [name, port] of Object.entries(ports)) {
      if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) problems.push(`spec.ports[${name}]: port number ${String(port)} must be in the range 1..65535`);
    }
  }
  const labels = spec.labels ?? {};
  if (!isObject(labels)) problems.push('spec.labels: must be a map of strings');
  else {
    for (const [k, v] of Object.entries(labels)) {
      const key = k.includes('/') ? k.slice(k.lastIndexOf('/') + 1) : k;
      if (!LABEL_KEY_NAME.test(key)) problems.push(`spec.labels: invalid label key ${JSON.stringify(k)}`);
      if (typeof v !== 'string') problems.push(`spec.labels[${k}]: must be a string`);
    }
  }
  const locality = spec.locality;
  if (locality !== undefined && locality !== '') {
    if (typeof locality !== 'string') problems.push('spec.locality: must be a string');
    else {
      const parts = locality.split('/');
      if (parts.length > 3 || parts.some((p) => p === '')) problems.push(`spec.locality: ${JSON.stringify(locality)} must be region, region/zone or region/zone/subzone`);
    }
  }
  return problems;
}

function webhook(problemsOf: (spec: unknown) => string[]): ResourceBehavior {
  return {
    admit(_scope: string, next: K8sObject): void {
      const problems = problemsOf(next.spec);
      if (problems.length === 0) return;
      throw new K8sStatusError(
        422,
        'Invalid',
        `admission webhook "validation.istio.io" denied the request: configuration is invalid: ${problems.join('; ')}`,
        { name: next.metadata.name, group: 'networking.istio.io', kind: next.kind, causes: problems.map((message) => ({ reason: 'FieldValueInvalid', message })) },
      );
    },
  };
}

export const destinationRuleAdmission: ResourceBehavior = webhook(destinationRuleProblems);
export const virtualServiceAdmission: ResourceBehavior = webhook(virtualServiceProblems);
export const workloadEntryAdmission: ResourceBehavior = webhook(workloadEntryProblems);
