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
  };
}

export interface MeshContractOptions {
  /** Two regions the mesh has (a real mesh's own; the twin accepts any names). */
  regions: [string, string];
  /** Whether `make` returns the `twin` view (decided up front: tests are registered, never skipped). */
  twin: boolean;
}

export function failoverConfig([a, b]: [string, string]): MeshConfig {
  return { mode: 'failover', localityLbSetting: { failover: [{ from: a, to: b }, { from: b, to: a }] } };
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
  expect({ enabled: live.enabled, mode: live.config?.mode, sameRouting: configEquals(live.config, config) }).toEqual({ enabled: true, mode: config.mode, sameRouting: true });
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
    ['distribute weights summing to 110', { mode: 'distribute', localityLbSetting: { distribute: [{ from: `${a}/*`, to: { [`${a}/*`]: 90, [`${b}/*`]: 20 } }] } }],
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
