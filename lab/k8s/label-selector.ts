import { badRequest } from './status-error';

/** Equality-based label selectors (`app=reviews,version!=v1,tier,!canary`), as `?labelSelector=` carries them. */
export function parseLabelSelector(selector: string): (labels: Record<string, string> | undefined) => boolean {
  const requirements = selector
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((term) => {
      if (/\s(in|notin)\s/.test(term) || term.includes('('))
        throw badRequest(`labelSelector: set-based requirement ${JSON.stringify(term)} is not supported by the lab twin`);
      const neq = /^([^!=]+)!=(.*)$/.exec(term);
      if (neq) return (l: Record<string, string>) => l[neq[1]!.trim()] !== neq[2]!.trim();
      const eq = /^([^!=]+)==?(.*)$/.exec(term);
      if (eq) return (l: Record<string, string>) => l[eq[1]!.trim()] === eq[2]!.trim();
      if (term.startsWith('!')) return (l: Record<string, string>) => !(term.slice(1) in l);
      return (l: Record<string, string>) => term in l;
    });
  return (labels) => requirements.every((r) => r(labels ?? {}));
}
