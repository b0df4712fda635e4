import { UpstreamError } from '../../shared/core/errors';
import type { Clock } from '../../shared/ports/clock';
import type { ClusterScaler, DeploymentRef } from '../../shared/ports/cluster-scaler';
import { rejection } from '../support/rejection';

/** One suite, run against every ClusterScaler adapter. */
export interface ScalerUnderTest {
  scaler: ClusterScaler;
  clock: Clock;
  /** A Deployment at 1 replica, that pod ready. */
  deployment: DeploymentRef;
  /** New pods are not ready before this long, and are ready well within 10 times it. */
  startupDelayMs: number;
  cleanup: () => Promise<void>;
}

export function describeClusterScalerContract(name: string, make: () => Promise<ScalerUnderTest>): void {
  describe(`ClusterScaler contract: ${name}`, () => {
    let s: ScalerUnderTest;
    beforeEach(async () => {
      s = await make();
    });
    afterEach(async () => {
      await s.cleanup();
    });

    test('get reports spec.replicas and the ready pods', async () => {
      expect(await s.scaler.get(s.deployment)).toEqual({ replicas: 1, readyReplicas: 1, availableReplicas: 1 });
    });

    test('scaling up sets replicas at once; the new pods are ready only after their startup delay', async () => {
      const t0 = s.clock.now();
      await s.scaler.scale(s.deployment, 3);
      expect(await s.scaler.get(s.deployment)).toEqual({ replicas: 3, readyReplicas: 1, availableReplicas: 1 });
      expect(await s.scaler.waitReady(s.deployment, 3, t0 + 10 * s.startupDelayMs)).toBe(true);
      expect(s.clock.now() - t0).toBeGreaterThanOrEqual(s.startupDelayMs);
      expect(await s.scaler.get(s.deployment)).toEqual({ replicas: 3, readyReplicas: 3, availableReplicas: 3 });
    });

    test('waitReady answers false at the deadline when the pods are not ready by then', async () => {
      await s.scaler.scale(s.deployment, 2);
      const deadline = s.clock.now() + s.startupDelayMs / 2;
      expect(await s.scaler.waitReady(s.deployment, 2, deadline)).toBe(false);
      expect(s.clock.now()).toBeGreaterThanOrEqual(deadline);
      expect(await s.scaler.get(s.deployment)).toEqual({ replicas: 2, readyReplicas: 1, availableReplicas: 1 });
    });

    test('scaling down takes effect at once, to zero as well', async () => {
      await s.scaler.scale(s.deployment, 0);
      expect(await s.scaler.get(s.deployment)).toEqual({ replicas: 0, readyReplicas: 0, availableReplicas: 0 });
      expect(await s.scaler.waitReady(s.deployment, 0, s.clock.now())).toBe(true);
    });

    test('scaling to the current count again is harmless', async () => {
      await s.scaler.scale(s.deployment, 1);
      await s.scaler.scale(s.deployment, 1);
      expect(await s.scaler.get(s.deployment)).toEqual({ replicas: 1, readyReplicas: 1, availableReplicas: 1 });
    });

    test('an unknown Deployment is a non-retryable error that names it, for get, scale and waitReady', async () => {
      const missing = { ...s.deployment, name: `${s.deployment.name}-missing` };
      for (const call of [
        () => s.scaler.get(missing),
        () => s.scaler.scale(missing, 2),
        () => s.scaler.waitReady(missing, 1, s.clock.now() + 1_000),
      ]) {
        const error = await rejection(call());
        expect(error).toBeInstanceOf(UpstreamError);
        expect(error).toMatchObject({ retryable: false });
        expect((error as Error).message).toContain(`${missing.namespace}/${missing.name} in cluster ${missing.cluster}`);
      }
    });
  });
}
