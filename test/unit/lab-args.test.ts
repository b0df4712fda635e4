import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { labArgs, loadLabWorld } from '../../lab/lab-args';

describe('lab world arguments', () => {
  test('flags win over the environment, which wins over the default Bookinfo', () => {
    expect(labArgs([], {})).toEqual({
      topologyFile: 'lab/topology/bookinfo.yaml',
      topologyFrom: 'default',
      policyFile: 'examples/bookinfo.yaml',
      policyFrom: 'default',
    });
    const env = { REGIONSHIFT_LAB_TOPOLOGY: 'env-t.yaml', REGIONSHIFT_LAB_POLICY: 'env-p.yaml' };
    expect(labArgs([], env)).toMatchObject({
      topologyFile: 'env-t.yaml',
      topologyFrom: 'REGIONSHIFT_LAB_TOPOLOGY',
      policyFile: 'env-p.yaml',
      policyFrom: 'REGIONSHIFT_LAB_POLICY',
    });
    expect(labArgs(['--topology=t.yaml', '--policy', 'p.yaml', '--state-dir', 'd'], env)).toMatchObject({
      topologyFile: 't.yaml',
      topologyFrom: '--topology',
      policyFile: 'p.yaml',
      policyFrom: '--policy',
    });
  });

  test.each([
    [['--topology', 'a', '--topology', 'b'], '--topology: given twice'],
    [['--policy', '--topology', 'a'], '--policy: a file is required'],
    [['stray'], 'stray: unknown argument'],
  ])('%j is refused: %s', (argv, message) => {
    expect(() => labArgs(argv, {})).toThrow(message);
  });

  test('every example topology loads with its policy', () => {
    for (const name of ['cross-region-two-clusters', 'locality-preference', 'istio-multi-primary', 'three-region']) {
      const { topology, policy } = loadLabWorld(
        labArgs(['--topology', `examples/topologies/${name}.yaml`, '--policy', `examples/topologies/${name}.policy.yaml`], {}),
      );
      expect(Object.keys(policy.regions).sort()).toEqual(topology.regions.map((r) => r.name).sort());
    }
  });

  test('a policy naming a deployment or a service the topology lacks is refused, naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-args-'));
    const policy = readFileSync('examples/topologies/cross-region-two-clusters.policy.yaml', 'utf8');
    const file = join(dir, 'p.yaml');
    const doc = parseYaml(policy) as Record<string, unknown>;
    doc.scaling = {
      deployments: [{ name: 'storefront-web', namespace: 'default', regions: { 'cn-hangzhou': { normalReplicas: 2, min: 1, max: 4 } } }],
    };
    writeFileSync(file, stringifyYaml(doc));
    expect(() => loadLabWorld(labArgs(['--topology', 'examples/topologies/cross-region-two-clusters.yaml', '--policy', file], {}))).toThrow(
      /scaling\.deployments\[0\]\.regions\.cn-hangzhou: deployment default\/storefront-web is not in cluster/,
    );
  });

  test('every shipped world pairs a topology with a policy that fits it', () => {
    for (const name of [
      'cross-region-two-clusters',
      'locality-preference',
      'istio-multi-primary',
      'three-region',
      'same-vpc-two-clusters',
      'serverless-and-vm',
    ]) {
      expect(() =>
        loadLabWorld(
          labArgs(['--topology', `examples/topologies/${name}.yaml`, '--policy', `examples/topologies/${name}.policy.yaml`], {}),
        ),
      ).not.toThrow();
    }
  });
});

describe('the start-up check covers every shipped world', () => {
  const WORLDS = [
    'cross-region-two-clusters',
    'locality-preference',
    'istio-multi-primary',
    'three-region',
    'same-vpc-two-clusters',
    'serverless-and-vm',
  ];
  test.each(WORLDS)('%s: a topology without one of the deployments its policy scales is refused, naming it', (name) => {
    const { policy } = loadLabWorld(
      labArgs(['--topology', `examples/topologies/${name}.yaml`, '--policy', `examples/topologies/${name}.policy.yaml`], {}),
    );
    const scaled = policy.scaling.deployments[policy.scaling.deployments.length - 1];
    expect(scaled).toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'lab-args-world-'));
    const topology = parseYaml(readFileSync(`examples/topologies/${name}.yaml`, 'utf8')) as {
      deployments: Array<{ name: string }>;
      alarms: Array<{ deployment?: string }>;
    };
    topology.deployments = topology.deployments.filter((d) => d.name !== scaled!.name);
    // The world's own alarm on that deployment goes with it, or the topology itself is refused first.
    topology.alarms = topology.alarms.filter((a) => a.deployment !== scaled!.name);
    const file = join(dir, 't.yaml');
    writeFileSync(file, stringifyYaml(topology));
    expect(() => loadLabWorld(labArgs(['--topology', file, '--policy', `examples/topologies/${name}.policy.yaml`], {}))).toThrow(
      new RegExp(`deployment default/${scaled!.name} is not in cluster`),
    );
  });
});
