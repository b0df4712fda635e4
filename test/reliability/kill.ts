import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { SqliteStateStore } from '../../shared/adapters/state-sqlite';
import { DEPLOYMENTS } from '../../lab/k8s/resources';
import { buildRuntime } from '../../shared/runtime/index';
import { compiledWorker } from './compile-worker';
import { startTwins, type Twins } from '../../lab/support/twins';

/**
 * kill -9 at every step boundary of a drain plan. A proxy in front of the ASM/ACK/Kubernetes
 * twins sees each step's effect as a request: a scale PATCH, the first readiness read of a
 * Deployment, an UpdateMeshFeature. For the k-th such boundary, the process running the plan
 * is SIGKILLed either just before the request reaches the twin ("before") or just after the twin
 * applied it and before the process hears back ("after": the effect happened, the journal does
 * not know). Fresh processes then tick on a clock past the lease (and past the scale-down delay)
 * until the plan is done. Each run is held to a run with no kill:
 *   resumed   the plan ends `done`
 *   once      per Deployment, the replica counts the twin was set to (repeats of the same count
 *             collapsed) are the undisturbed run's; likewise the mesh configs applied
 *   same end  the Deployments' replicas and the live mesh config match the undisturbed run's
 */

export type KillMode = 'before' | 'after';

interface Boundary {
  label: string;
  effect: 'scale' | 'ready' | 'mesh';
}

interface RunRecord {
  boundaries: Boundary[];
  /** Per Deployment, the replica counts the twin accepted, in order. */
  replicas: Record<string, number[]>;
  /** The mesh configs UpdateMeshFeature carried, in order. */
  meshConfigs: string[];
  sent: number;
  killedAt: string | null;
  processes: number;
  planStatus: string;
  endReplicas: Record<string, number>;
  endMesh: string;
}

export type KillScenario = 'down' | 'degraded';

export interface KillCase {
  scenario: KillScenario;
  boundary: number;
  label: string;
  mode: KillMode;
  killed: boolean;
  resumed: boolean;
  once: boolean;
  sameEnd: boolean;
  processes: number;
  resent: number;
  problem?: string;
}

export interface KillResult {
  boundaries: number;
  cases: KillCase[];
  wallMs: number;
}

export const collapse = (xs: readonly (number | string)[]) => xs.filter((x, i) => i === 0 || x !== xs[i - 1]);
const STEP_GAP_MS = 200_000;

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** Which step effect a request to the twins is, if any. */
export function classify(
  method: string,
  url: string,
  body: string,
): { key: string; effect: Boundary['effect']; replicas?: number; config?: string } | null {
  const scale = /^\/k8s\/([^/]+)\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/]+)\/scale$/.exec(url.split('?')[0] ?? '');
  if (scale && method === 'PATCH') {
    const replicas = (JSON.parse(body) as { spec?: { replicas?: number } }).spec?.replicas ?? -1;
    return { key: `${scale[1]}/${scale[3]}`, effect: 'scale', replicas };
  }
  const read = /^\/k8s\/([^/]+)\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/]+)$/.exec(url.split('?')[0] ?? '');
  if (read && method === 'GET') return { key: `${read[1]}/${read[3]}`, effect: 'ready' };
  if (url.startsWith('/asm')) {
    const params = new URLSearchParams(body || url.split('?')[1] || '');
    if (params.get('Action') === 'UpdateMeshFeature') return { key: 'mesh', effect: 'mesh', config: params.get('LocalityLBConf') ?? '' };
  }
  return null;
}

interface Proxy {
  url: string;
  server: Server;
}

/** Forwards to the twins, rewriting their own address (in kubeconfigs) to the proxy's. */
type Effect = NonNullable<ReturnType<typeof classify>>;

/** `before` numbers the boundary (0: not one) and says whether to kill; `after` is told that number once the twin answered. */
async function startProxy(
  upstream: string,
  hooks: { before: (e: Effect) => { index: number; kill: boolean }; after: (e: Effect, index: number) => boolean },
): Promise<Proxy> {
  let self = '';
  const server = createServer((req, res) => {
    void (async () => {
      const body = (await readAll(req)).toString('utf8');
      const effect = classify(req.method ?? 'GET', req.url ?? '/', body);
      const mark = effect ? hooks.before(effect) : { index: 0, kill: false };
      if (mark.kill) return req.socket.destroy();
      const headers = { ...req.headers, host: new URL(upstream).host, 'content-length': String(Buffer.byteLength(body)) };
      const up = httpRequest(`${upstream}${req.url}`, { method: req.method, headers, agent: false }, (ur) => {
        void readAll(ur).then((buf) => {
          if (effect && hooks.after(effect, mark.index)) return req.socket.destroy();
          const text = buf.toString('utf8').split(upstream).join(self);
          const out = { ...ur.headers, 'content-length': String(Buffer.byteLength(text)) };
          delete out['transfer-encoding'];
          res.writeHead(ur.statusCode ?? 502, out).end(text);
        });
      });
      up.on('error', () => req.socket.destroy());
      up.end(body);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  self = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: self, server };
}

async function runChild(
  env: Record<string, string>,
  mode: 'ingest' | 'tick',
  track: (c: ChildProcess) => void,
): Promise<{ code: number | null; signal: string | null; err: string }> {
  const child = spawn(process.execPath, [await compiledWorker('test/reliability/kill-worker.ts'), mode], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  let err = '';
  child.stderr.on('data', (c: Buffer) => {
    err += c.toString();
  });
  child.stdout.resume();
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, err: err.slice(-1500) })));
}

