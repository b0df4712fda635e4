import { readFileSync } from 'node:fs';
import { loadSYaml } from '../../lab/host/s-yaml';
import type { MeshState, Signal } from '../../shared/core/types';
import { activeFor, cmsFields, keyNames } from '../../lab/support/cms';
import { signalProblems } from '../reliability/fuzz-matched';
import { ALL_CHECKS, DEFAULT_REPORT } from '../reliability/report';
import { CMS_DELIVERY, deliverAsCms } from '../reliability/storm-mix';
import type { StoredEvent } from '../../shared/ports/state-store';
import { alarmCallbackUrl, controlRouteList, entryPoints } from '../reliability/entry-points';
import { classify, collapse } from '../reliability/kill';
import { doubleTransitions, transitionsOf } from '../reliability/storm';

/** The reliability suite's own judgement: a check that cannot fail, or miscounts, is worse than none. */

const decision = (seq: number, reasons: string[]): StoredEvent => ({
  seq,
  mesh: 'm',
  at: seq,
  kind: 'decision',
  actor: 'cms',
  summary: '',
  detail: { reasons },
});

test('a health transition recorded twice in a row is a double; there and back is not', () => {
  const events = [
    decision(1, ['signal x: cn-hangzhou down from cms', 'cn-hangzhou HEALTHY → DOWN: down signals meet quorum']),
    decision(2, ['cn-hangzhou HEALTHY → DOWN: down signals meet quorum']),
    decision(3, ['cn-shanghai HEALTHY → DEGRADED: x']),
    decision(4, ['cn-hangzhou DOWN → RECOVERING: held']),
    decision(5, ['cn-hangzhou RECOVERING → DOWN: relapse']),
  ];
  const ts = transitionsOf(events);
  expect(ts.map((t) => `${t.region} ${t.from}→${t.to}`)).toEqual([
    'cn-hangzhou HEALTHY→DOWN',
    'cn-hangzhou HEALTHY→DOWN',
    'cn-shanghai HEALTHY→DEGRADED',
    'cn-hangzhou DOWN→RECOVERING',
    'cn-hangzhou RECOVERING→DOWN',
  ]);
  expect(doubleTransitions(ts)).toBe(1);
  expect(doubleTransitions(transitionsOf([events[0] as StoredEvent, events[2] as StoredEvent]))).toBe(0);
});

test('the kill check sees scale, readiness and mesh requests as step effects, and nothing else', () => {
  expect(
    classify('PATCH', '/k8s/c-shanghai/apis/apps/v1/namespaces/default/deployments/reviews-v2/scale', '{"spec":{"replicas":4}}'),
  ).toEqual({ key: 'c-shanghai/reviews-v2', effect: 'scale', replicas: 4 });
  expect(classify('GET', '/k8s/c-shanghai/apis/apps/v1/namespaces/default/deployments/reviews-v2', '')).toEqual({
    key: 'c-shanghai/reviews-v2',
    effect: 'ready',
  });
  expect(classify('POST', '/asm', 'Action=UpdateMeshFeature&LocalityLBConf=%7B%7D&ServiceMeshId=m')).toEqual({
    key: 'mesh',
    effect: 'mesh',
    config: '{}',
  });
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
  expect(controlRouteList().map((r) => `${r.method} ${r.path}`)).toEqual(
    expect.arrayContaining(['GET /v1/status', 'POST /v1/overrides', 'DELETE /v1/overrides/ovr-1']),
  );
  expect(alarmCallbackUrl('http://h', 'a b')).toBe('http://h/alarm/cms?region=cn-hangzhou&token=a%20b');
  expect(alarmCallbackUrl('http://h', 'a b', 'cn-shanghai')).toBe('http://h/alarm/cms?region=cn-shanghai&token=a%20b');
});

const sig = (key: string, over: Partial<Signal> = {}): Signal => ({
  key,
  source: 'cms',
  region: 'cn-hangzhou',
  severity: 'down',
  status: 'firing',
  at: 1_000_000,
  ttl: 60_000,
  ...over,
});
const stateOf = (...signals: Signal[]) => ({ signals: Object.fromEntries(signals.map((s) => [s.key, s])) }) as unknown as MeshState;

test('an alarm is found by its instance in the signal key, and rs-1 is not rs-12', () => {
  const key = 'cms-5xx|cms|putNewAlarm_user_x|instanceId=rs-12,port=443,userId=1';
  expect(keyNames(key, 'rs-12')).toBe(true);
  expect(keyNames(key, 'rs-1')).toBe(false);
  expect(keyNames('r|cms|id|port=443,instanceId=rs-1', 'rs-1')).toBe(true);
  expect(activeFor(stateOf(sig(key), sig('cms-5xx|cms|x|instanceId=rs-1,port=443', { status: 'resolved' })), 'rs-1')).toEqual([]);
  expect(activeFor(stateOf(sig(key)), 'rs-12')).toHaveLength(1);
  expect(cmsFields('a', 'OK', 5)).toEqual(
    expect.objectContaining({
      alertState: 'OK',
      triggerLevel: 'OK',
      timestamp: '5',
      dimensions: '{userId=1234567890123456, instanceId=a, port=443}',
    }),
  );
});

test('the matching fuzz sees a signal with no severity, an undeclared region, or a time far from now', () => {
  const now = 1_000_000_000;
  expect(signalProblems(stateOf(sig('ok', { at: now - 60_000 }), sig('w', { severity: 'degraded', at: now })), now)).toEqual([]);
  const bad = signalProblems(
    stateOf(
      sig('proto', { severity: undefined as unknown as Signal['severity'], at: now }),
      sig('fn', { severity: (() => 'x') as unknown as Signal['severity'], at: now }),
      sig('where', { region: '__proto__', at: now }),
      sig('old', { at: now - 30 * 86_400_000 }),
      sig('nan', { at: Number.NaN }),
    ),
    now,
  );
  expect(bad.map((p) => p.split(' ')[1])).toEqual(['proto', 'fn', 'where', 'old', 'nan']);
});

test('the storm sends as CMS does: 3 retries of 5 s each, lost only when every attempt failed', async () => {
  expect(CMS_DELIVERY).toEqual({ retries: 3, timeoutMs: 5_000 });
  const answers = (xs: Array<number | 'hang'>) => {
    let i = 0;
    return (signal: AbortSignal) => {
      const a = xs[i++];
      if (a === 'hang') return new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      return Promise.resolve({ status: a as number, text: '' });
    };
  };
  expect(await deliverAsCms(answers([503, 200]))).toEqual({ final: '200', delivered: true, failed: ['503'] });
  expect(await deliverAsCms(answers([503, 503, 503, 503, 200]))).toEqual({
    final: '503',
    delivered: false,
    failed: ['503', '503', '503', '503'],
  });
  expect(await deliverAsCms(answers(['hang', 200]), { retries: 3, timeoutMs: 20 })).toEqual({
    final: '200',
    delivered: true,
    failed: ['timeout'],
  });
});

test('the suite writes its figures to an untracked file unless told otherwise; docs/reliability.md is published by a script', () => {
  expect(DEFAULT_REPORT.startsWith('.regionshift/')).toBe(true);
  expect(readFileSync('.gitignore', 'utf8').split('\n')).toContain('.regionshift/');
  const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;
  expect(scripts['reliability:publish']).toContain('RELIABILITY_REPORT=docs/reliability.md');
  expect(scripts['test:reliability']).not.toContain('docs/reliability.md');
  expect(ALL_CHECKS).toEqual(expect.arrayContaining(['fuzz-matched', 'resolve', 'audit', 'replay']));
});
