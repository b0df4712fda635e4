import { startLabControlPlane, type LabControlPlane } from '../../lab/k8s/control-plane';
import { STARTUP_DELAY_ANNOTATION } from '../../lab/k8s/deployment-pods';
import { FakeClock } from '../../lab/fakes/fake-clock';

const TOKEN = 'lab-bearer-token';
const DEPLOYMENTS = '/apis/apps/v1/namespaces/bookinfo/deployments';
const SCOPE = 'c-hangzhou';

let cp: LabControlPlane;
let clock: FakeClock;

async function call(
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${cp.k8sUrl(SCOPE)}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { 'content-type': contentType } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function createDeployment(name: string, replicas: number | undefined, delayMs?: number) {
  return call('POST', DEPLOYMENTS, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, ...(delayMs !== undefined ? { annotations: { [STARTUP_DELAY_ANNOTATION]: String(delayMs) } } : {}) },
    spec: {
      ...(replicas !== undefined ? { replicas } : {}),
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image: 'bookinfo' }] } },
    },
  });
}

async function statusOf(name: string): Promise<unknown> {
  return (await call('GET', `${DEPLOYMENTS}/${name}`)).body.status;
}

async function scaleTo(name: string, replicas: number) {
  return call('PATCH', `${DEPLOYMENTS}/${name}/scale`, { spec: { replicas } }, 'application/merge-patch+json');
}

beforeEach(async () => {
  clock = new FakeClock();
  cp = await startLabControlPlane({
    clusters: [SCOPE, 'c-shanghai'],
    token: TOKEN,
    accessKeyId: 'ak',
    accessKeySecret: 'sk',
    meshId: 'm',
    clock,
  });
});
afterEach(async () => {
  await cp.stop();
});

describe('Deployment status follows the pods', () => {
  test('new pods become ready exactly when their startup delay has passed; zero counts are omitted', async () => {
    await createDeployment('reviews-v1', 2, 1_000);
    expect(await statusOf('reviews-v1')).toEqual({ observedGeneration: 1, replicas: 2, updatedReplicas: 2, unavailableReplicas: 2 });
    clock.advance(999);
    expect(await statusOf('reviews-v1')).toEqual({ observedGeneration: 1, replicas: 2, updatedReplicas: 2, unavailableReplicas: 2 });
    clock.advance(1);
    expect(await statusOf('reviews-v1')).toEqual({
      observedGeneration: 1,
      replicas: 2,
      updatedReplicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
    });
  });

  test('without the annotation pods take 2000 ms; without spec.replicas there is one', async () => {
    const created = await createDeployment('ratings-v1', undefined);
    expect(created.body).toMatchObject({ spec: { replicas: 1 } });
    clock.advance(1_999);
    expect(cp.routing.replicas(SCOPE, 'bookinfo', 'ratings-v1')).toEqual({ desired: 1, ready: 0 });
    clock.advance(1);
    expect(cp.routing.replicas(SCOPE, 'bookinfo', 'ratings-v1')).toEqual({ desired: 1, ready: 1 });
  });

  test('scaling down removes pods at once, the not-ready ones first', async () => {
    await createDeployment('reviews-v1', 2, 1_000);
    clock.advance(1_000);
    await scaleTo('reviews-v1', 4);
    expect(cp.routing.replicas(SCOPE, 'bookinfo', 'reviews-v1')).toEqual({ desired: 4, ready: 2 });
    await scaleTo('reviews-v1', 3);
    expect(await statusOf('reviews-v1')).toEqual({
      observedGeneration: 3,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 2,
      availableReplicas: 2,
      unavailableReplicas: 1,
    });
    await scaleTo('reviews-v1', 1);
    expect(await statusOf('reviews-v1')).toEqual({
      observedGeneration: 4,
      replicas: 1,
      updatedReplicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
    });
    await scaleTo('reviews-v1', 0);
    expect(await statusOf('reviews-v1')).toEqual({ observedGeneration: 5 });
    expect(cp.routing.replicas(SCOPE, 'bookinfo', 'reviews-v1')).toEqual({ desired: 0, ready: 0 });
  });

  test('a replaced Deployment keeps the pods it had', async () => {
    await createDeployment('reviews-v1', 2, 1_000);
    clock.advance(1_000);
    const current = (await call('GET', `${DEPLOYMENTS}/reviews-v1`)).body as { spec: Record<string, unknown> };
    const replaced = await call('PUT', `${DEPLOYMENTS}/reviews-v1`, { ...current, spec: { ...current.spec, replicas: 3 } });
    expect(replaced.status).toBe(200);
    expect(cp.routing.replicas(SCOPE, 'bookinfo', 'reviews-v1')).toEqual({ desired: 3, ready: 2 });
  });

  test('routing.replicas is null for an unknown deployment or cluster, and clusters are separate', async () => {
    await createDeployment('reviews-v1', 1);
    expect(cp.routing.replicas('c-shanghai', 'bookinfo', 'reviews-v1')).toBeNull();
    expect(cp.routing.replicas(SCOPE, 'bookinfo', 'reviews-v9')).toBeNull();
    expect(cp.routing.replicas('c-beijing', 'bookinfo', 'reviews-v1')).toBeNull();
  });

  test.each([
    [
      'negative replicas',
      -1,
      undefined,
      'Deployment.apps "bad" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    ],
    [
      'a startup delay that is not a number',
      1,
      'soon',
      `Deployment.apps "bad" is invalid: metadata.annotations[${STARTUP_DELAY_ANNOTATION}]: Invalid value: "soon": must be a whole number of milliseconds`,
    ],
  ])('%s is 422', async (_label, replicas, delay, message) => {
    const answer = await call('POST', DEPLOYMENTS, {
      metadata: { name: 'bad', ...(delay ? { annotations: { [STARTUP_DELAY_ANNOTATION]: delay } } : {}) },
      spec: { replicas },
    });
    expect(answer).toMatchObject({ status: 422, body: { reason: 'Invalid', message } });
  });

  test('replace of a Deployment without resourceVersion is allowed (built-in types allow unconditional update)', async () => {
    await createDeployment('reviews-v1', 1);
    const answer = await call('PUT', `${DEPLOYMENTS}/reviews-v1`, { metadata: { name: 'reviews-v1' }, spec: { replicas: 2 } });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ metadata: { generation: 2 }, spec: { replicas: 2 } });
  });
});

