/**
 * Lookups in plain objects keyed by input (alarm levels, labels, service names, signal keys).
 * Only own properties count: `toString`, `constructor` or `__proto__` must never reach
 * Object.prototype, and a write under `__proto__` must make an own key, not swap the prototype.
 */

export function ownValue<V>(map: Readonly<Record<string, V>> | undefined | null, key: string): V | undefined {
  return map != null && Object.hasOwn(map, key) ? map[key] : undefined;
}

export function setOwn<V>(map: Record<string, V>, key: string, value: V): void {
  Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
}