/** One drain, killed at boundary `killAt` (1-based; 0 = never), resumed by ticks until done. */
async function runOnce(scenario: KillScenario, killAt: number, mode: KillMode, maxProcesses: number): Promise<RunRecord> {
  const twins: Twins = await startTwins({ asmUpdateDelayMs: 200 });
  const stateFile = path.join(twins.dir, 'kill-state.db');
  const rec: RunRecord = {
    boundaries: [],
    replicas: {},
    meshConfigs: [],
    sent: 0,
    killedAt: null,
    processes: 0,
    planStatus: 'none',
    endReplicas: {},
    endMesh: '',
  };
  let current: ChildProcess | null = null;
  const seenLabels = new Set<string>();
  let killed = false;
  const killNow = (index: number) => {
    killed = true;
    rec.killedAt = `${rec.boundaries[index - 1]?.label} (${mode})`;
    current?.kill('SIGKILL');
  };
  const proxy = await startProxy(twins.controlPlane.baseUrl, {
    before(e) {
      // A boundary is each scale and mesh request, and the first readiness read of each Deployment.
      // The same effect asked for again (the scale-ups are started together, then each step scales to
      // the same count; the readiness polls) is not a new boundary.
      const label = `${e.effect} ${e.key}${e.replicas !== undefined ? ` → ${e.replicas}` : ''}`;
      if (seenLabels.has(label)) return { index: 0, kill: false };
      // Readiness reads before any step are the target guard's, made before the decision commits: a
      // kill there loses nothing the sender does not retry, so they are not step boundaries.
      if (e.effect === 'ready' && !rec.boundaries.some((b) => b.effect !== 'ready')) return { index: 0, kill: false };
      seenLabels.add(label);
      rec.boundaries.push({ label, effect: e.effect });
      const index = rec.boundaries.length;
      const kill = !killed && mode === 'before' && index === killAt;
      if (kill) killNow(index);
      return { index, kill };
    },
    after(e, index) {
      // What reached the twin: the request was forwarded and applied.
      if (e.effect === 'scale') (rec.replicas[e.key] ??= []).push(e.replicas as number);
      if (e.effect === 'mesh') rec.meshConfigs.push(e.config as string);
      if (e.effect !== 'ready') rec.sent++;
      const kill = !killed && mode === 'after' && index !== 0 && index === killAt;
      if (kill) killNow(index);
      return kill;
    },
  });
  try {
    // The normal config first, straight to the twins and outside the boundaries (the deployed tick does this).
    const direct = twins.env({ sqliteFile: stateFile, budgetMs: 20_000 });
    const setup = await buildRuntime(direct, { requestId: 'kill-setup' }, { log: () => undefined });
    await setup.engine.tick();
    await setup.store.close();
    const env = {
      ...direct,
      REGIONSHIFT_ASM_ENDPOINT: `${proxy.url}/asm`,
      REGIONSHIFT_CS_ENDPOINT: `${proxy.url}/cs`,
      REL_ALARM_LEVEL: scenario === 'down' ? 'CRITICAL' : 'WARN',
    };
    const store = new SqliteStateStore(stateFile);
    try {
      const setupSeq = (await store.listEvents('bookinfo', { limit: 1 }))[0]?.seq ?? 0;
      let planCount = -1;
      for (let p = 0; p < maxProcesses; p++) {
        rec.processes++;
        const tChild = Date.now();
        const out = await runChild({ ...env, REL_CLOCK_OFFSET_MS: String(p * STEP_GAP_MS) }, p === 0 ? 'ingest' : 'tick', (c) => {
          current = c;
        });
        if (process.env.RELIABILITY_DEBUG)
          process.stderr.write(
            `kill run ${scenario} ${killAt}/${mode}: process ${p} took ${Date.now() - tChild} ms (${out.signal ?? out.code})\n`,
          );
        if (out.code !== 0 && out.signal !== 'SIGKILL') throw new Error(`process ${p} exited with ${out.code}: ${out.err}`);
        // Every plan with steps committed since the setup (the alarm's, and any a later tick made) must end done.
        const planIds = [
          ...new Set(
            (await store.listEvents('bookinfo', { limit: 500 }))
              .filter(
                (e) =>
                  e.seq > setupSeq && e.kind === 'decision' && e.planId && ((e.detail as { steps?: unknown[] }).steps ?? []).length > 0,
              )
              .map((e) => e.planId as string),
          ),
        ];
        const statuses = await Promise.all(planIds.map(async (id) => (await store.getPlan('bookinfo', id))?.status ?? 'missing'));
        rec.planStatus =
          statuses.length === 0
            ? 'none'
            : statuses.includes('failed')
              ? 'failed'
              : statuses.every((st) => st === 'done')
                ? 'done'
                : 'pending';
        // Done once a tick after the alarm found nothing new to plan (a degraded region's shift may wait for the tick).
        if (rec.planStatus === 'failed' || (rec.planStatus === 'done' && p >= 1 && planIds.length === planCount)) break;
        planCount = planIds.length;
      }
    } finally {
      await store.close();
    }
    for (const cluster of twins.controlPlane.store.scopes.filter((s) => s !== 'mesh')) {
      for (const d of twins.controlPlane.store.list(cluster, DEPLOYMENTS, 'default')) {
        rec.endReplicas[`${cluster}/${d.metadata.name}`] = (d.spec as { replicas?: number } | undefined)?.replicas ?? -1;
      }
    }
    rec.endMesh = JSON.stringify(twins.controlPlane.asm.servedLocalityLb());
    return rec;
  } finally {
    proxy.server.closeAllConnections();
    await new Promise<void>((resolve) => proxy.server.close(() => resolve()));
    await twins.stop();
  }
}

