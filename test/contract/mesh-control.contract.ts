import { liveMeshConfigOf } from '../../shared/adapters/mesh-istio';
import { MeshRejectedError, UpstreamError } from '../../shared/core/errors';
import type { LocalityLbSettingInput } from '../../shared/core/mesh-validation';
import { configEquals } from '../../shared/core/render';
import type { MeshConfig } from '../../shared/core/types';
import type { LiveMeshConfig, MeshControl } from '../../shared/ports/mesh-control';

/**
 * One suite, run against every MeshControl adapter. The twin-only parts look at the mesh from
 * the side (what the data plane serves, how many writes the mesh accepted, a throttled write),
 * which a real mesh does not offer; against a real mesh they are not registered.
 */
export interface MeshUnderTest {
  mesh: MeshControl;
  cleanup: () => Promise<void>;
  twin?: {
    /** The locality setting the data plane serves now, read around the adapter. */
    served: () => LocalityLbSettingInput | null;
    /** Writes the mesh has accepted so far. */
    writes: () => number;
    /** The mesh's next `times` write calls answer "throttled". */
    throttleNextWrite: (times: number) => void;
    /** Present when the adapter keeps per-host rules (service scopes). */
    scopes?: ScopeTwin;
  };
}

/** The mesh's DestinationRules seen from the side. */
export interface ScopeTwin {
  /** The locality setting the data plane applies to calls to `host` (its own rule's, else the mesh-wide one). */
  servedFor: (host: string) => LocalityLbSettingInput | null;
  /** Every DestinationRule in the mesh, `namespace/name` → resourceVersion. */
  ruleVersions: () => Record<string, string>;
  /** `namespace/name` of the rule whose host resolves exactly to `host`, or null. */
  ruleOf: (host: string) => string | null;
  /** A rule someone else owns (no managed-by label, not named in the policy). */
  addForeignRule: (namespace: string, name: string, host: string) => void;
}

export interface MeshContractOptions {
  /** Two regions the mesh has (a real mesh's own; the twin accepts any names). */
  regions: [string, string];
  /** Whether `make` returns the `twin` view (decided up front: tests are registered, never skipped). */
  twin: boolean;
  /**
   * Service scopes: two hosts (FQDN `<service>.<namespace>.svc.cluster.local`) that have no
   * DestinationRule of anyone else's, and a namespace for a foreign rule. The twin must then give
   * `twin.scopes`. Absent: the adapter is not built with per-host rules and these tests are not registered.
   */
  scopes?: { hosts: [string, string]; foreignNamespace: string };
}

export function failoverConfig([a, b]: [string, string]): MeshConfig {
  return {
    mode: 'failover',
    localityLbSetting: {
      failover: [
        { from: a, to: b },
        { from: b, to: a },
      ],
    },
  };
}

export function distributeConfig([a, b]: [string, string], localShare = 90): MeshConfig {
  return {
    mode: 'distribute',
    localityLbSetting: {
      distribute: [
        { from: `${a}/*`, to: { [`${a}/*`]: localShare, [`${b}/*`]: 100 - localShare } },
        { from: `${b}/*`, to: { [`${b}/*`]: 100 } },
      ],
    },
  };
}

/** As the data plane should see a config after it is applied: enabled, the mode's key, nothing else. */
export function servedSetting(config: MeshConfig): LocalityLbSettingInput {
  return { enabled: true, ...structuredClone(config.localityLbSetting) };
}

/**
 * A mesh may hand a config back in another spelling (rule order, `cn-x` for `cn-x/*`: ASM sends
 * bare regions), so "the same config" is the same routing. The mode is compared on its own so a
 * mismatch reads plainly in the failure.
 */
export function expectLive(live: LiveMeshConfig, config: MeshConfig): void {
  expect({ enabled: live.enabled, mode: live.config?.mode, sameRouting: configEquals(live.config, config) }).toEqual({
    enabled: true,
    mode: config.mode,
    sameRouting: true,
  });
}

/** What the data plane serves: enabled, exactly the mode's key (a flip leaves nothing of the other mode), the same routing. */
export function expectServed(served: LocalityLbSettingInput | null, config: MeshConfig): void {
  const keys = Object.keys(served ?? {}).sort();
  expect({ keys, enabled: served?.enabled, sameRouting: configEquals(liveMeshConfigOf(served).config, config) }).toEqual({
    keys: ['enabled', config.mode].sort(),
    enabled: true,
    sameRouting: true,
  });
}

