import { stringify } from 'yaml';

/**
 * A kubeconfig for one twin scope. The twin speaks plain http on 127.0.0.1, and client-node
 * refuses an `http:` server unless `insecure-skip-tls-verify` is set, so it is.
 */
export function renderKubeconfig(opts: { server: string; token: string; name: string }): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: opts.name, cluster: { server: opts.server, 'insecure-skip-tls-verify': true } }],
    users: [{ name: `${opts.name}-user`, user: { token: opts.token } }],
    contexts: [{ name: opts.name, context: { cluster: opts.name, user: `${opts.name}-user` } }],
    'current-context': opts.name,
    preferences: {},
  });
}
