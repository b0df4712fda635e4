import { startLabControlPlane, MESH_SCOPE, type LabControlPlane } from '../../lab/k8s/control-plane';
import type { StoreChange } from '../../lab/k8s/object-store';
import { localityLbProblems, type LocalityLbSettingInput } from '../../shared/core/mesh-validation';
import { FakeClock } from '../../lab/fakes/fake-clock';

const TOKEN = 'lab-bearer-token';
const DR_PATH = '/apis/networking.istio.io/v1/namespaces/bookinfo/destinationrules';
const reviewsSpec = {
  host: 'reviews',
  trafficPolicy: { outlierDetection: { consecutive5xxErrors: 5 } },
  subsets: [{ name: 'v1', labels: { version: 'v1' } }],
};

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

let cp: LabControlPlane;
let clock: FakeClock;

async function call(
  method: string,
  path: string,
  opts: { body?: unknown; contentType?: string; token?: string | null; scope?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (opts.token !== null) headers.authorization = `Bearer ${opts.token ?? TOKEN}`;
  if (opts.body !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
  const res = await fetch(`${cp.k8sUrl(opts.scope ?? MESH_SCOPE)}${path}`, {
    method,
    headers,
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

/** Status and body only, to compare whole answers. */
function strip(a: Answer): { status: number; body: Record<string, unknown> } {
  return { status: a.status, body: a.body };
}

function status(code: number, reason: string, message: string, details?: Record<string, unknown>) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

async function createReviews(spec: unknown = reviewsSpec): Promise<Answer> {
  return call('POST', DR_PATH, {
    body: {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'reviews', labels: { app: 'reviews' } },
      spec,
    },
  });
}

beforeEach(async () => {
  clock = new FakeClock();
  cp = await startLabControlPlane({ clusters: ['c-hangzhou'], token: TOKEN, accessKeyId: 'ak', accessKeySecret: 'sk', meshId: 'm', clock });
});
afterEach(async () => {
  await cp.stop();
});

describe('authentication and authorization', () => {
  test.each([
    ['no Authorization header', null],
    ['an unknown bearer token', 'guessed-token'],
  ])('%s is 401 Unauthorized', async (_label, token) => {
    expect(strip(await call('GET', DR_PATH, { token }))).toEqual({ status: 401, body: status(401, 'Unauthorized', 'Unauthorized') });
  });

  test('a token without the verb is 403 Forbidden, naming subject, verb and resource', async () => {
    cp.access.grant('reader', { subject: 'system:serviceaccount:ops:reader', verbs: ['get', 'list'] });
    await createReviews();
    const answer = await call('PATCH', `${DR_PATH}/reviews`, {
      token: 'reader',
      body: { metadata: { labels: { x: 'y' } } },
      contentType: 'application/merge-patch+json',
    });
    expect(answer.status).toBe(403);
    expect(answer.body).toEqual(
      status(
        403,
        'Forbidden',
        'destinationrules.networking.istio.io "reviews" is forbidden: User "system:serviceaccount:ops:reader" cannot patch resource "destinationrules" in API group "networking.istio.io" in the namespace "bookinfo"',
        {
          name: 'reviews',
          group: 'networking.istio.io',
          kind: 'destinationrules',
        },
      ),
    );
    expect((await call('GET', `${DR_PATH}/reviews`, { token: 'reader' })).status).toBe(200);
  });
});

describe('DestinationRules', () => {
  test('create fills server-owned metadata; every served version reads the same object', async () => {
    const created = await createReviews();
    const expected = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: {
        name: 'reviews',
        namespace: 'bookinfo',
        labels: { app: 'reviews' },
        uid: expect.stringMatching(/^[0-9a-f-]{36}$/),
        resourceVersion: '1',
        generation: 1,
        creationTimestamp: '2025-03-03T02:00:00Z',
      },
      spec: reviewsSpec,
    };
    expect(created.status).toBe(201);
    expect(created.body).toEqual(expected);
    expect((await call('GET', `${DR_PATH}/reviews`)).body).toEqual(created.body);
    expect((await call('GET', `${DR_PATH.replace('/v1/', '/v1beta1/')}/reviews`)).body).toEqual({
      ...created.body,
      apiVersion: 'networking.istio.io/v1beta1',
    });
  });

  test('a missing rule is 404 NotFound, an unknown scope too', async () => {
    expect(strip(await call('GET', `${DR_PATH}/nope`))).toEqual({
      status: 404,
      body: status(404, 'NotFound', 'destinationrules.networking.istio.io "nope" not found', {
        name: 'nope',
        group: 'networking.istio.io',
        kind: 'destinationrules',
      }),
    });
    expect((await call('GET', DR_PATH, { scope: 'c-nowhere' })).status).toBe(404);
  });

  test('creating an existing rule is 409 AlreadyExists', async () => {
    await createReviews();
    expect(strip(await createReviews())).toEqual({
      status: 409,
      body: status(409, 'AlreadyExists', 'destinationrules.networking.istio.io "reviews" already exists', {
        name: 'reviews',
        group: 'networking.istio.io',
        kind: 'destinationrules',
      }),
    });
  });

  test('replace with a stale resourceVersion is 409 Conflict and changes nothing', async () => {
    const created = (await createReviews()).body as { metadata: Record<string, unknown> };
    const first = await call('PUT', `${DR_PATH}/reviews`, { body: { ...created, spec: { ...reviewsSpec, exportTo: ['.'] } } });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ metadata: { resourceVersion: '2', generation: 2 } });
    const stale = await call('PUT', `${DR_PATH}/reviews`, { body: { ...created, spec: { host: 'reviews' } } });
    expect(stale).toMatchObject({
      status: 409,
      body: status(
        409,
        'Conflict',
        'Operation cannot be fulfilled on destinationrules.networking.istio.io "reviews": the object has been modified; please apply your changes to the latest version and try again',
        {
          name: 'reviews',
          group: 'networking.istio.io',
          kind: 'destinationrules',
        },
      ),
    });
    expect((await call('GET', `${DR_PATH}/reviews`)).body).toEqual(first.body);
  });

  test('replace without a resourceVersion is 422 for a custom resource', async () => {
    await createReviews();
    const answer = await call('PUT', `${DR_PATH}/reviews`, { body: { metadata: { name: 'reviews' }, spec: reviewsSpec } });
    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({
      reason: 'Invalid',
      message:
        'DestinationRule.networking.istio.io "reviews" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update',
    });
  });

  const bothModes: LocalityLbSettingInput = {
    enabled: true,
    failover: [{ from: 'cn-hangzhou', to: 'cn-shanghai' }],
    distribute: [{ from: 'cn-hangzhou/*', to: { 'cn-hangzhou/*': 100 } }],
  };
  const weights90: LocalityLbSettingInput = {
    enabled: true,
    distribute: [{ from: 'cn-hangzhou/*', to: { 'cn-hangzhou/*': 80, 'cn-shanghai/*': 10 } }],
  };
  test.each([
    ['both distribute and failover', bothModes],
    ['weights summing to 90', weights90],
  ])('a localityLbSetting with %s is 422 Invalid, with exactly the validation problems, on create and patch', async (_label, setting) => {
    const problems = localityLbProblems(setting).map((p) => `spec.trafficPolicy.loadBalancer.${p}`);
    expect(problems.length).toBeGreaterThan(0);
    const expected = status(
      422,
      'Invalid',
      `admission webhook "validation.istio.io" denied the request: configuration is invalid: ${problems.join('; ')}`,
      {
        name: 'reviews',
        group: 'networking.istio.io',
        kind: 'DestinationRule',
        causes: problems.map((message) => ({ reason: 'FieldValueInvalid', message })),
      },
    );
    expect(strip(await createReviews({ host: 'reviews', trafficPolicy: { loadBalancer: { localityLbSetting: setting } } }))).toEqual({
      status: 422,
      body: expected,
    });
    const created = await createReviews();
    const patch = await call('PATCH', `${DR_PATH}/reviews`, {
      body: { spec: { trafficPolicy: { loadBalancer: { localityLbSetting: setting } } } },
      contentType: 'application/merge-patch+json',
    });
    expect(strip(patch)).toEqual({ status: 422, body: expected });
    expect((await call('GET', `${DR_PATH}/reviews`)).body).toEqual(created.body);
  });

  test('an invalid setting in a subset policy is rejected too', async () => {
    const answer = await createReviews({
      host: 'reviews',
      subsets: [{ name: 'v1', trafficPolicy: { loadBalancer: { localityLbSetting: weights90 } } }],
    });
    expect(answer.status).toBe(422);
    expect(answer.body.message).toContain(
      'spec.subsets[0].trafficPolicy.loadBalancer.localityLbSetting.distribute[0].to: weights must sum to 100 (got 90)',
    );
  });

  test('merge patch: null deletes; a spec change bumps generation, a label change only resourceVersion, a no-op nothing', async () => {
    await createReviews();
    const changes: StoreChange[] = [];
    cp.store.onChange((c) => changes.push(c));
    const merge = (body: unknown) => call('PATCH', `${DR_PATH}/reviews`, { body, contentType: 'application/merge-patch+json' });
    expect((await merge({ spec: { subsets: null } })).body).toMatchObject({
      metadata: { resourceVersion: '2', generation: 2 },
      spec: { host: 'reviews', trafficPolicy: reviewsSpec.trafficPolicy },
    });
    expect((await call('GET', `${DR_PATH}/reviews`)).body.spec).toEqual({ host: 'reviews', trafficPolicy: reviewsSpec.trafficPolicy });
    expect((await merge({ metadata: { labels: { team: 'books' } } })).body).toMatchObject({
      metadata: { resourceVersion: '3', generation: 2, labels: { app: 'reviews', team: 'books' } },
    });
    expect((await merge({ spec: { host: 'reviews' } })).body).toMatchObject({ metadata: { resourceVersion: '3', generation: 2 } });
    expect(changes.map((c) => [c.type, c.object.metadata.resourceVersion])).toEqual([
      ['MODIFIED', '2'],
      ['MODIFIED', '3'],
    ]);
  });

  test('a patch carrying a stale resourceVersion is 409', async () => {
    await createReviews();
    await call('PATCH', `${DR_PATH}/reviews`, { body: { metadata: { labels: { a: 'b' } } }, contentType: 'application/merge-patch+json' });
    const stale = await call('PATCH', `${DR_PATH}/reviews`, {
      body: { metadata: { resourceVersion: '1' }, spec: { host: 'x' } },
      contentType: 'application/merge-patch+json',
    });
    expect(stale).toMatchObject({ status: 409, body: { reason: 'Conflict' } });
  });

  test('JSON patch applies its operations in order; a failed test op is 422 and changes nothing', async () => {
    await createReviews();
    const jsonPatch = (body: unknown) => call('PATCH', `${DR_PATH}/reviews`, { body, contentType: 'application/json-patch+json' });
    const patched = await jsonPatch([
      { op: 'test', path: '/spec/host', value: 'reviews' },
      { op: 'add', path: '/spec/trafficPolicy/loadBalancer', value: { simple: 'RANDOM' } },
      { op: 'replace', path: '/spec/trafficPolicy/outlierDetection/consecutive5xxErrors', value: 3 },
      { op: 'remove', path: '/spec/subsets/0' },
      { op: 'copy', from: '/spec/host', path: '/spec/exportTo' },
    ]);
    expect(patched.status).toBe(200);
    expect(patched.body.spec).toEqual({
      host: 'reviews',
      exportTo: 'reviews',
      subsets: [],
      trafficPolicy: { outlierDetection: { consecutive5xxErrors: 3 }, loadBalancer: { simple: 'RANDOM' } },
    });
    const failed = await jsonPatch([
      { op: 'remove', path: '/spec/exportTo' },
      { op: 'test', path: '/spec/host', value: 'ratings' },
    ]);
    expect(failed).toMatchObject({ status: 422, body: { reason: 'Invalid', message: 'json patch: test failed at /spec/host' } });
    expect((await call('GET', `${DR_PATH}/reviews`)).body).toEqual(patched.body);
  });

  test('a JSON patch whose body is an object (client-node 1.4 default content type) is 400', async () => {
    await createReviews();
    const answer = await call('PATCH', `${DR_PATH}/reviews`, { body: { spec: { host: 'x' } }, contentType: 'application/json-patch+json' });
    expect(answer).toMatchObject({ status: 400, body: { reason: 'BadRequest' } });
  });

  test('strategic merge patch is 415 UnsupportedMediaType', async () => {
    await createReviews();
    const answer = await call('PATCH', `${DR_PATH}/reviews`, { body: { spec: {} }, contentType: 'application/strategic-merge-patch+json' });
    expect(answer).toMatchObject({ status: 415, body: { reason: 'UnsupportedMediaType' } });
  });

  test('list: sorted, filtered by label selector, across namespaces; delete answers Success and emits DELETED', async () => {
    await createReviews();
    await call('POST', DR_PATH, { body: { metadata: { name: 'details', labels: { app: 'details' } }, spec: { host: 'details' } } });
    await call('POST', DR_PATH.replace('bookinfo', 'default'), {
      body: { metadata: { name: 'ratings', labels: { app: 'ratings' } }, spec: { host: 'ratings' } },
    });
    const names = (a: Answer) =>
      (a.body.items as Array<{ metadata: { namespace: string; name: string } }>).map((i) => `${i.metadata.namespace}/${i.metadata.name}`);
    const list = await call('GET', DR_PATH);
    expect(list.body).toMatchObject({
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRuleList',
      metadata: { resourceVersion: '3' },
    });
    expect(names(list)).toEqual(['bookinfo/details', 'bookinfo/reviews']);
    expect(names(await call('GET', `${DR_PATH}?labelSelector=${encodeURIComponent('app!=details')}`))).toEqual(['bookinfo/reviews']);
    expect(names(await call('GET', '/apis/networking.istio.io/v1/destinationrules'))).toEqual([
      'bookinfo/details',
      'bookinfo/reviews',
      'default/ratings',
    ]);
    const changes: StoreChange[] = [];
    cp.store.onChange((c) => changes.push(c));
    const deleted = await call('DELETE', `${DR_PATH}/details`);
    expect(deleted.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name: 'details', group: 'networking.istio.io', kind: 'destinationrules', uid: expect.any(String) },
    });
    expect(changes.map((c) => `${c.type} ${c.object.metadata.name}`)).toEqual(['DELETED details']);
    expect((await call('GET', `${DR_PATH}/details`)).status).toBe(404);
  });

  test('an invalid object name is 422', async () => {
    const answer = await call('POST', DR_PATH, { body: { metadata: { name: 'Reviews_V1' }, spec: { host: 'reviews' } } });
    expect(answer).toMatchObject({ status: 422, body: { reason: 'Invalid' } });
    expect(answer.body.message).toContain('metadata.name: Invalid value: "Reviews_V1"');
  });
});

describe('injected faults', () => {
  test('429 carries Retry-After, and only the next matching call fails', async () => {
    await createReviews();
    cp.k8s.failNext(1, 429, { verb: 'get' });
    expect((await call('GET', DR_PATH)).status).toBe(200);
    const throttled = await call('GET', `${DR_PATH}/reviews`);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('1');
    expect(throttled.body).toEqual(status(429, 'TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds: 1 }));
    expect((await call('GET', `${DR_PATH}/reviews`)).status).toBe(200);
  });

  test('unsupported query parameters are refused rather than ignored', async () => {
    expect(await call('GET', `${DR_PATH}?watch=true`)).toMatchObject({
      status: 400,
      body: { message: 'watch is not supported by the lab twin' },
    });
    expect((await call('POST', `${DR_PATH}?dryRun=All`, { body: { metadata: { name: 'x' }, spec: { host: 'x' } } })).status).toBe(400);
    expect((await call('GET', `${DR_PATH}/x`)).status).toBe(404);
  });
});