export function describeMeshControlContract(name: string, make: () => Promise<MeshUnderTest>, opts: MeshContractOptions): void {
  const failover = failoverConfig(opts.regions);
  const distribute = distributeConfig(opts.regions);
  const [a, b] = opts.regions;
  const rejected: Array<[string, MeshConfig]> = [
    [
      'distribute weights summing to 110',
      { mode: 'distribute', localityLbSetting: { distribute: [{ from: `${a}/*`, to: { [`${a}/*`]: 90, [`${b}/*`]: 20 } }] } },
    ],
    ['failover to the same region', { mode: 'failover', localityLbSetting: { failover: [{ from: a, to: a }] } }],
  ];

  describe(`MeshControl contract: ${name}`, () => {
    let subject: MeshUnderTest;
    beforeEach(async () => {
      subject = await make();
    });
    afterEach(async () => {
      await subject.cleanup();
    });

    test('apply failover, then read reports exactly that config', async () => {
      await subject.mesh.apply(failover);
      expectLive(await subject.mesh.read(), failover);
      // apply returns only once the mesh serves it, not merely once the mesh accepted it.
      if (subject.twin) expectServed(subject.twin.served(), failover);
    });

    test('apply distribute 90/10, then read reports it with its weights', async () => {
      await subject.mesh.apply(distribute);
      expectLive(await subject.mesh.read(), distribute);
      if (subject.twin) expectServed(subject.twin.served(), distribute);
    });

    test('flipping distribute back to failover leaves no distribute behind', async () => {
      await subject.mesh.apply(distribute);
      await subject.mesh.apply(failover);
      expectLive(await subject.mesh.read(), failover);
      if (subject.twin) expectServed(subject.twin.served(), failover);
    });

    test('re-weighting within distribute replaces the weights', async () => {
      await subject.mesh.apply(distribute);
      const drained = distributeConfig(opts.regions, 10);
      await subject.mesh.apply(drained);
      expectLive(await subject.mesh.read(), drained);
    });

    test('re-applying the live config is harmless', async () => {
      await subject.mesh.apply(distribute);
      const writes = subject.twin?.writes();
      await subject.mesh.apply(distribute);
      expectLive(await subject.mesh.read(), distribute);
      if (subject.twin) expect(subject.twin.writes()).toBe(writes);
    });

    test.each(rejected)('a config the mesh rejects (%s) is MeshRejectedError and changes nothing', async (_label, bad) => {
      await subject.mesh.apply(failover);
      const error = await subject.mesh.apply(bad).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(MeshRejectedError);
      expect(error).toMatchObject({ code: 'MESH.REJECTED', retryable: false });
      expectLive(await subject.mesh.read(), failover);
      if (subject.twin) expectServed(subject.twin.served(), failover);
    });

    if (opts.scopes) describeScopes(() => subject, opts.scopes, opts.regions, opts.twin);

    if (opts.twin) {
      test('a throttled write is a retryable UpstreamError, and the retry goes through', async () => {
        await subject.mesh.apply(failover);
        subject.twin!.throttleNextWrite(1);
        const error = await subject.mesh.apply(distribute).then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(UpstreamError);
        expect(error).toMatchObject({ retryable: true });
        expectServed(subject.twin!.served(), failover);
        await subject.mesh.apply(distribute);
        expectLive(await subject.mesh.read(), distribute);
        expectServed(subject.twin!.served(), distribute);
      });
    }
  });
}

function scopesOf(live: LiveMeshConfig): Record<string, MeshConfig> {
  return live.scopes ?? {};
}

/** Per host, the same routing as `want` (a mesh may spell it otherwise). */
function expectScopes(live: LiveMeshConfig, want: Record<string, MeshConfig>): void {
  const got = scopesOf(live);
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  for (const [host, config] of Object.entries(want))
    expect({ host, mode: got[host]?.mode, sameRouting: configEquals(got[host] ?? null, config) }).toEqual({
      host,
      mode: config.mode,
      sameRouting: true,
    });
}

