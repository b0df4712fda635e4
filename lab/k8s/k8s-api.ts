import { headerValue, type TwinReply, type TwinRequest } from '../twin-common/http-io';
import type { K8sAccess, K8sVerb } from './access';
import { FaultQueue } from '../twin-common/fault-queue';
import { jsonPatch, mergePatch } from './json-patch';
import { parseLabelSelector } from './label-selector';
import type { K8sObject, K8sObjectInput, ObjectStore } from './object-store';
import { DEPLOYMENTS, apiVersionOf, findResourceType, qualifiedResource, type ResourceType } from './resources';
import { scaleOf, scaleUpdate } from './scale-subresource';
import { badRequest, K8sStatusError, notFound } from './status-error';

/**
 * The Kubernetes API subset the adapters use, one mount per scope: namespaced
 * get/list/create/replace/patch/delete of DestinationRules, VirtualServices, WorkloadEntries and
 * Deployments, and
 * the Deployment scale subresource. Errors are metav1.Status bodies with the API server's codes.
 */

export type InjectedStatusCode = 429 | 500 | 503 | 504;

export interface ApiCall {
  scope: string;
  verb: K8sVerb;
  resource: string;
  namespace: string | undefined;
  name: string | undefined;
}

interface Route {
  rt: ResourceType;
  version: string;
  namespace: string | undefined;
  name: string | undefined;
  subresource: 'scale' | undefined;
}

const INJECTED: Record<InjectedStatusCode, { reason: K8sStatusError['reason']; message: string }> = {
  429: { reason: 'TooManyRequests', message: 'Too many requests, please try again later.' },
  500: { reason: 'InternalError', message: 'Internal error occurred: etcdserver: request timed out' },
  503: { reason: 'ServiceUnavailable', message: 'the server is currently unable to handle the request' },
  504: {
    reason: 'Timeout',
    message: 'the server was unable to return a response in the time allotted, but may still be processing the request',
  },
};

function parseRoute(path: string): Route | null {
  const parts = path
    .split('/')
    .filter((p) => p.length > 0)
    .map(decodeURIComponent);
  // The core group is served under /api/v1 (Nodes here), every other group under /apis/<group>/<version>.
  const core = parts[0] === 'api';
  if (core ? parts.length < 3 : parts[0] !== 'apis' || parts.length < 4) return null;
  const [group, version] = core ? ['', parts[1] as string] : [parts[1] as string, parts[2] as string];
  const base = core ? 2 : 3;
  let namespace: string | undefined;
  let rest: string[];
  if (parts[base] === 'namespaces' && parts.length >= base + 3) {
    namespace = parts[base + 1];
    rest = parts.slice(base + 2);
  } else {
    rest = parts.slice(base);
  }
  const [plural, name, subresource, ...extra] = rest;
  if (plural === undefined || extra.length > 0) return null;
  if (namespace === undefined && name !== undefined) return null;
  if (subresource !== undefined && subresource !== 'scale') return null;
  const rt = findResourceType(group, version, plural);
  if (!rt || (subresource === 'scale' && !rt.hasScale)) return null;
  return { rt, version, namespace, name, subresource };
}

function verbOf(method: string, route: Route): K8sVerb | null {
  const named = route.name !== undefined;
  switch (method) {
    case 'GET':
      return named ? 'get' : 'list';
    case 'POST':
      return !named && route.namespace !== undefined && !route.subresource ? 'create' : null;
    case 'PUT':
      return named ? 'update' : null;
    case 'PATCH':
      return named ? 'patch' : null;
    case 'DELETE':
      return named && !route.subresource ? 'delete' : null;
    default:
      return null;
  }
}

function parseJsonBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (e) {
    throw badRequest(`the request body is not valid JSON: ${(e as Error).message}`);
  }
}

function applyPatch(contentType: string, target: unknown, patch: unknown): unknown {
  if (contentType === 'application/merge-patch+json') return mergePatch(target, patch);
  if (contentType === 'application/json-patch+json') return jsonPatch(target, patch);
  throw new K8sStatusError(
    415,
    'UnsupportedMediaType',
    `the lab twin does not implement patch type ${JSON.stringify(contentType)}; use application/merge-patch+json or application/json-patch+json`,
  );
}

