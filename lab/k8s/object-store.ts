import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../shared/ports/clock';
import { jsonEqual } from './json-patch';
import { apiVersionOf, qualifiedResource, type ResourceType } from './resources';
import { badRequest, conflict, K8sStatusError, notFound } from './status-error';

/**
 * The twin's etcd: objects per scope (each cluster id, and `mesh` for the mesh control plane),
 * one resourceVersion counter for all of them (as etcd's revision), server-owned metadata, and
 * change events. Writes go through the resource behaviours (admission, then side effects), so a
 * write made by lab code directly is validated exactly like one that came over HTTP.
 */

export interface ObjectMeta {
  name: string;
  namespace: string;
  uid: string;
  resourceVersion: string;
  generation: number;
  creationTimestamp: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: unknown;
  status?: unknown;
  [field: string]: unknown;
}

/** What a client sends: server-owned metadata may be absent. */
export interface K8sObjectInput {
  apiVersion?: string;
  kind?: string;
  metadata?: Partial<ObjectMeta>;
  spec?: unknown;
  [field: string]: unknown;
}

export interface StoreChange {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  scope: string;
  resource: ResourceType;
  object: K8sObject;
}

export interface ResourceBehavior {
  /** Defaulting (mutates `next`), as the API server fills defaults before validation. */
  defaults?(next: K8sObject): void;
  /** Admission: throw a K8sStatusError (422 Invalid) to refuse the write. */
  admit?(scope: string, next: K8sObject, previous: K8sObject | null): void;
  /** Runs after a write is committed; `next` is null on delete. */
  committed?(scope: string, next: K8sObject | null, previous: K8sObject | null): void;
  /** Read-time view: fields derived from time, such as a Deployment's status. */
  present?(scope: string, stored: K8sObject): K8sObject;
}

const SERVER_OWNED = ['uid', 'resourceVersion', 'generation', 'creationTimestamp'] as const;

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function nameProblem(field: string, value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0) return `${field}: Required value: name or generateName is required`;
  if (value.length > 253 || !DNS1123_SUBDOMAIN.test(value)) {
    return `${field}: Invalid value: ${JSON.stringify(value)}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`;
  }
  return null;
}

function toIsoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export class ObjectStore {
  private readonly objects = new Map<string, Map<string, K8sObject>>();
  private readonly behaviors = new Map<ResourceType, ResourceBehavior>();
  private readonly events = new EventEmitter();
  private revision = 0;
  private readonly scopeNames: Set<string>;

  constructor(
    private readonly clock: Clock,
    scopes: string[],
  ) {
    this.scopeNames = new Set(scopes);
  }

  get scopes(): string[] {
    return [...this.scopeNames];
  }

  hasScope(scope: string): boolean {
    return this.scopeNames.has(scope);
  }

  /** The newest resourceVersion handed out (a list's metadata.resourceVersion). */
  get resourceVersion(): string {
    return String(this.revision);
  }

  setBehavior(rt: ResourceType, behavior: ResourceBehavior): void {
    this.behaviors.set(rt, behavior);
  }

  onChange(listener: (change: StoreChange) => void): () => void {
    this.events.on('change', listener);
    return () => this.events.off('change', listener);
  }

  find(scope: string, rt: ResourceType, namespace: string, name: string): K8sObject | null {
    const stored = this.bucket(scope, rt).get(`${namespace}/${name}`);
    return stored ? this.present(scope, rt, stored) : null;
  }

  get(scope: string, rt: ResourceType, namespace: string, name: string): K8sObject {
    const found = this.find(scope, rt, namespace, name);
    if (!found) throw notFound(qualifiedResource(rt), name, rt.group, rt.plural);
    return found;
  }

  /** Sorted by namespace, then name; all namespaces when `namespace` is undefined. */
  list(scope: string, rt: ResourceType, namespace?: string): K8sObject[] {
    return [...this.bucket(scope, rt).values()]
      .filter((o) => namespace === undefined || o.metadata.namespace === namespace)
      .sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`))
      .map((o) => this.present(scope, rt, o));
  }

  create(scope: string, rt: ResourceType, namespace: string, input: K8sObjectInput): K8sObject {
    const name = input.metadata?.name;
    this.checkIdentity(rt, namespace, name, input);
    const problem = nameProblem('metadata.name', name);
    if (problem)
      throw new K8sStatusError(422, 'Invalid', `${rt.kind}.${rt.group} ${JSON.stringify(name ?? '')} is invalid: ${problem}`, {
        name: String(name ?? ''),
        group: rt.group,
        kind: rt.kind,
        causes: [{ reason: 'FieldValueInvalid', message: problem, field: 'metadata.name' }],
      });
    const key = `${namespace}/${name}`;
    const bucket = this.bucket(scope, rt);
    if (bucket.has(key)) {
      throw new K8sStatusError(409, 'AlreadyExists', `${qualifiedResource(rt)} "${name}" already exists`, {
        name,
        group: rt.group,
        kind: rt.plural,
      });
    }
    const next = this.normalize(rt, namespace, input);
    Object.assign(next.metadata, { uid: randomUUID(), generation: 1, creationTimestamp: toIsoSeconds(this.clock.now()) });
    this.behaviors.get(rt)?.defaults?.(next);
    return this.commit(scope, rt, key, next, null);
  }

  /**
   * PUT: a full replacement. A metadata.resourceVersion in the body is a precondition (409 when
   * stale); custom resources require one.
   */
  replace(scope: string, rt: ResourceType, namespace: string, name: string, input: K8sObjectInput): K8sObject {
    this.checkIdentity(rt, namespace, name, input);
    const current = this.storedOrThrow(scope, rt, namespace, name);
    const expected = input.metadata?.resourceVersion;
    if (expected === undefined || expected === '') {
      if (!rt.unconditionalUpdate) {
        const message = 'metadata.resourceVersion: Invalid value: 0x0: must be specified for an update';
        throw new K8sStatusError(422, 'Invalid', `${rt.kind}.${rt.group} "${name}" is invalid: ${message}`, {
          name,
          group: rt.group,
          kind: rt.kind,
          causes: [{ reason: 'FieldValueInvalid', message, field: 'metadata.resourceVersion' }],
        });
      }
    } else if (expected !== current.metadata.resourceVersion) {
      throw conflict(qualifiedResource(rt), name, rt.group, rt.plural);
    }
    return this.commitUpdate(scope, rt, current, this.normalize(rt, namespace, input));
  }

  /**
   * Read-modify-write for PATCH: `change` gets the current object as the client would see it.
   * A resourceVersion the patch sets is a precondition, as in the API server.
   */
  update(scope: string, rt: ResourceType, namespace: string, name: string, change: (current: K8sObject) => K8sObjectInput): K8sObject {
    const current = this.storedOrThrow(scope, rt, namespace, name);
    const changed = change(this.present(scope, rt, current));
    this.checkIdentity(rt, namespace, name, changed);
    const rv = changed.metadata?.resourceVersion;
    if (rv !== undefined && rv !== current.metadata.resourceVersion) throw conflict(qualifiedResource(rt), name, rt.group, rt.plural);
    return this.commitUpdate(scope, rt, current, this.normalize(rt, namespace, changed));
  }

  delete(scope: string, rt: ResourceType, namespace: string, name: string): K8sObject {
    const current = this.storedOrThrow(scope, rt, namespace, name);
    this.bucket(scope, rt).delete(`${namespace}/${name}`);
    this.revision += 1;
    this.behaviors.get(rt)?.committed?.(scope, null, current);
    const gone = structuredClone(current);
    this.events.emit('change', { type: 'DELETED', scope, resource: rt, object: gone } satisfies StoreChange);
    return gone;
  }

  private commitUpdate(scope: string, rt: ResourceType, current: K8sObject, next: K8sObject): K8sObject {
    for (const field of SERVER_OWNED) (next.metadata as Record<string, unknown>)[field] = current.metadata[field];
    this.behaviors.get(rt)?.defaults?.(next);
    // The API server skips writes that change nothing: no new resourceVersion, no event.
    if (jsonEqual(next, current)) return this.present(scope, rt, current);
    if (!jsonEqual(next.spec, current.spec)) next.metadata.generation = current.metadata.generation + 1;
    return this.commit(scope, rt, `${current.metadata.namespace}/${current.metadata.name}`, next, current);
  }

  private commit(scope: string, rt: ResourceType, key: string, next: K8sObject, previous: K8sObject | null): K8sObject {
    const behavior = this.behaviors.get(rt);
    behavior?.admit?.(scope, structuredClone(next), previous ? structuredClone(previous) : null);
    this.revision += 1;
    next.metadata.resourceVersion = String(this.revision);
    this.bucket(scope, rt).set(key, next);
    behavior?.committed?.(scope, structuredClone(next), previous ? structuredClone(previous) : null);
    const presented = this.present(scope, rt, next);
    this.events.emit('change', {
      type: previous ? 'MODIFIED' : 'ADDED',
      scope,
      resource: rt,
      object: structuredClone(presented),
    } satisfies StoreChange);
    return presented;
  }

  /** The stored shape: storage apiVersion, no status (every served type has a status subresource). */
  private normalize(rt: ResourceType, namespace: string, input: K8sObjectInput): K8sObject {
    const copy = structuredClone(input) as K8sObjectInput;
    delete copy.status;
    const metadata = { ...(copy.metadata ?? {}) } as ObjectMeta;
    metadata.namespace = namespace;
    for (const field of SERVER_OWNED) delete metadata[field];
    return { ...copy, apiVersion: apiVersionOf(rt, rt.versions[0] as string), kind: rt.kind, metadata } as K8sObject;
  }

  private checkIdentity(rt: ResourceType, namespace: string, name: string | undefined, input: K8sObjectInput): void {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) throw badRequest('the request body must be a JSON object');
    if (input.kind !== undefined && input.kind !== rt.kind)
      throw badRequest(`the kind of the object (${String(input.kind)}) does not match the resource (${rt.kind})`);
    if (input.apiVersion !== undefined && !rt.versions.some((v) => input.apiVersion === apiVersionOf(rt, v))) {
      throw badRequest(`the apiVersion of the object (${String(input.apiVersion)}) is not served for ${qualifiedResource(rt)}`);
    }
    const bodyNs = input.metadata?.namespace;
    if (bodyNs !== undefined && bodyNs !== '' && bodyNs !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    const bodyName = input.metadata?.name;
    if (name !== undefined && bodyName !== undefined && bodyName !== name) {
      throw badRequest(`the name of the object (${String(bodyName)}) does not match the name on the URL (${name})`);
    }
  }

  private storedOrThrow(scope: string, rt: ResourceType, namespace: string, name: string): K8sObject {
    const stored = this.bucket(scope, rt).get(`${namespace}/${name}`);
    if (!stored) throw notFound(qualifiedResource(rt), name, rt.group, rt.plural);
    return stored;
  }

  private present(scope: string, rt: ResourceType, stored: K8sObject): K8sObject {
    const copy = structuredClone(stored);
    return this.behaviors.get(rt)?.present?.(scope, copy) ?? copy;
  }

  private bucket(scope: string, rt: ResourceType): Map<string, K8sObject> {
    if (!this.scopeNames.has(scope)) throw new K8sStatusError(404, 'NotFound', `no such cluster scope ${JSON.stringify(scope)}`);
    const key = `${scope}\u0000${rt.group}/${rt.plural}`;
    let bucket = this.objects.get(key);
    if (!bucket) {
      bucket = new Map();
      this.objects.set(key, bucket);
    }
    return bucket;
  }
}
