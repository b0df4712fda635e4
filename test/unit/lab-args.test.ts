import { labArgs, loadLabWorld } from '../../lab/lab-args';

describe('lab world arguments', () => {
  test('flags win over the environment, which wins over the default Bookinfo', () => {
    expect(labArgs([], {})).toEqual({ topologyFile: 'lab/topology/bookinfo.yaml', topologyFrom: 'default', policyFile: 'examples/bookinfo.yaml', policyFrom: 'default' });
    const env = { REGIONSHIFT_LAB_TOPOLOGY: 'env-t.yaml', REGIONSHIFT_LAB_POLICY: 'env-p.yaml' };
    expect(labArgs([], env)).toMatchObject({ topologyFile: 'env-t.yaml', topologyFrom: 'REGIONSHIFT_LAB_TOPOLOGY', policyFile: 'env-p.yaml', policyFrom: 'REGIONSHIFT_LAB_POLICY' });
    expect(labArgs(['--topology=t.yaml', '--policy', 'p.yaml', '--state-dir', 'd'], env)).toMatchObject({ topologyFile: 't.yaml', topologyFrom: '--topology', policyFile: 'p.yaml', policyFrom: '--policy' });
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
      const { topology, policy } = loadLabWorld(labArgs(['--topology', `examples/topologies/${name}.yaml`, '--policy', `examples/topologies/${name}.policy.yaml`], {}));
      expect(Object.keys(policy.regions).sort()).toEqual(topology.regions.map((r) => r.name).sort());
    }
  });
});