function served(obj: K8sObject, rt: ResourceType, version: string): K8sObject {
  return { ...obj, apiVersion: apiVersionOf(rt, version) };
}

export class K8sApi {
  private readonly faults = new FaultQueue<InjectedStatusCode, ApiCall>();
  private readonly observers: Array<(call: ApiCall) => void> = [];

  constructor(
    private readonly store: ObjectStore,
    private readonly access: K8sAccess,
    /** Resources served read-only from a derivation instead of the store (Pods from Deployments). */
    private readonly views: ReadonlyMap<ResourceType, (scope: string) => K8sObject[]> = new Map(),
  ) {}

  /** The next `times` matching calls (after authentication) fail with this status. */
  failNext(times: number, code: InjectedStatusCode, match: { scope?: string; verb?: K8sVerb; resource?: string } = {}): void {
    this.faults.add(
      times,
      code,
      (c) => (match.scope ?? c.scope) === c.scope && (match.verb ?? c.verb) === c.verb && (match.resource ?? c.resource) === c.resource,
    );
  }

  /**
   * Called with every authenticated, routed call just before it is served: lets a test act in
   * the window between a client's read and its write (another writer getting there first).
   */
  onRequest(observer: (call: ApiCall) => void): () => void {
    this.observers.push(observer);
    return () => this.observers.splice(this.observers.indexOf(observer), 1);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  handle(scope: string, req: TwinRequest): TwinReply {
    try {
      return this.route(scope, req);
    } catch (e) {
      if (e instanceof K8sStatusError) {
        const retryAfter = e.details?.retryAfterSeconds;
        return { status: e.code, body: e.toStatus(), ...(retryAfter ? { headers: { 'retry-after': String(retryAfter) } } : {}) };
      }
      const internal = new K8sStatusError(500, 'InternalError', `Internal error occurred: ${(e as Error).message}`);
      return { status: 500, body: internal.toStatus() };
    }
  }

  private route(scope: string, req: TwinRequest): TwinReply {
    if (!this.store.hasScope(scope)) throw new K8sStatusError(404, 'NotFound', 'the server could not find the requested resource');
    const grant = this.access.authenticate(headerValue(req.headers, 'authorization'));
    if (!grant) throw new K8sStatusError(401, 'Unauthorized', 'Unauthorized');
    const route = parseRoute(req.path);
    if (!route) throw new K8sStatusError(404, 'NotFound', 'the server could not find the requested resource');
    const verb = verbOf(req.method, route);
    if (!verb) throw new K8sStatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
    const resource = route.subresource ? `${route.rt.plural}/${route.subresource}` : route.rt.plural;
    const call: ApiCall = { scope, verb, resource, namespace: route.namespace, name: route.name };
    const fault = this.faults.take(call);
    if (fault) {
      const { reason, message } = INJECTED[fault];
      throw new K8sStatusError(fault, reason, message, fault === 429 ? { retryAfterSeconds: 1 } : undefined);
    }
    if (!this.access.allows(grant, scope, verb, resource)) {
      const target = route.name ? `${route.rt.plural}.${route.rt.group} "${route.name}"` : `${route.rt.plural}.${route.rt.group}`;
      const where = route.namespace ? ` in the namespace "${route.namespace}"` : ' at the cluster scope';
      throw new K8sStatusError(
        403,
        'Forbidden',
        `${target} is forbidden: User "${grant.subject}" cannot ${verb} resource "${resource}" in API group "${route.rt.group}"${where}`,
        {
          ...(route.name ? { name: route.name } : {}),
          group: route.rt.group,
          kind: route.rt.plural,
        },
      );
    }
    for (const observer of [...this.observers]) observer(call);
    for (const unsupported of ['dryRun', 'watch', 'fieldSelector'] as const) {
      if (req.query.has(unsupported)) throw badRequest(`${unsupported} is not supported by the lab twin`);
    }
    return route.subresource ? this.scale(scope, req, route, verb) : this.object(scope, req, route, verb);
  }

  private object(scope: string, req: TwinRequest, route: Route, verb: K8sVerb): TwinReply {
    const { rt, version, namespace, name } = route;
    const view = this.views.get(rt);
    if (view) return this.viewed(view(scope), req, route, verb);
    switch (verb) {
      case 'list': {
        const selector = parseLabelSelector(req.query.get('labelSelector') ?? '');
        const items = this.store
          .list(scope, rt, namespace)
          .filter((o) => selector(o.metadata.labels))
          .map((o) => served(o, rt, version));
        return {
          status: 200,
          body: {
            apiVersion: apiVersionOf(rt, version),
            kind: `${rt.kind}List`,
            metadata: { resourceVersion: this.store.resourceVersion },
            items,
          },
        };
      }
      case 'get':
        return { status: 200, body: served(this.store.get(scope, rt, namespace!, name!), rt, version) };
      case 'create':
        return { status: 201, body: served(this.store.create(scope, rt, namespace!, this.jsonObject(req)), rt, version) };
      case 'update':
        return { status: 200, body: served(this.store.replace(scope, rt, namespace!, name!, this.jsonObject(req)), rt, version) };
      case 'patch': {
        const contentType = this.contentType(req);
        const patch = parseJsonBody(req.body);
        const updated = this.store.update(
          scope,
          rt,
          namespace!,
          name!,
          (current) => applyPatch(contentType, served(current, rt, version), patch) as K8sObjectInput,
        );
        return { status: 200, body: served(updated, rt, version) };
      }
      case 'delete': {
        const gone = this.store.delete(scope, rt, namespace!, name!);
        return {
          status: 200,
          body: {
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Success',
            details: { name: gone.metadata.name, group: rt.group, kind: rt.plural, uid: gone.metadata.uid },
          },
        };
      }
      default:
        throw new K8sStatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    }
  }

  private viewed(all: K8sObject[], req: TwinRequest, route: Route, verb: K8sVerb): TwinReply {
    const { rt, version, namespace, name } = route;
    const inNamespace = all.filter((o) => namespace === undefined || o.metadata.namespace === namespace);
    if (verb === 'list') {
      const selector = parseLabelSelector(req.query.get('labelSelector') ?? '');
      const items = inNamespace.filter((o) => selector(o.metadata.labels)).map((o) => served(o, rt, version));
      return {
        status: 200,
        body: {
          apiVersion: apiVersionOf(rt, version),
          kind: `${rt.kind}List`,
          metadata: { resourceVersion: this.store.resourceVersion },
          items,
        },
      };
    }
    if (verb === 'get') {
      const found = inNamespace.find((o) => o.metadata.name === name);
      if (!found) throw notFound(qualifiedResource(rt), name ?? '', rt.group, rt.plural);
      return { status: 200, body: served(found, rt, version) };
    }
    // Derived from the Deployments: change those instead (as a ReplicaSet would recreate a deleted pod).
    throw new K8sStatusError(405, 'MethodNotAllowed', `the lab twin serves ${rt.plural} read-only; scale the Deployment instead`);
  }

  private scale(scope: string, req: TwinRequest, route: Route, verb: K8sVerb): TwinReply {
    const { namespace, name } = route;
    if (verb === 'get') return { status: 200, body: scaleOf(this.store.get(scope, DEPLOYMENTS, namespace!, name!)) };
    const contentType = verb === 'patch' ? this.contentType(req) : null;
    const body = verb === 'patch' ? parseJsonBody(req.body) : this.jsonObject(req);
    const updated = this.store.update(scope, DEPLOYMENTS, namespace!, name!, (current) => {
      const requested = contentType ? applyPatch(contentType, scaleOf(current), body) : body;
      return scaleUpdate(current, requested);
    });
    return { status: 200, body: scaleOf(updated) };
  }

  private jsonObject(req: TwinRequest): K8sObjectInput {
    const type = (headerValue(req.headers, 'content-type') ?? 'application/json').split(';')[0]!.trim();
    if (type !== 'application/json')
      throw new K8sStatusError(415, 'UnsupportedMediaType', `the lab twin accepts application/json bodies (got ${type})`);
    const parsed = parseJsonBody(req.body);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw badRequest('the request body must be a JSON object');
    return parsed as K8sObjectInput;
  }

  private contentType(req: TwinRequest): string {
    return (headerValue(req.headers, 'content-type') ?? '').split(';')[0]!.trim();
  }
}
