import type { z } from 'zod';

type Issue = z.core.$ZodIssue;

/** `a.b.c: message` for every zod issue, with record keys and array indexes as written. */
export function formatIssues(issues: readonly Issue[], prefix: PropertyKey[] = []): string[] {
  return issues.flatMap((i) => formatIssue(i, [...prefix, ...i.path]));
}

function formatIssue(issue: Issue, path: PropertyKey[]): string[] {
  const at = (p: PropertyKey[]) => formatPath(p) || '(root)';
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((k) => `${at([...path, k])}: unknown field`);
    case 'invalid_key':
      return issue.issues.map((i) => `${at(path)}: not a valid key: ${i.message}`);
    case 'invalid_union': {
      // Report the branch the input was evidently written for; when none or several fit, the
      // union's own message names the accepted shapes.
      const meant = issue.errors.filter((branch) => !branch.some(isOtherShape));
      const only = meant.length === 1 ? meant[0] : undefined;
      if (only) return only.flatMap((i) => formatIssue(i, [...path, ...i.path]));
      return [`${at(path)}: ${issue.message}`];
    }
    default:
      return [`${at(path)}: ${issue.message}`];
  }
}

/** A union branch failed because the input has another shape (another key), not a bad value. */
function isOtherShape(i: Issue): boolean {
  return i.code === 'unrecognized_keys' || (i.code === 'invalid_type' && i.input === undefined);
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}
