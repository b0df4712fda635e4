import { loadSYaml } from '../../lab/host/s-yaml';
import type { StoredEvent } from '../../shared/ports/state-store';
import { alarmCallbackUrl, controlRouteList, entryPoints } from '../reliability/entry-points';
import { classify, collapse } from '../reliability/kill';
import { doubleTransitions, transitionsOf } from '../reliability/storm';

/** The reliability suite's own judgement: a check that cannot fail, or miscounts, is worse than none. */

const decision = (seq: number, reasons: string[]): StoredEvent => ({ seq, mesh: 'm', at: seq, kind: 'decision', actor: 'cms', summary: '', detail: { reasons } });

test('a health transition recorded twice in a row is a double; there and back is not', () => {
  const events = [
    decision(1, ['signal x: cn-hangzhou down from cms', 'cn-hangzhou HEALTHY → DOWN: down signals meet quorum']),
    decision(2, ['cn-hangzhou HEALTHY → DOWN: down signals meet quorum']),
    decision(3, ['cn-shanghai HEALTHY → DEGRADED: x']),
    decision(4, ['cn-hangzhou DOWN → RECOVERING: held']),
    decision(5, ['cn-hangzhou RECOVERING → DOWN: relapse']),
  ];
  const ts = transitionsOf(events);
  expect(ts.map((t) => `${t.region} ${t.from}→${t.to}`)).toEqual(['cn-hangzhou HEALTHY→DOWN', 'cn-hangzhou HEALTHY→DOWN', 'cn-shanghai HEALTHY→DEGRADED', 'cn-hangzhou DOWN→RECOVERING', 'cn-hangzhou RECOVERING→DOWN']);
  expect(doubleTransitions(ts)).toBe(1);
  expect(doubleTransitions(transitionsOf([events[0] as StoredEvent, events[2] as StoredEvent]))).toBe(0);
});

test('the kill check sees scale, readiness and mesh requests as step effects, and nothing else', () => {
  expect(classify('PATCH', '/k8s/c-shanghai/apis/apps/v1/namespaces/default/deployments/reviews-v2/scale', '{"spec":{"replicas":4}}')).toEqual({ key: 'c-shanghai/reviews-v2', effect: 'scale', replicas: 4 });
  expect(classify('GET', '/k8s/c-shanghai/apis/apps/v1/namespaces/default/deployments/reviews-v2', '')).toEqual({ key: 'c-shanghai/reviews-v2', effect: 'ready' });
  expect(classify('POST', '/asm', 'Action=UpdateMeshFeature&LocalityLBConf=%7B%7D&ServiceMeshId=m')).toEqual({ key: 'mesh', effect: 'mesh', config: '{}' });
  expect(classify('POST', '/asm', 'Action=DescribeServiceMeshDetail&ServiceMeshId=m')).toBeNull();
  expect(classify('GET', '/cs/k8s/c-shanghai/user_config', '')).toBeNull();
  expect(collapse([2, 5, 5, 2, 2])).toEqual([2, 5, 2]);
});

test('entry points come from s.yaml: every function is invoked directly and through each of its triggers', () => {
  const { spec } = loadSYaml('s.yaml', { ALIBABA_CLOUD_ACCOUNT_ID: '0' });
  const eps = entryPoints();
  for (const [key, r] of Object.entries(spec.resources)) {
    expect(eps).toContainEqual(expect.objectContaining({ fn: key, kind: 'invoke' }));
    for (const t of r.props.triggers ?? []) expect(eps).toContainEqual(expect.objectContaining({ fn: key, kind: t.triggerType }));
  }
  expect(controlRouteList().map((r) => `${r.method} ${r.path}`)).toEqual(expect.arrayContaining(['GET /v1/status', 'POST /v1/overrides', 'DELETE /v1/overrides/ovr-1']));
  expect(alarmCallbackUrl('http://h', 'a b')).toBe('http://h/alarm/cms?region=cn-hangzhou&token=a%20b');
  expect(alarmCallbackUrl('http://h', 'a b', 'cn-shanghai')).toBe('http://h/alarm/cms?region=cn-shanghai&token=a%20b');
});
