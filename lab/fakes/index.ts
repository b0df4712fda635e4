/**
 * Test doubles for the ports. Each `implements` its port, so a change to a port that the
 * fakes do not follow fails the type check. All time goes through a Clock (a FakeClock makes
 * waits instant and deterministic); the state store is never faked: use SqliteStateStore on a
 * temp file, wrapped in CrashingStateStore to simulate a crash.
 */
export { FakeClock } from './fake-clock';
export { FakeMeshControl, type AppliedConfig, type FakeMeshOptions } from './fake-mesh-control';
export { FakeClusterScaler, refKey, type FakeScalerOptions, type ScaleCall } from './fake-cluster-scaler';
export { RecordingNotifier } from './recording-notifier';
export { CrashingStateStore, ProcessDied, type StoreCall } from './crashing-store';
export { FaultQueue, makeFault, throttlingError, type FaultKind } from './faults';
