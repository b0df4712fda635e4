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

/** HTTPMatchRequest's fields (Istio networking/v1 virtual_service.proto); any other key is refused, as Istio's strict decode does. */
const HTTP_MATCH_KEYS = new Set([
  'name',
  'uri',
  'scheme',
  'method',
  'authority',
  'headers',
  'port',
  'sourceLabels',
  'gateways',
  'queryParams',
  'ignoreUriCase',
  'withoutHeaders',
  'sourceNamespace',
  'statPrefix',
]);
const STRING_MATCH_KEYS = ['exact', 'prefix', 'regex'];

/** A StringMatch is a oneof: at most one of exact/prefix/regex, a string, and a regex that compiles. */
function stringMatchProblems(path: string, m: unknown): string[] {
  if (!isObject(m)) return [`${path}: must be an object with exact, prefix or regex`];
  const problems: string[] = [];
  for (const k of Object.keys(m)) if (!STRING_MATCH_KEYS.includes(k)) problems.push(`${path}.${k}: unknown field`);
  const set = STRING_MATCH_KEYS.filter((k) => m[k] !== undefined);
  if (set.length > 1) problems.push(`${path}: only one of exact, prefix, regex (got ${set.join(', ')})`);
  for (const k of set) if (typeof m[k] !== 'string') problems.push(`${path}.${k}: must be a string`);
  if (typeof m.regex === 'string') {
    try {
      new RegExp(m.regex);
    } catch {
      problems.push(`${path}.regex: ${JSON.stringify(m.regex)} is not a valid regex`);
    }
  }
  return problems;
}

function httpMatchProblems(path: string, match: unknown): string[] {
  if (!Array.isArray(match)) return [`${path}: must be a list`];
  const problems: string[] = [];
  match.forEach((m: unknown, k) => {
    const at = `${path}[${k}]`;
    if (!isObject(m)) {
      problems.push(`${at}: must be an object`);
      return;
    }
    for (const key of Object.keys(m)) if (!HTTP_MATCH_KEYS.has(key)) problems.push(`${at}.${key}: unknown field`);
    for (const key of ['uri', 'scheme', 'method', 'authority'])
      if (m[key] !== undefined) problems.push(...stringMatchProblems(`${at}.${key}`, m[key]));
    for (const key of ['headers', 'withoutHeaders', 'queryParams']) {
      const map = m[key];
      if (map === undefined) continue;
      if (!isObject(map)) problems.push(`${at}.${key}: must be a map of name to StringMatch`);
      else for (const [name, cond] of Object.entries(map)) problems.push(...stringMatchProblems(`${at}.${key}.${name}`, cond));
    }
    if (m.ignoreUriCase !== undefined && typeof m.ignoreUriCase !== 'boolean') problems.push(`${at}.ignoreUriCase: must be a boolean`);
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
    if (isObject(route) && route.match !== undefined && route.match !== null)
      problems.push(...httpMatchProblems(`spec.http[${i}].match`, route.match));
    const destinations = isObject(route) ? route.route : undefined;
    if (!Array.isArray(destinations) || destinations.length === 0) {
      problems.push(`spec.http[${i}].route: http route is required`);
      return;
    }
    destinations.forEach((d: unknown, j) => {
      const host = isObject(d) && isObject(d.destination) ? d.destination.host : undefined;
      if (typeof host !== 'string' || host.length === 0)
        problems.push(`spec.http[${i}].route[${j}].destination.host: host must be specified`);
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
  if ((address === undefined || address === '') && (typeof spec.network !== 'string' || spec.network === ''))
    problems.push('spec.address: address is required');
  const ports = spec.ports ?? {};
  if (!isObject(ports)) problems.push('spec.ports: must be a map of port name to number');
  else {
    for (const [name, port] of Object.entries(ports)) {
      if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535)
        problems.push(`spec.ports[${name}]: port number ${String(port)} must be in the range 1..65535`);
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
      if (parts.length > 3 || parts.some((p) => p === ''))
        problems.push(`spec.locality: ${JSON.stringify(locality)} must be region, region/zone or region/zone/subzone`);
    }
  }
  return problems;
}

/**
 * Istio's validateServiceEntry, for what the lab reads: at least one host, no bare `*`, and
 * each endpoint an address with string labels.
 */
export function serviceEntryProblems(spec: unknown): string[] {
  if (!isObject(spec)) return ['spec: required'];
  const problems: string[] = [];
  const hosts = spec.hosts;
  if (!Array.isArray(hosts) || hosts.length === 0) problems.push('spec.hosts: service entry must have at least one host');
  else
    hosts.forEach((h: unknown, i) => {
      if (typeof h !== 'string' || h.length === 0) problems.push(`spec.hosts[${i}]: must be a non-empty string`);
      else if (h === '*') problems.push(`spec.hosts[${i}]: invalid host *`);
    });
  const endpoints = spec.endpoints ?? [];
  if (!Array.isArray(endpoints)) return [...problems, 'spec.endpoints: must be a list'];
  endpoints.forEach((e: unknown, i) => {
    if (!isObject(e)) {
      problems.push(`spec.endpoints[${i}]: must be an object`);
      return;
    }
    if (typeof e.address !== 'string' || e.address.length === 0) problems.push(`spec.endpoints[${i}].address: address is required`);
    const labels = e.labels ?? {};
    if (!isObject(labels)) problems.push(`spec.endpoints[${i}].labels: must be a map of strings`);
    else
      for (const [k, v] of Object.entries(labels))
        if (typeof v !== 'string') problems.push(`spec.endpoints[${i}].labels[${k}]: must be a string`);
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
        {
          name: next.metadata.name,
          group: 'networking.istio.io',
          kind: next.kind,
          causes: problems.map((message) => ({ reason: 'FieldValueInvalid', message })),
        },
      );
    },
  };
}

export const destinationRuleAdmission: ResourceBehavior = webhook(destinationRuleProblems);
export const virtualServiceAdmission: ResourceBehavior = webhook(virtualServiceProblems);
export const workloadEntryAdmission: ResourceBehavior = webhook(workloadEntryProblems);
export const serviceEntryAdmission: ResourceBehavior = webhook(serviceEntryProblems);
