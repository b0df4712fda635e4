import { loadPolicyYaml } from '../shared/core/policy';
import type { StatusView } from '../shared/engine/api';
import { labBanner, worldLoop } from './banner';
import { labArgs, loadLabWorld, type LabArgs } from './lab-args';
import { labStateDir, resetLabStateDir } from './state-dir';
import { startLab } from './world';

/**
 * `npm start`: the lab with the product running against it. Prints the URLs and, every few
 * seconds, where each gateway's traffic is served, each region's health and the mesh mode.
 * `npm start -- --topology <file> --policy <file>` (or REGIONSHIFT_LAB_TOPOLOGY /
 * REGIONSHIFT_LAB_POLICY) chooses the world; examples/topologies/ has one per document scenario.
 */
const port = Number(process.env.PORT ?? 8080);
// The twins start fresh every time, so the product's state does too — this lab's only
// (`.regionshift/lab-<port>` or `--state-dir <dir>`), so a second lab on another port keeps its own.
let stateDir: string;
let args: LabArgs;
try {
  args = labArgs(process.argv.slice(2), process.env);
  stateDir = labStateDir(port, process.argv.slice(2));
  // Both files checked before any port is taken.
  loadLabWorld(args);
} catch (err) {
  // A bad flag is the user's input: say which, no stack trace.
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(2);
}
const stateFile = resetLabStateDir(stateDir);
const { topologyFile, policyFile } = args;
const lab = await startLab({
  port,
  topologyFile,
  policyFile,
  stateFile,
  log: (line) => {
    if (process.env.REGIONSHIFT_LAB_VERBOSE) process.stderr.write(`${JSON.stringify(line)}\n`);
  },
});

process.stdout.write(
  labBanner({
    hostUrl: lab.hostUrl,
    labUrl: lab.labUrl,
    controlUrl: lab.controlUrl,
    meshUrl: lab.controlPlane.baseUrl,
    logFile: lab.logFile,
    secrets: lab.secrets,
    functions: lab.host.functions,
    tickMs: lab.tickMs,
    policy: loadPolicyYaml(lab.policyYaml),
    policySource: args.policyFrom === 'default' ? policyFile : `${policyFile} (${args.policyFrom})`,
    topology: {
      source: args.topologyFrom === 'default' ? topologyFile : `${topologyFile} (${args.topologyFrom})`,
      regions: lab.topology.regions.map((r) => `${r.name} (${r.clusters.map((c) => c.name).join(', ')})`),
      gateways: lab.topology.gateways.map((g) => g.name),
      istioObjects: lab.topology.istio.map((o) => `${o.kind} ${o.metadata.name}`),
    },
    // The real clock: which schedules are open is a fact about now, and tells why traffic may not be 100% local.
    now: Date.now(),
    outlierDetection: lab.outlierDetection,
    stateDir,
    doctor: { env: lab.doctorEnv, policyFile },
    loop: worldLoop(lab.topology),
    kubeconfigEnv: lab.kubeconfigEnv,
  }),
);

setInterval(() => {
  void (async () => {
    const status = (await (
      await fetch(`${lab.hostUrl}/control/v1/status`, { headers: { authorization: `Bearer ${lab.secrets.readToken}` } })
    ).json()) as StatusView;
    const snap = lab.dataPlane.trafficSnapshot(5000);
    const reviews = snap.matrix.reviews ?? {};
    const traffic = Object.entries(reviews)
      .map(
        ([src, row]) =>
          `${src}→ ${Object.entries(row)
            .map(([dst, p]) => `${dst} ${Math.round(p)}%`)
            .join(' ')}`,
      )
      .join(' | ');
    const failed = snap.gateways.reduce((a, g) => a + g.errors5xx, 0);
    const health = Object.entries(status.health)
      .map(([r, h]) => `${r} ${h.status}`)
      .join(', ');
    const scoped = Object.entries(status.scopes ?? {}).map(
      ([host, sc]) => `${host.split('.')[0]} ${sc.confirmed?.mode ?? 'default'}${sc.shifting ? ' (shifting)' : ''}`,
    );
    const scopes = scoped.length > 0 ? ` | scopes: ${scoped.join(', ')}` : '';
    process.stdout.write(
      `${new Date().toISOString().slice(11, 19)} mode ${status.config?.mode ?? '-'}${status.shifting && status.intended ? ` → ${status.intended.config.mode} (shifting)` : ''}${scopes} | ${health} | reviews served: ${traffic || '-'} | 5xx at gateways: ${failed}\n`,
    );
  })().catch((err: unknown) => process.stderr.write(`status: ${(err as Error).message}\n`));
}, 3000);

// Once: a second Ctrl-C while the lab stops must not stop (and close its store) twice. A stop that
// fails says why and exits non-zero rather than leaving an unhandled rejection.
let stopping = false;
const shutdown = () => {
  if (stopping) return;
  stopping = true;
  void lab.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`lab stop: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
