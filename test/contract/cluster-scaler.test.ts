import { KubeconfigResolver } from '../../shared/adapters/kubeconfig';
import { K8sClusterScaler } from '../../shared/adapters/scaler-k8s';
import { systemClock } from '../../shared/ports/clock';
import { describeClusterScalerContract } from './cluster-scaler.contract';
import { scalerHarness } from './cluster-scaler-lab';

describeClusterScalerContract('Kubernetes adapter → Kubernetes API twin (kubeconfig from the ACK twin)', scalerHarness);

/**
 * Against a real cluster: this scales the named Deployment (to 1, 2, 3 and 0) and puts its
 * replica count back afterwards. Opt in by naming it.
 */
const kubeconfigPath = process.env.REGIONSHIFT_CONTRACT_KUBECONFIG;
const deploymentEnv = process.env.REGIONSHIFT_CONTRACT_DEPLOYMENT;
const startupMs = Number(process.env.REGIONSHIFT_CONTRACT_STARTUP_MS ?? '');
if (!kubeconfigPath || !deploymentEnv || !(startupMs > 0)) {
  console.info(
    'ClusterScaler contract against a real cluster not registered: REGIONSHIFT_CONTRACT_KUBECONFIG, REGIONSHIFT_CONTRACT_DEPLOYMENT (ns/name) and REGIONSHIFT_CONTRACT_STARTUP_MS not set',
  );
} else {
  const [namespace, name] = deploymentEnv.split('/');
  if (!namespace || !name) throw new Error(`REGIONSHIFT_CONTRACT_DEPLOYMENT: ${deploymentEnv} is not namespace/name`);
  describeClusterScalerContract(`Kubernetes adapter → real cluster (${deploymentEnv})`, async () => {
    const resolver = new KubeconfigResolver({ sources: { real: { from: 'file', path: kubeconfigPath } } });
    const scaler = new K8sClusterScaler({ kubeconfigs: resolver.provider });
    const deployment = { cluster: 'real', namespace, name };
    const before = await scaler.get(deployment);
    await scaler.scale(deployment, 1);
    if (!(await scaler.waitReady(deployment, 1, Date.now() + 20 * startupMs))) throw new Error(`${deploymentEnv} did not get 1 ready pod`);
    // The readiness tests count from 1 ready pod: wait for extra pods of a scale-down to go.
    while ((await scaler.get(deployment)).readyReplicas > 1) await systemClock.sleep(1_000);
    return { scaler, clock: systemClock, deployment, startupDelayMs: startupMs, cleanup: () => scaler.scale(deployment, before.replicas) };
  });
}
