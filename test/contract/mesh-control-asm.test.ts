import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import RPCClient from '@alicloud/pop-core';
import { startLabControlPlane } from '../../lab/k8s/control-plane';
import { resolveCloudCredentials } from '../../shared/adapters/cloud-credentials';
import { AsmMeshControl } from '../../shared/adapters/mesh-asm';
import { parseLiveLocalityLb } from '../../shared/core/render';
import { RegionshiftError, SupersededError, UpstreamError } from '../../shared/core/errors';
import { FakeClock } from '../../lab/fakes/fake-clock';
import { distributeConfig, expectLive, expectServed, failoverConfig } from './mesh-control.contract';
import { ASM_UPDATE_DELAY_MS, asmHarness, LAB, REGIONS, startLab, type AsmHarness } from './mesh-control-lab';
import { rejection } from '../support/rejection';

const failover = failoverConfig(REGIONS);
const distribute = distributeConfig(REGIONS);

function describeStates(h: AsmHarness): string[] {
  return h.cp.asm.calls.filter((c) => c.action === 'DescribeServiceMeshDetail').map((c) => c.state ?? c.code);
}

/** Each Describe as [ms after t0, State reported]. */
function describeTimeline(h: AsmHarness, t0: number): Array<[number, string]> {
  return h.cp.asm.calls.filter((c) => c.action === 'DescribeServiceMeshDetail').map((c) => [c.at - t0, c.state ?? c.code]);
}