export async function runKillChecks(opts: {
  modes: KillMode[];
  scenarios?: KillScenario[];
  maxProcesses?: number;
  only?: number[];
}): Promise<KillResult> {
  const t0 = Date.now();
  const max = opts.maxProcesses ?? 5;
  const cases: KillCase[] = [];
  let boundaries = 0;
  for (const scenario of opts.scenarios ?? ['down', 'degraded']) {
    const base = await runOnce(scenario, 0, 'after', max);
    if (base.planStatus !== 'done')
      throw new Error(
        `the undisturbed ${scenario} plan did not finish (plan ${base.planStatus}); boundaries seen: ${base.boundaries.map((b) => b.label).join(', ')}`,
      );
    boundaries += base.boundaries.length;
    const want = Object.fromEntries(Object.entries(base.replicas).map(([k, v]) => [k, collapse(v)]));
    for (let k = 1; k <= base.boundaries.length; k++) {
      if (opts.only && !opts.only.includes(k)) continue;
      for (const mode of opts.modes) {
        const label = base.boundaries[k - 1]?.label ?? '?';
        let r: RunRecord;
        try {
          r = await runOnce(scenario, k, mode, max);
        } catch (e) {
          cases.push({
            scenario,
            boundary: k,
            label,
            mode,
            killed: false,
            resumed: false,
            once: false,
            sameEnd: false,
            processes: 0,
            resent: 0,
            problem: (e as Error).message.slice(0, 300),
          });
          continue;
        }
        const got = Object.fromEntries(Object.entries(r.replicas).map(([key, v]) => [key, collapse(v)]));
        const once =
          JSON.stringify(got, Object.keys(got).sort()) === JSON.stringify(want, Object.keys(want).sort()) &&
          JSON.stringify(collapse(r.meshConfigs)) === JSON.stringify(collapse(base.meshConfigs));
        const sameEnd = JSON.stringify(r.endReplicas) === JSON.stringify(base.endReplicas) && r.endMesh === base.endMesh;
        const problems: string[] = [];
        if (r.planStatus !== 'done') problems.push(`plan ${r.planStatus} after ${r.processes} processes`);
        if (!once)
          problems.push(
            `effects ${JSON.stringify(got)} mesh×${collapse(r.meshConfigs).length} vs ${JSON.stringify(want)} mesh×${collapse(base.meshConfigs).length}`,
          );
        if (!sameEnd) problems.push(`end ${JSON.stringify(r.endReplicas)} vs ${JSON.stringify(base.endReplicas)}`);
        cases.push({
          scenario,
          boundary: k,
          label,
          mode,
          killed: r.killedAt !== null,
          resumed: r.planStatus === 'done',
          once,
          sameEnd,
          processes: r.processes,
          resent: r.sent - base.sent,
          ...(problems.length ? { problem: problems.join('; ') } : {}),
        });
      }
    }
  }
  return { boundaries, cases, wallMs: Date.now() - t0 };
}
