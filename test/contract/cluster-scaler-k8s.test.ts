import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeconfigResolver } from '../../shared/adapters/kubeconfig';
import { K8sClusterScaler } from '../../shared/adapters/scaler-k8s';
import { RegionshiftError, UpstreamError, ValidationError } from '../../shared/core/errors';
import type { ApiCall } from '../../lab/k8s/k8s-api';
import { CLUSTERS, LAB, POLL_INTERVAL_MS, scalerHarness, STARTUP_DELAY_MS, type ScalerHarness } from './cluster-scaler-lab';
import { rejection } from '../support/rejection';

describe('K8sClusterScaler against the Kubernetes API twin', () => {
  let h: ScalerHarness;
  beforeEach(async () => {
    h = await scalerHarness();
  });
  afterEach(async () => {
    await h.cp.stop();
  });

  test('scale goes through the scale subresource as a merge patch, to the right cluster only', async () => {
    const calls: ApiCall[] = [];
    h.cp.k8s.onRequest((c) => calls.push(c));
    await h.scaler.scale(h.deployment, 4);
    expect(calls).toEqual([
      { scope: 'c-hangzhou', verb: 'patch', resource: 'deployments/scale', namespace: 'bookinfo', name: 'reviews-v1' },
    ]);
    expect(await h.scaler.get({ cluster: 'c-shanghai', namespace: 'bookinfo', name: 'reviews-v2' })).toEqual({
      replicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
    });
  });

  test('throttled or failing reads while waiting are waited out', async () => {
    await h.scaler.scale(h.deployment, 2);
    h.cp.k8s.failNext(2, 429, { verb: 'get' });
    h.cp.k8s.failNext(1, 503, { verb: 'get' });
    const t0 = h.clock.now();
    expect(await h.scaler.waitReady(h.deployment, 2, t0 + 10 * STARTUP_DELAY_MS)).toBe(true);
    expect(h.clock.now() - t0).toBe(STARTUP_DELAY_MS);
  });

  test('a forbidden read while waiting is reported, not waited out', async () => {
    h.cp.access.grant(LAB.token, { subject: 'system:serviceaccount:regionshift:scaler', verbs: ['patch'] });
    const error = await rejection(h.scaler.waitReady(h.deployment, 2, h.clock.now() + 10_000));
    expect(error).toMatchObject({ name: 'UpstreamError', code: 'K8S.Forbidden', retryable: false });
  });

  test('waitReady polls at the configured interval and stops at the deadline', async () => {
    await h.scaler.scale(h.deployment, 3);
    const t0 = h.clock.now();
    const gets: number[] = [];
    h.cp.k8s.onRequest((c) => c.verb === 'get' && gets.push(h.clock.now() - t0));
    expect(await h.scaler.waitReady(h.deployment, 3, t0 + 1_200)).toBe(false);
    expect(gets).toEqual([0, POLL_INTERVAL_MS, 2 * POLL_INTERVAL_MS, 1_200]);
  });

  test('a throttled scale is a retryable K8S.TooManyRequests', async () => {
    h.cp.k8s.failNext(1, 429, { resource: 'deployments/scale' });
    await expect(h.scaler.scale(h.deployment, 2)).rejects.toMatchObject({
      name: 'UpstreamError',
      code: 'K8S.TooManyRequests',
      retryable: true,
    });
    await h.scaler.scale(h.deployment, 2);
    expect(await h.scaler.get(h.deployment)).toEqual({ replicas: 2, readyReplicas: 1, availableReplicas: 1 });
  });

  test('a negative replica count is refused before any call', async () => {
    const calls: ApiCall[] = [];
    h.cp.k8s.onRequest((c) => calls.push(c));
    await expect(h.scaler.scale(h.deployment, -1)).rejects.toBeInstanceOf(ValidationError);
    expect(calls).toEqual([]);
  });

  test('a cluster without a kubeconfig source is a configuration error naming it', async () => {
    const error = await rejection(h.scaler.get({ ...h.deployment, cluster: 'c-beijing' }));
    expect(error).toBeInstanceOf(RegionshiftError);
    expect(error).toMatchObject({ code: 'CONFIG.KUBECONFIG' });
    expect((error as Error).message).toContain('"c-beijing"');
  });
});