describe('AsmMeshControl against the ASM twin', () => {
  let h: AsmHarness;
  afterEach(async () => {
    await h.cp.stop();
  });

  test('apply sends one UpdateMeshFeature, then polls State from updating back to running', async () => {
    h = await asmHarness({ pollIntervalMs: 1_000 });
    const t0 = h.clock.now();
    await h.mesh.apply(failover);
    // Checked before the update (running), right after it (updating), then once per poll interval.
    expect(describeTimeline(h, t0)).toEqual([
      [0, 'running'],
      [0, 'updating'],
      [1_000, 'updating'],
      [2_000, 'updating'],
      [3_000, 'updating'],
      [4_000, 'updating'],
      [5_000, 'running'],
    ]);
    expect(h.cp.asm.calls.filter((c) => c.action === 'UpdateMeshFeature')).toEqual([{ at: t0, action: 'UpdateMeshFeature', code: 'OK' }]);
    expect(h.clock.now() - t0).toBe(ASM_UPDATE_DELAY_MS);
    expectServed(h.cp.asm.servedLocalityLb(), failover);
  });

  test('an update already rolling out is waited for before the next one is sent', async () => {
    h = await asmHarness();
    const other = new RPCClient({
      endpoint: h.cp.asmEndpoint,
      apiVersion: '2020-01-11',
      accessKeyId: LAB.accessKeyId,
      accessKeySecret: LAB.accessKeySecret,
    });
    await other.request(
      'UpdateMeshFeature',
      { ServiceMeshId: LAB.meshId, LocalityLoadBalancing: true, LocalityLBConf: JSON.stringify(distribute.localityLbSetting) },
      { method: 'POST' },
    );
    const t0 = h.clock.now();
    await h.mesh.apply(failover);
    const updates = h.cp.asm.calls.filter((c) => c.action === 'UpdateMeshFeature');
    expect(updates.map((u) => u.at - t0)).toEqual([0, ASM_UPDATE_DELAY_MS]);
    expectLive(await h.mesh.read(), failover);
  });

  test('throttling and 503 while polling are waited out, not reported', async () => {
    h = await asmHarness();
    h.cp.asm.failNext(1, 'Throttling.User', { action: 'DescribeServiceMeshDetail' });
    h.cp.asm.failNext(1, 'ServiceUnavailable', { action: 'DescribeServiceMeshDetail' });
    await h.mesh.apply(distribute);
    expect(describeStates(h).slice(0, 2)).toEqual(['Throttling.User', 'ServiceUnavailable']);
    expectServed(h.cp.asm.servedLocalityLb(), distribute);
  });

  test('a mesh still updating at the deadline is a retryable ASM.APPLY_TIMEOUT', async () => {
    h = await asmHarness({ applyTimeoutMs: 3_000 });
    const t0 = h.clock.now();
    const error = await rejection(h.mesh.apply(failover));
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ code: 'ASM.APPLY_TIMEOUT', retryable: true });
    expect(h.clock.now() - t0).toBe(3_000);
  });

  test('superseded: a newer config sent while apply polls ends the apply at that poll, before any further Describe', async () => {
    h = await asmHarness({ pollIntervalMs: 1_000 });
    const other = new RPCClient({
      endpoint: h.cp.asmEndpoint,
      apiVersion: '2020-01-11',
      accessKeyId: LAB.accessKeyId,
      accessKeySecret: LAB.accessKeySecret,
    });
    const asked: number[] = [];
    const t0 = h.clock.now();
    const error = await rejection(
      h.mesh.apply(failover, {
        superseded: async () => {
          asked.push(h.clock.now() - t0);
          // A newer plan committed and sent its own config while this one was rolling out.
          await other.request(
            'UpdateMeshFeature',
            { ServiceMeshId: LAB.meshId, LocalityLoadBalancing: true, LocalityLBConf: JSON.stringify(distribute.localityLbSetting) },
            { method: 'POST' },
          );
          return 'a newer plan applied another matrix';
        },
      }),
    );
    expect(error).toBeInstanceOf(SupersededError);
    expect(error).toMatchObject({ code: 'MESH.SUPERSEDED', retryable: false, reason: 'a newer plan applied another matrix' });
    // Asked once, one poll interval after the update: not at the 60 s timeout.
    expect(asked).toEqual([1_000]);
    expect(h.clock.now() - t0).toBe(1_000);
    expect(describeTimeline(h, t0)).toEqual([
      [0, 'running'],
      [0, 'updating'],
    ]);
    expect(h.cp.asm.calls.filter((c) => c.action === 'UpdateMeshFeature').map((c) => c.at - t0)).toEqual([0, 1_000]);
    h.clock.advance(ASM_UPDATE_DELAY_MS);
    expectServed(h.cp.asm.servedLocalityLb(), distribute);
  });

  test('superseded is asked once per poll after the first, and never when the mesh already has the config', async () => {
    h = await asmHarness({ pollIntervalMs: 1_000 });
    let asked = 0;
    const superseded = async () => {
      asked++;
      return null;
    };
    await h.mesh.apply(failover, { superseded });
    // Describe at 0 (running), 0 (updating), then 1 s … 5 s: five polls after the first.
    expect(asked).toBe(5);
    asked = 0;
    await h.mesh.apply(failover, { superseded });
    expect(asked).toBe(0);
  });

  test('superseded while waiting out another rollout: nothing is sent over it', async () => {
    h = await asmHarness({ pollIntervalMs: 1_000 });
    const other = new RPCClient({
      endpoint: h.cp.asmEndpoint,
      apiVersion: '2020-01-11',
      accessKeyId: LAB.accessKeyId,
      accessKeySecret: LAB.accessKeySecret,
    });
    await other.request(
      'UpdateMeshFeature',
      { ServiceMeshId: LAB.meshId, LocalityLoadBalancing: true, LocalityLBConf: JSON.stringify(distribute.localityLbSetting) },
      { method: 'POST' },
    );
    const error = await rejection(h.mesh.apply(failover, { superseded: async () => 'a newer plan applied another matrix' }));
    expect(error).toBeInstanceOf(SupersededError);
    expect(h.cp.asm.calls.filter((c) => c.action === 'UpdateMeshFeature')).toHaveLength(1);
    h.clock.advance(ASM_UPDATE_DELAY_MS);
    expectServed(h.cp.asm.servedLocalityLb(), distribute);
  });

  test.each([
    ['Throttling.User', 'ASM.Throttling.User', true],
    ['ServiceUnavailable', 'ASM.ServiceUnavailable', true],
    ['InternalError', 'ASM.InternalError', true],
    ['Forbidden.RAM', 'ASM.Forbidden.RAM', false],
  ])('UpdateMeshFeature failing with %s is %s (retryable: %s)', async (vendorCode, code, retryable) => {
    h = await asmHarness();
    h.cp.asm.failNext(1, vendorCode, { action: 'UpdateMeshFeature' });
    const error = await rejection(h.mesh.apply(failover));
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ code, retryable });
  });

  test.each([
    ['distribute', distribute],
    ['failover', failover],
  ] as const)(
    '%s handed back reordered and as region/* is seen as applied: one UpdateMeshFeature, no wait to the deadline',
    async (_label, config) => {
      h = await asmHarness({ applyTimeoutMs: 60_000 });
      h.cp.asm.setLocalityLbEcho({ order: 'reversed', localities: 'wildcard' });
      const t0 = h.clock.now();
      await h.mesh.apply(config);
      expect(h.clock.now() - t0).toBe(ASM_UPDATE_DELAY_MS);
      const updates = () => h.cp.asm.calls.filter((c) => c.action === 'UpdateMeshFeature');
      expect(updates()).toHaveLength(1);
      // Applying it again (a retried step, a drift re-apply) sends nothing.
      await h.mesh.apply(config);
      expect(updates()).toHaveLength(1);
      expectLive(await h.mesh.read(), config);
    },
  );

  test('what UpdateMeshFeature carries: bare regions in LocalityLBConf, and the LocalityLoadBalancing switch', async () => {
    h = await asmHarness();
    const sent: Array<Record<string, string>> = [];
    const realHandle = h.cp.asm.handle.bind(h.cp.asm);
    h.cp.asm.handle = (req) => {
      const params = Object.fromEntries(new URLSearchParams(req.body));
      if (params.Action === 'UpdateMeshFeature') sent.push(params);
      return realHandle(req);
    };
    await h.mesh.apply(distribute);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ ServiceMeshId: LAB.meshId, LocalityLoadBalancing: 'true' });
    expect(JSON.parse(sent[0]!.LocalityLBConf!)).toEqual({
      distribute: [
        { from: 'cn-hangzhou', to: { 'cn-hangzhou': 90, 'cn-shanghai': 10 } },
        { from: 'cn-shanghai', to: { 'cn-shanghai': 100 } },
      ],
    });
  });

  test('LocalityLB in the wrapper shape reads the same', async () => {
    h = await asmHarness();
    await h.mesh.apply(distribute);
    h.cp.asm.setLocalityLbShape('wrapper');
    expectLive(await h.mesh.read(), distribute);
  });

  test('a mesh without any locality config reads as off', async () => {
    h = await asmHarness();
    expect(await h.mesh.read()).toEqual({ enabled: false, config: null });
  });

  test.each([
    ['a wrong AccessKey secret', 'ASM.SignatureDoesNotMatch', { accessKeySecret: 'not-the-secret' }],
    ['an unknown AccessKey', 'ASM.InvalidAccessKeyId.NotFound', { accessKeyId: 'LTAI-nobody' }],
    ['an unknown mesh id', 'ASM.ServiceMesh.NotFound', { meshId: 'c-no-such-mesh' }],
  ])('%s is a non-retryable %s', async (_label, code, change) => {
    h = await asmHarness();
    const { meshId, ...creds } = { meshId: LAB.meshId, accessKeyId: LAB.accessKeyId, accessKeySecret: LAB.accessKeySecret, ...change };
    const mesh = new AsmMeshControl({ meshId, credentials: creds, endpoint: h.cp.asmEndpoint, clock: h.clock });
    const error = await rejection(mesh.read());
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ code, retryable: false });
  });
});

