import { timingSafeEqual } from 'node:crypto';

/** Bearer tokens the twin's API servers accept, and what each may do (RBAC reduced to a grant). */

export type K8sVerb = 'get' | 'list' | 'create' | 'update' | 'patch' | 'delete';

export interface TokenGrant {
  /** Who the token authenticates as, for 403 messages. */
  subject: string;
  /** Undefined: every scope / verb / resource (`deployments`, `deployments/scale`, `destinationrules`, …). */
  scopes?: string[];
  verbs?: K8sVerb[];
  resources?: string[];
}

function sameToken(a: string, b: string): boolean {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}

export class K8sAccess {
  private readonly grants: Array<{ token: string; grant: TokenGrant }> = [];

  grant(token: string, grant: TokenGrant): void {
    if (token.length === 0) throw new Error('a bearer token must not be empty');
    this.revoke(token);
    this.grants.push({ token, grant });
  }

  revoke(token: string): void {
    const i = this.grants.findIndex((g) => g.token === token);
    if (i !== -1) this.grants.splice(i, 1);
  }

  /** The grant behind an `Authorization` header, or null (401). */
  authenticate(authorization: string | undefined): TokenGrant | null {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match?.[1]) return null;
    const token = match[1];
    return this.grants.find((g) => sameToken(g.token, token))?.grant ?? null;
  }

  allows(grant: TokenGrant, scope: string, verb: K8sVerb, resource: string): boolean {
    return (
      (grant.scopes === undefined || grant.scopes.includes(scope)) &&
      (grant.verbs === undefined || grant.verbs.includes(verb)) &&
      (grant.resources === undefined || grant.resources.includes(resource))
    );
  }
}
