import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { labLogstores } from '../../lab/world';
import { topologySchema } from '../../lab/topology/schema';

const topology = topologySchema.parse(parseYaml(readFileSync('lab/topology/bookinfo.yaml', 'utf8')));

test("each cluster's Logstore: the policy's telemetry.logstores when given, with the cluster's region", () => {
  const policy =
    'telemetry:\n  logstores:\n    - { project: p-hz, logstore: ls, cluster: c-hangzhou }\n    - { project: p-sh, logstore: ls, cluster: c-shanghai }\n    - { project: p-x, logstore: ls, cluster: not-a-cluster }\n';
  expect([...labLogstores(topology, policy)]).toEqual([
    ['c-hangzhou', { project: 'p-hz', logstore: 'ls', region: 'cn-hangzhou' }],
    ['c-shanghai', { project: 'p-sh', logstore: 'ls', region: 'cn-shanghai' }],
  ]);
});

test("without telemetry in the policy: ACK's k8s-log-<cluster> project per cluster", () => {
  expect([...labLogstores(topology, 'regions: {}\n')]).toEqual([
    ['c-hangzhou', { project: 'k8s-log-c-hangzhou', logstore: 'istio-access-log', region: 'cn-hangzhou' }],
    ['c-shanghai', { project: 'k8s-log-c-shanghai', logstore: 'istio-access-log', region: 'cn-shanghai' }],
  ]);
});