describe('AsmMeshControl with FC STS credentials', () => {
  const sts = { accessKeyId: 'STS.lab-key', accessKeySecret: 'sts-secret', securityToken: 'sts-token-1' };

  test('credentials from the FC context are signed with their SecurityToken', async () => {
    const clock = new FakeClock();
    const cp = await startLabControlPlane({ ...LAB, clusters: [...LAB.clusters], ...sts, clock, asmUpdateDelayMs: ASM_UPDATE_DELAY_MS });
    try {
      const mesh = new AsmMeshControl({
        meshId: LAB.meshId,
        credentials: () => resolveCloudCredentials({ context: { credentials: sts }, env: {} }),
        endpoint: cp.asmEndpoint,
        clock,
      });
      await mesh.apply(failover);
      expectLive(await mesh.read(), failover);
      const stale = new AsmMeshControl({
        meshId: LAB.meshId,
        credentials: { ...sts, securityToken: 'sts-token-0' },
        endpoint: cp.asmEndpoint,
        clock,
      });
      await expect(stale.read()).rejects.toMatchObject({ code: 'ASM.InvalidSecurityToken.MismatchWithAccessKey', retryable: false });
    } finally {
      await cp.stop();
    }
  });
});

describe('AsmMeshControl transport failures', () => {
  let server: Server | null = null;
  afterEach(async () => {
    if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = null;
  });

  async function endpointAnswering(handler: Parameters<typeof createServer>[1]): Promise<string> {
    server = createServer(handler);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  function meshAt(endpoint: string, requestTimeoutMs = 2_000): AsmMeshControl {
    return new AsmMeshControl({
      meshId: LAB.meshId,
      credentials: { accessKeyId: LAB.accessKeyId, accessKeySecret: LAB.accessKeySecret },
      endpoint,
      requestTimeoutMs,
    });
  }

  test('connection refused is a retryable ASM.NETWORK', async () => {
    const clock = new FakeClock();
    const cp = await startLab(clock);
    const endpoint = cp.asmEndpoint;
    await cp.stop();
    await expect(meshAt(endpoint).read()).rejects.toMatchObject({ name: 'UpstreamError', code: 'ASM.NETWORK', retryable: true });
  });

  test('no answer within the request timeout is a retryable ASM.TIMEOUT', async () => {
    const endpoint = await endpointAnswering(() => {
      // never answers
    });
    await expect(meshAt(endpoint, 200).read()).rejects.toMatchObject({ name: 'UpstreamError', code: 'ASM.TIMEOUT', retryable: true });
    server!.closeAllConnections();
  });

  test("a gateway's HTML error page is a retryable ASM.BAD_RESPONSE", async () => {
    const endpoint = await endpointAnswering((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html><body>502 Bad Gateway</body></html>');
    });
    await expect(meshAt(endpoint).read()).rejects.toMatchObject({ name: 'UpstreamError', code: 'ASM.BAD_RESPONSE', retryable: true });
  });
});

describe('the LocalityLB parser the adapter uses (render.ts parseLiveLocalityLb) reads every shape seen in SDK types and doc examples', () => {
  const failoverLive = {
    enabled: true,
    config: { mode: 'failover', localityLbSetting: { failover: [{ from: 'cn-hangzhou', to: 'cn-shanghai' }] } },
  };
  const distributeEntries = [{ from: 'cn-hangzhou/*', to: { 'cn-hangzhou/*': 90, 'cn-shanghai/*': 10 } }];
  const distributeLive = { enabled: true, config: { mode: 'distribute', localityLbSetting: { distribute: distributeEntries } } };
  const off = { enabled: false, config: null };
  test.each([
    ['capitalised array', { Enabled: true, Failover: [{ From: 'cn-hangzhou', To: 'cn-shanghai' }] }, failoverLive],
    ['failover wrapper', { Enabled: true, Failover: { failover: [{ from: 'cn-hangzhou', to: 'cn-shanghai' }] } }, failoverLive],
    ['wrapper as a JSON string', { Enabled: 'true', Failover: '{"failover":[{"from":"cn-hangzhou","to":"cn-shanghai"}]}' }, failoverLive],
    ['lowercase keys', { enabled: true, distribute: distributeEntries }, distributeLive],
    [
      'To as a JSON string',
      { Enabled: true, Distribute: [{ From: 'cn-hangzhou/*', To: '{"cn-hangzhou/*":90,"cn-shanghai/*":10}' }] },
      distributeLive,
    ],
    [
      'the whole LocalityLB as a JSON string',
      JSON.stringify({ Enabled: true, Distribute: { distribute: distributeEntries } }),
      distributeLive,
    ],
    ['disabled, entries kept', { Enabled: false, Failover: [{ From: 'cn-hangzhou', To: 'cn-shanghai' }] }, off],
    ['no Enabled, entries present', { Failover: [{ From: 'cn-hangzhou', To: 'cn-shanghai' }] }, failoverLive],
    ['Enabled true, no rules', { Enabled: true }, { enabled: true, config: null }],
    ['Enabled as the string "false"', { Enabled: 'false', Failover: [{ From: 'cn-hangzhou', To: 'cn-shanghai' }] }, off],
    ['absent entirely', undefined, off],
  ])('%s', (_label, raw, expected) => {
    expect(parseLiveLocalityLb(raw)).toStrictEqual(expected);
  });

  test('a LocalityLB it cannot read is a retryable ASM.BAD_RESPONSE naming the field, not a guess', async () => {
    const h = await asmHarness();
    try {
      const realHandle = h.cp.asm.handle.bind(h.cp.asm);
      h.cp.asm.handle = (req) => {
        const reply = realHandle(req);
        const mesh = (reply.body as { ServiceMesh?: { Spec: { MeshConfig: Record<string, unknown> } } }).ServiceMesh;
        if (mesh) mesh.Spec.MeshConfig = { LocalityLB: { Enabled: true, Failover: [{ From: 'cn-hangzhou' }] } };
        return reply;
      };
      await expect(h.mesh.read()).rejects.toMatchObject({
        name: 'UpstreamError',
        code: 'ASM.BAD_RESPONSE',
        retryable: true,
        message: expect.stringContaining('LocalityLB.Failover[0]'),
      });
    } finally {
      await h.cp.stop();
    }
  });

  test('only LocalityLB is read: a MeshConfig.LocalityLoadBalancing (the request parameter, not a reply field) changes nothing', async () => {
    const h = await asmHarness();
    try {
      await h.mesh.apply(failover);
      const realHandle = h.cp.asm.handle.bind(h.cp.asm);
      const answerWith = (edit: (lb: Record<string, unknown>) => Record<string, unknown>) => {
        h.cp.asm.handle = (req) => {
          const reply = realHandle(req);
          const mesh = (reply.body as { ServiceMesh?: { Spec: { MeshConfig: Record<string, unknown> } } }).ServiceMesh;
          if (mesh) mesh.Spec.MeshConfig = edit(mesh.Spec.MeshConfig.LocalityLB as Record<string, unknown>);
          return reply;
        };
      };
      // Rules without Enabled, and a stray switch saying off: the rules stand.
      answerWith(({ Enabled: _dropped, ...lb }) => ({ LocalityLoadBalancing: false, LocalityLB: lb }));
      expectLive(await h.mesh.read(), failover);
      // Enabled: false wins over a stray switch saying on.
      answerWith((lb) => ({ LocalityLoadBalancing: true, LocalityLB: { ...lb, Enabled: false } }));
      expect(await h.mesh.read()).toEqual({ enabled: false, config: null });
      // No LocalityLB at all reads as off, whatever the stray switch says.
      answerWith(() => ({ LocalityLoadBalancing: true }));
      expect(await h.mesh.read()).toEqual({ enabled: false, config: null });
    } finally {
      await h.cp.stop();
    }
  });

  test('a config whose mode disagrees with its keys is refused before anything is sent', async () => {
    const h = await asmHarness();
    try {
      const inconsistent = { mode: 'failover', localityLbSetting: distribute.localityLbSetting } as const;
      const error = await rejection(h.mesh.apply(inconsistent));
      expect(error).toBeInstanceOf(RegionshiftError);
      expect(error).toMatchObject({ code: 'MESH.CONFIG_INCONSISTENT' });
      expect(h.cp.asm.calls).toEqual([]);
    } finally {
      await h.cp.stop();
    }
  });
});
