import { badRequest, K8sStatusError } from './status-error';

/** JSON Merge Patch (RFC 7386) and JSON Patch (RFC 6902), the two patch types the twin accepts. */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return structuredClone(patch);
  const result: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** Key-order-insensitive structural equality of JSON values. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => jsonEqual(v, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => jsonEqual(a[k], b[k]));
  }
  return false;
}

interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: Json;
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw badRequest(`json patch: invalid pointer ${JSON.stringify(pointer)}`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function childOf(container: unknown, token: string, pointer: string): unknown {
  if (Array.isArray(container)) {
    const i = Number(token);
    if (!/^(0|[1-9][0-9]*)$/.test(token) || i >= container.length) throw unprocessable(`path ${pointer}: no array element ${token}`);
    return container[i];
  }
  if (isPlainObject(container) && Object.prototype.hasOwnProperty.call(container, token)) return container[token];
  throw unprocessable(`path ${pointer}: no such member ${JSON.stringify(token)}`);
}

function unprocessable(message: string): K8sStatusError {
  return new K8sStatusError(422, 'Invalid', `json patch: ${message}`);
}

function locateParent(doc: unknown, tokens: string[], pointer: string): { parent: unknown; last: string } {
  let node = doc;
  for (const t of tokens.slice(0, -1)) node = childOf(node, t, pointer);
  const last = tokens[tokens.length - 1];
  if (last === undefined) throw unprocessable(`path ${pointer}: the whole document cannot be the target`);
  return { parent: node, last };
}

function getAt(doc: unknown, pointer: string): unknown {
  let node = doc;
  for (const t of parsePointer(pointer)) node = childOf(node, t, pointer);
  return node;
}

function addAt(doc: unknown, pointer: string, value: unknown): void {
  const { parent, last } = locateParent(doc, parsePointer(pointer), pointer);
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last);
    if (!(last === '-' || /^(0|[1-9][0-9]*)$/.test(last)) || i > parent.length) throw unprocessable(`path ${pointer}: bad array index`);
    parent.splice(i, 0, structuredClone(value));
  } else if (isPlainObject(parent)) {
    parent[last] = structuredClone(value);
  } else {
    throw unprocessable(`path ${pointer}: parent is not a container`);
  }
}

function removeAt(doc: unknown, pointer: string): unknown {
  const { parent, last } = locateParent(doc, parsePointer(pointer), pointer);
  const removed = childOf(parent, last, pointer);
  if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else delete (parent as Record<string, unknown>)[last];
  return removed;
}

export function jsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) {
    throw badRequest(
      'json patch: the body must be an array of operations (RFC 6902); for a partial object use Content-Type application/merge-patch+json',
    );
  }
  const doc = { root: structuredClone(target) };
  const rooted = (p: string): string => `/root${p}`;
  for (const raw of operations as JsonPatchOperation[]) {
    if (!isPlainObject(raw) || typeof raw.path !== 'string') throw badRequest('json patch: every operation needs op and path');
    switch (raw.op) {
      case 'add':
        addAt(doc, rooted(raw.path), raw.value);
        break;
      case 'remove':
        removeAt(doc, rooted(raw.path));
        break;
      case 'replace':
        removeAt(doc, rooted(raw.path));
        addAt(doc, rooted(raw.path), raw.value);
        break;
      case 'move': {
        const moved = removeAt(doc, rooted(String(raw.from)));
        addAt(doc, rooted(raw.path), moved);
        break;
      }
      case 'copy':
        addAt(doc, rooted(raw.path), getAt(doc, rooted(String(raw.from))));
        break;
      case 'test':
        if (!jsonEqual(getAt(doc, rooted(raw.path)), raw.value)) throw unprocessable(`test failed at ${raw.path}`);
        break;
      default:
        throw badRequest(`json patch: unknown op ${JSON.stringify((raw as { op: unknown }).op)}`);
    }
  }
  return doc.root;
}
