import { parsePolicy } from '../../../shared/core/policy';
import { readReadiness, servedService } from '../../../shared/engine/observe';
import { FakeClock, FakeClusterScaler } from '../../../lab/fakes';

/** What the target guard reads before a move: per region, a ready Deployment for every service the policy runs. */
const hz = { normalReplicas: 2, min: 1, max: 6 };
const policy = parsePolicy({
  name: 'bookinfo',
  mesh: { backend: 'asm', meshId: 'm', apiRegion: 'cn-hangzhou' },
  regions: { 'cn-hangzhou': { clusters: [{ id: 'c-hangzhou' }] }, 'cn-shanghai': { clusters: [{ id: 'c-shanghai' }] } },
  scaling: {
    deployments: [
      // productpage runs in hangzhou only (istio-multi-primary's shape): shanghai cannot take its traffic.
      { name: 'productpage-v1', namespace: 'default', regions: { 'cn-hangzhou': hz } },
      // reviews: one version per region, as in the ASM docs' Bookinfo: both regions serve reviews.
      { name: 'reviews-v1', namespace: 'default', regions: { 'cn-hangzhou': hz } },
      { name: 'reviews-v2', namespace: 'default', regions: { 'cn-shanghai': hz } },
    ],
  },
});

describe('readReadiness', () => {
  test('a service the policy runs elsewhere but not in the region makes it not ready; one version per region is enough', async () => {
    const scaler = new FakeClusterScaler(new FakeClock(), {
      strict: true,
      deployments: { 'c-hangzhou/default/productpage-v1': 2, 'c-hangzhou/default/reviews-v1': 2, 'c-shanghai/default/reviews-v2': 2 },
    });
    expect(await readReadiness(policy, scaler, ['cn-hangzhou', 'cn-shanghai'])).toEqual({
      ready: {
        'cn-hangzhou': { ready: true, missing: [], unknown: [] },
        'cn-shanghai': { ready: false, missing: ['productpage (no Deployment of it placed in cn-shanghai)'], unknown: [] },
      },
    });
  });

  test('a Deployment scaled to zero or not found is not ready; a failed read is unknown and blocks nothing', async () => {
    const scaler = new FakeClusterScaler(new FakeClock(), {
      strict: true,
      deployments: { 'c-hangzhou/default/productpage-v1': 0, 'c-shanghai/default/reviews-v2': 2 },
    });
    expect((await readReadiness(policy, scaler, ['cn-hangzhou'])).ready?.['cn-hangzhou']).toEqual({
      ready: false,
      missing: ['c-hangzhou/default/productpage-v1', 'c-hangzhou/default/reviews-v1'],
      unknown: [],
    });
    const flaky = new FakeClusterScaler(new FakeClock(), { deployments: { 'c-shanghai/default/reviews-v2': 2 } });
    flaky.failNext(1, 'throttle', 'get');
    const read = (await readReadiness(policy, flaky, ['cn-shanghai'])).ready?.['cn-shanghai'];
    expect(read?.unknown).toEqual(['c-shanghai/default/reviews-v2']);
    expect(read?.missing).toEqual(['productpage (no Deployment of it placed in cn-shanghai)']);
  });

  test('the service of a Deployment: its own service field, else its name without a version suffix', () => {
    expect([
      servedService({ name: 'reviews-v2' }),
      servedService({ name: 'storefront-web' }),
      servedService({ name: 'api-v1', service: 'gateway' }),
    ]).toEqual(['reviews', 'storefront-web', 'gateway']);
  });
});