describe('the scale subresource', () => {
  test('GET returns the whole autoscaling/v1 Scale', async () => {
    const created = (await createDeployment('reviews-v1', 2, 1_000)).body as { metadata: Record<string, unknown> };
    expect((await call('GET', `${DEPLOYMENTS}/reviews-v1/scale`)).body).toEqual({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {
        name: 'reviews-v1',
        namespace: 'bookinfo',
        uid: created.metadata.uid,
        resourceVersion: created.metadata.resourceVersion,
        creationTimestamp: '2025-03-03T02:00:00Z',
      },
      spec: { replicas: 2 },
      status: { replicas: 2, selector: 'app=reviews-v1' },
    });
  });

  test('PUT with a stale resourceVersion is 409; with the current one it scales', async () => {
    const created = (await createDeployment('reviews-v1', 1)).body as { metadata: { resourceVersion: string } };
    await scaleTo('reviews-v1', 2);
    const stale = await call('PUT', `${DEPLOYMENTS}/reviews-v1/scale`, {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name: 'reviews-v1', resourceVersion: created.metadata.resourceVersion },
      spec: { replicas: 5 },
    });
    expect(stale).toMatchObject({ status: 409, body: { reason: 'Conflict', code: 409 } });
    const current = (await call('GET', `${DEPLOYMENTS}/reviews-v1/scale`)).body as { metadata: { resourceVersion: string } };
    const ok = await call('PUT', `${DEPLOYMENTS}/reviews-v1/scale`, {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name: 'reviews-v1', resourceVersion: current.metadata.resourceVersion },
      spec: { replicas: 5 },
    });
    expect(ok).toMatchObject({ status: 200, body: { spec: { replicas: 5 } } });
    expect(cp.routing.replicas(SCOPE, 'bookinfo', 'reviews-v1')).toEqual({ desired: 5, ready: 0 });
  });

  test('a JSON patch on the scale works; negative replicas are 422 against Scale', async () => {
    await createDeployment('reviews-v1', 1);
    const patched = await call(
      'PATCH',
      `${DEPLOYMENTS}/reviews-v1/scale`,
      [{ op: 'replace', path: '/spec/replicas', value: 3 }],
      'application/json-patch+json',
    );
    expect(patched).toMatchObject({ status: 200, body: { spec: { replicas: 3 } } });
    expect(await scaleTo('reviews-v1', -2)).toEqual({
      status: 422,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'Scale.autoscaling "reviews-v1" is invalid: spec.replicas: Invalid value: -2: must be greater than or equal to 0',
        reason: 'Invalid',
        details: {
          name: 'reviews-v1',
          group: 'autoscaling',
          kind: 'Scale',
          causes: [
            {
              reason: 'FieldValueInvalid',
              message: 'spec.replicas: Invalid value: -2: must be greater than or equal to 0',
              field: 'spec.replicas',
            },
          ],
        },
        code: 422,
      },
    });
  });

  test('scaling to the same count writes nothing', async () => {
    const created = (await createDeployment('reviews-v1', 2)).body as { metadata: { resourceVersion: string } };
    const answer = await scaleTo('reviews-v1', 2);
    expect(answer.body).toMatchObject({ metadata: { resourceVersion: created.metadata.resourceVersion } });
  });

  test('the scale of a missing Deployment is 404', async () => {
    expect(await scaleTo('nope', 1)).toMatchObject({
      status: 404,
      body: { reason: 'NotFound', message: 'deployments.apps "nope" not found' },
    });
  });
});