describe('KubeconfigResolver', () => {
  let h: ScalerHarness;
  let dir: string;
  beforeEach(async () => {
    h = await scalerHarness();
    dir = mkdtempSync(join(tmpdir(), 'regionshift-kubeconfig-'));
  });
  afterEach(async () => {
    await h.cp.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function scalerWith(resolver: KubeconfigResolver): K8sClusterScaler {
    return new K8sClusterScaler({ kubeconfigs: resolver.provider, clock: h.clock });
  }

  test('reads a kubeconfig from a file, from an env var holding YAML, and from inline YAML', async () => {
    const path = join(dir, 'hangzhou.yaml');
    writeFileSync(path, h.cp.kubeconfig('c-hangzhou'));
    const resolver = new KubeconfigResolver({
      sources: {
        file: { from: 'file', path },
        env: { from: 'env', variable: 'KUBECONFIG_SHANGHAI' },
        inline: { from: 'yaml', yaml: h.cp.kubeconfig('c-hangzhou') },
      },
      env: { KUBECONFIG_SHANGHAI: h.cp.kubeconfig('c-shanghai') },
    });
    const scaler = scalerWith(resolver);
    expect(await scaler.get({ cluster: 'file', namespace: 'bookinfo', name: 'reviews-v1' })).toEqual({
      replicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
    });
    expect(await scaler.get({ cluster: 'env', namespace: 'bookinfo', name: 'reviews-v2' })).toEqual({
      replicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
    });
    expect(await scaler.get({ cluster: 'inline', namespace: 'bookinfo', name: 'reviews-v1' })).toEqual({
      replicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
    });
  });

  test.each([
    ['an unset env var', { from: 'env', variable: 'KUBECONFIG_NOWHERE' } as const, 'environment variable KUBECONFIG_NOWHERE is not set'],
    [
      'a missing file',
      { from: 'file', path: '/nonexistent/kubeconfig.yaml' } as const,
      'cannot load kubeconfig file /nonexistent/kubeconfig.yaml',
    ],
    [
      'YAML without a current context',
      { from: 'yaml', yaml: 'apiVersion: v1\nkind: Config\nclusters: []\n' } as const,
      'has no current context with a cluster server',
    ],
  ])('%s is a configuration error that says what is wrong', async (_label, source, message) => {
    const resolver = new KubeconfigResolver({ sources: { c: source }, env: {} });
    const error = await rejection(resolver.get('c'));
    expect(error).toMatchObject({ name: 'RegionshiftError', code: 'CONFIG.KUBECONFIG' });
    expect((error as Error).message).toContain(message);
  });

  test('ACK and ASM sources need credentials, and say which sources do', () => {
    expect(
      () => new KubeconfigResolver({ sources: { hz: { from: 'ack', clusterId: 'c-hangzhou' }, mesh: { from: 'asm', meshId: 'm' } } }),
    ).toThrow('kubeconfig sources hz, mesh call Alibaba Cloud APIs and need credentials');
  });

  test('an ACK kubeconfig is reused until shortly before it expires, then fetched again', async () => {
    const resolver = new KubeconfigResolver({
      sources: { hz: { from: 'ack', clusterId: 'c-hangzhou', endpoint: h.cp.csEndpoint, temporaryDurationMinutes: 15 } },
      credentials: { accessKeyId: LAB.accessKeyId, accessKeySecret: LAB.accessKeySecret },
      clock: h.clock,
      refreshMarginMs: 5 * 60_000,
    });
    const fetches = () => h.cp.cs.calls.filter((c) => c.code === 'OK').map((c) => c.path);
    const first = await resolver.get('hz');
    expect(await resolver.get('hz')).toBe(first);
    h.clock.advance(10 * 60_000 - 1);
    expect(await resolver.get('hz')).toBe(first);
    expect(fetches()).toEqual(['/k8s/c-hangzhou/user_config']);
    h.clock.advance(1);
    expect(await resolver.get('hz')).not.toBe(first);
    expect(fetches()).toEqual(['/k8s/c-hangzhou/user_config', '/k8s/c-hangzhou/user_config']);
  });

  test('a failed ACK fetch is not cached: throttled first, fine on the next call', async () => {
    h.cp.cs.failNext(1, 'Throttling.User');
    const error = await rejection(h.resolver.get('c-shanghai'));
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ code: 'CS.Throttling.User', retryable: true });
    expect((await h.resolver.get('c-shanghai')).getCurrentCluster()?.server).toBe(h.cp.k8sUrl('c-shanghai'));
  });

  test.each([
    ['an unknown ACK cluster', 'CS.ErrorClusterNotFound', { clusterId: 'c-unknown' }, {}],
    ['a wrong secret', 'CS.SignatureDoesNotMatch', { clusterId: 'c-hangzhou' }, { accessKeySecret: 'wrong' }],
  ])('%s is a non-retryable %s', async (_label, code, source, creds) => {
    const resolver = new KubeconfigResolver({
      sources: { x: { from: 'ack', endpoint: h.cp.csEndpoint, ...source } },
      credentials: { accessKeyId: LAB.accessKeyId, accessKeySecret: LAB.accessKeySecret, ...creds },
    });
    await expect(resolver.get('x')).rejects.toMatchObject({ name: 'UpstreamError', code, retryable: false });
  });

  test('every lab cluster resolves to its own scope', async () => {
    for (const id of CLUSTERS) expect((await h.resolver.get(id)).getCurrentCluster()?.server).toBe(h.cp.k8sUrl(id));
  });
});
