import type { LocalityLbSettingInput } from '../../shared/core/mesh-validation';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../../shared/ports/clock';
import type { RoutingConfigSource } from '../dataplane/config-source';
import { AsmTwin } from '../asm/asm-twin';
import { CsTwin } from '../asm/cs-twin';
import { CmsTwin } from '../cms/cms-twin';
import { PopAuthenticator } from '../asm/pop-auth';
import { K8sAccess } from './access';
import { DeploymentPods } from './deployment-pods';
import { BodyTooLargeError, readBody, sendReply, type TwinReply, type TwinRequest } from '../twin-common/http-io';
import { destinationRuleAdmission, serviceEntryAdmission, virtualServiceAdmission, workloadEntryAdmission } from './istio-admission';
import { K8sApi } from './k8s-api';
import { renderKubeconfig } from './kubeconfig-yaml';
import { ObjectStore } from './object-store';
import { DEPLOYMENTS, DESTINATION_RULES, PODS, SERVICE_ENTRIES, VIRTUAL_SERVICES, WORKLOAD_ENTRIES } from './resources';
import { podView } from './pod-view';
import { LabRoutingSource } from './routing-source';
import { holdIdleConnections } from '../keep-alive';
import { outageFor, type Outage } from '../outage';

/**
 * The lab's control plane on one HTTP port:
 *   /k8s/<scope>/apis/…   Kubernetes API, one scope per cluster id plus `mesh` (ASM's control plane)
 *   /asm/                 ASM OpenAPI (RPC), endpoint for pop-core's RPCClient
 *   /cs/k8s/<id>/user_config   ACK kubeconfig (ROA), endpoint for pop-core's ROAClient
 *   /cms/                 CloudMonitor OpenAPI (RPC): alarm rules (`regionshift alarms apply`)
 */

export const MESH_SCOPE = 'mesh';

export interface LabControlPlaneOptions {
  clusters: string[];
  /** Bearer token that may do everything in every scope. */
  token: string;
  accessKeyId: string;
  accessKeySecret: string;
  /** Set to make the AccessKey an STS one: requests must then carry this token. */
  securityToken?: string;
  meshId: string;
  regionId?: string;
  clock?: Clock;
  /** How long an ASM update keeps the mesh `updating`, in lab-clock ms (default 3000). */
  asmUpdateDelayMs?: number;
  /** ASM's mesh-wide locality LB at start (see AsmTwin's initialLocalityLb). */
  asmInitialLocalityLb?: LocalityLbSettingInput | null;
  port?: number;
}

export interface LabControlPlane {
  baseUrl: string;
  k8sUrl(scope: string): string;
  asmEndpoint: string;
  csEndpoint: string;
  cmsEndpoint: string;
  kubeconfig(scope: string): string;
  store: ObjectStore;
  pods: DeploymentPods;
  access: K8sAccess;
  k8s: K8sApi;
  asm: AsmTwin;
  cs: CsTwin;
  cms: CmsTwin;
  routing: RoutingConfigSource;
  /** The POP gateway's key store, shared by the ASM and ACK twins (add or retire keys). */
  authenticator: PopAuthenticator;
  /** ASM's control plane (its OpenAPI and the mesh's Kubernetes API) as an outage takes it. */
  asmOutage: Outage;
  stop(): Promise<void>;
}

function twinRequest(req: IncomingMessage, url: URL, path: string, body: string): TwinRequest {
  return { method: req.method ?? 'GET', path, query: url.searchParams, headers: req.headers, body };
}

