/**
 * How the product marks the DestinationRules it owns for service scopes. Kept apart from
 * mesh-scopes.ts (which loads the Kubernetes client) so read-only callers can tell owned rules
 * without loading it.
 */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'regionshift';

export function ownedByProduct(labels: Record<string, string> | null | undefined): boolean {
  return labels?.[MANAGED_BY_LABEL] === MANAGED_BY;
}