function describeScopes(
  current: () => MeshUnderTest,
  scopes: { hosts: [string, string]; foreignNamespace: string },
  regions: [string, string],
  withTwin: boolean,
): void {
  const failover = failoverConfig(regions);
  const distribute = distributeConfig(regions);
  const drained = distributeConfig(regions, 10);
  const [h1, h2] = scopes.hosts;
  const [a, b] = regions;
  const twin = () => current().twin?.scopes;

  describe('service scopes (per-host rules)', () => {
    test('each scoped host gets its own config, every other host the default; read reports both', async () => {
      const { mesh } = current();
      await mesh.apply(failover, { scopes: { [h1]: distribute, [h2]: drained } });
      const live = await mesh.read();
      expectLive(live, failover);
      expectScopes(live, { [h1]: distribute, [h2]: drained });
      if (twin()) {
        expectServed(twin()!.servedFor(h1), distribute);
        expectServed(twin()!.servedFor(h2), drained);
        expectServed(current().twin!.served(), failover);
      }
    });

    test('re-applying the same scopes writes nothing', async () => {
      const { mesh } = current();
      await mesh.apply(failover, { scopes: { [h1]: distribute } });
      const versions = twin()?.ruleVersions();
      const writes = current().twin?.writes();
      await mesh.apply(failover, { scopes: { [h1]: distribute } });
      if (twin()) {
        expect(twin()!.ruleVersions()).toEqual(versions);
        expect(current().twin!.writes()).toBe(writes);
      }
      expectScopes(await mesh.read(), { [h1]: distribute });
    });

    test('a host dropped from the set is removed: it follows the default again, and an empty set removes them all', async () => {
      const { mesh } = current();
      await mesh.apply(failover, { scopes: { [h1]: distribute, [h2]: drained } });
      await mesh.apply(failover, { scopes: { [h2]: distribute } });
      expectScopes(await mesh.read(), { [h2]: distribute });
      if (twin()) {
        expect(liveMeshConfigOf(twin()!.servedFor(h1)).config?.mode).not.toBe('distribute');
        // The rule the product created for the host is gone, not merely emptied.
        expect(twin()!.ruleOf(h1)).toBeNull();
      }
      await mesh.apply(failover, { scopes: {} });
      const live = await mesh.read();
      expect(live.scopes).toBeUndefined();
      expectLive(live, failover);
    });

    test('scopes absent: the per-host rules are left exactly as they are, only the default changes', async () => {
      const { mesh } = current();
      await mesh.apply(failover, { scopes: { [h1]: distribute } });
      const before = twin()?.ruleVersions();
      await mesh.apply(drained);
      const live = await mesh.read();
      expectLive(live, drained);
      expectScopes(live, { [h1]: distribute });
      if (twin()) {
        expectServed(twin()!.servedFor(h1), distribute);
        const rule = twin()!.ruleOf(h1);
        expect(rule).not.toBeNull();
        expect(twin()!.ruleVersions()[rule!]).toBe(before![rule!]);
      }
    });

    test('one scope the mesh would reject refuses the whole apply, naming the host, and changes nothing', async () => {
      const { mesh } = current();
      await mesh.apply(failover, { scopes: { [h1]: distribute } });
      const versions = twin()?.ruleVersions();
      const writes = current().twin?.writes();
      const bad: MeshConfig = {
        mode: 'distribute',
        localityLbSetting: { distribute: [{ from: `${a}/*`, to: { [`${a}/*`]: 90, [`${b}/*`]: 20 } }] },
      };
      const error = await mesh.apply(drained, { scopes: { [h1]: drained, [h2]: bad } }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(MeshRejectedError);
      expect((error as Error).message).toContain(h2);
      expect((error as Error).message).not.toContain(`scope ${h1}`);
      const live = await mesh.read();
      expectLive(live, failover);
      expectScopes(live, { [h1]: distribute });
      if (twin()) {
        expect(twin()!.ruleVersions()).toEqual(versions);
        expect(current().twin!.writes()).toBe(writes);
      }
    });

    if (withTwin) {
      test("someone else's rule is never written, deleted or reported; scoping its host is refused, naming it", async () => {
        const { mesh } = current();
        const foreignHost = `foreign.${scopes.foreignNamespace}.svc.cluster.local`;
        twin()!.addForeignRule(scopes.foreignNamespace, 'foreign', 'foreign');
        const foreignKey = `${scopes.foreignNamespace}/foreign`;
        const version = twin()!.ruleVersions()[foreignKey];
        await mesh.apply(failover, { scopes: { [h1]: distribute } });
        await mesh.apply(drained, { scopes: {} });
        expect(twin()!.ruleVersions()[foreignKey]).toBe(version);
        expect((await mesh.read()).scopes).toBeUndefined();
        const error = await mesh.apply(failover, { scopes: { [foreignHost]: distribute } }).then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(MeshRejectedError);
        expect((error as Error).message).toContain(`scope ${foreignHost}`);
        expect((error as Error).message).toContain(`DestinationRule ${foreignKey}`);
        expect(twin()!.ruleVersions()[foreignKey]).toBe(version);
        expect((await mesh.read()).scopes).toBeUndefined();
      });
    }
  });
}