export async function startLabControlPlane(opts: LabControlPlaneOptions): Promise<LabControlPlane> {
  if (opts.clusters.includes(MESH_SCOPE)) throw new Error(`"${MESH_SCOPE}" is the mesh control plane's scope and cannot be a cluster id`);
  if (new Set(opts.clusters).size !== opts.clusters.length) throw new Error(`cluster ids must be unique: ${opts.clusters.join(', ')}`);
  const clock = opts.clock ?? systemClock;
  const store = new ObjectStore(clock, [MESH_SCOPE, ...opts.clusters]);
  const pods = new DeploymentPods(clock);
  store.setBehavior(DEPLOYMENTS, pods);
  store.setBehavior(DESTINATION_RULES, destinationRuleAdmission);
  store.setBehavior(VIRTUAL_SERVICES, virtualServiceAdmission);
  store.setBehavior(WORKLOAD_ENTRIES, workloadEntryAdmission);
  store.setBehavior(SERVICE_ENTRIES, serviceEntryAdmission);
  const access = new K8sAccess();
  access.grant(opts.token, { subject: 'regionshift' });
  const k8s = new K8sApi(store, access, new Map([[PODS, podView(store, pods)]]));
  const authenticator = new PopAuthenticator([
    {
      accessKeyId: opts.accessKeyId,
      accessKeySecret: opts.accessKeySecret,
      ...(opts.securityToken ? { securityToken: opts.securityToken } : {}),
    },
  ]);

  let baseUrl = '';
  const kubeconfig = (scope: string): string => {
    if (!store.hasScope(scope)) throw new Error(`no scope ${JSON.stringify(scope)}; known: ${store.scopes.join(', ')}`);
    return renderKubeconfig({ server: `${baseUrl}/k8s/${encodeURIComponent(scope)}`, token: opts.token, name: scope });
  };
  const asm = new AsmTwin({
    clock,
    meshId: opts.meshId,
    ...(opts.regionId ? { regionId: opts.regionId } : {}),
    clusterIds: opts.clusters,
    updateDelayMs: opts.asmUpdateDelayMs ?? 3000,
    authenticator,
    kubeconfig: () => kubeconfig(MESH_SCOPE),
    ...(opts.asmInitialLocalityLb ? { initialLocalityLb: opts.asmInitialLocalityLb } : {}),
  });
  const cs = new CsTwin({ clock, clusterIds: opts.clusters, authenticator, kubeconfig });
  const cms = new CmsTwin({ clock, authenticator });
  const routing = new LabRoutingSource({ store, pods, meshScope: MESH_SCOPE, meshWideLocalityLb: () => asm.servedLocalityLb() });

  const route = (req: IncomingMessage, url: URL, body: string): TwinReply => {
    const k8sMatch = /^\/k8s\/([^/]+)(\/.*)?$/.exec(url.pathname);
    if (k8sMatch) return k8s.handle(decodeURIComponent(k8sMatch[1]!), twinRequest(req, url, k8sMatch[2] ?? '/', body));
    if (url.pathname === '/asm' || url.pathname === '/asm/') return asm.handle(twinRequest(req, url, '/', body));
    if (url.pathname === '/cms' || url.pathname === '/cms/') return cms.handle(twinRequest(req, url, '/', body));
    if (url.pathname.startsWith('/cs/')) return cs.handle(twinRequest(req, url, url.pathname.slice('/cs'.length), body));
    return { status: 404, body: `no twin at ${url.pathname}` };
  };

  const server = holdIdleConnections(
    createServer((req: IncomingMessage, res: ServerResponse) => {
      if (asmOutage.refused(req)) return;
      const url = new URL(req.url ?? '/', 'http://twin');
      readBody(req)
        .then((body) => sendReply(res, route(req, url, body)))
        .catch((e: unknown) => sendReply(res, { status: e instanceof BodyTooLargeError ? 413 : 500, body: (e as Error).message }));
    }),
  );
  // ASM's control plane as an outage takes it: its OpenAPI and the mesh's Kubernetes API (the
  // Istio resources) reset; the clusters' own API servers and CS, in their regions, still answer.
  const meshPath = `/k8s/${encodeURIComponent(MESH_SCOPE)}`;
  const asmOutage = outageFor(server, (req) => {
    const p = new URL(req.url ?? '/', 'http://twin').pathname;
    return p === '/asm' || p === '/asm/' || p === meshPath || p.startsWith(`${meshPath}/`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    baseUrl,
    k8sUrl: (scope) => `${baseUrl}/k8s/${encodeURIComponent(scope)}`,
    asmEndpoint: `${baseUrl}/asm`,
    csEndpoint: `${baseUrl}/cs`,
    cmsEndpoint: `${baseUrl}/cms`,
    kubeconfig,
    store,
    pods,
    access,
    k8s,
    asm,
    cs,
    cms,
    routing,
    authenticator,
    asmOutage,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // SDK clients keep connections alive; without this, close waits for them to time out.
        server.closeAllConnections();
      }),
  };
}
