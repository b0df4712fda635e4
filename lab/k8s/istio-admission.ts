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
