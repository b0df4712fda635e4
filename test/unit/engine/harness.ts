import { scaledCells } from '../../../shared/core/capacity';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabControlPlane } from '../../../lab/k8s/control-plane';
import { AsmMeshControl } from '../../../shared/adapters/mesh-asm';
import { SqliteStateStore } from '../../../shared/adapters/state-sqlite';
import { parsePolicy, type Policy } from '../../../shared/core/policy';
import { UpstreamError } from '../../../shared/core/errors';
import type { MeshConfig, Signal } from '../../../shared/core/types';
import { Engine, type EngineDeps } from '../../../shared/engine/engine';
import type { Clock } from '../../../shared/ports/clock';
import type { MeshControl } from '../../../shared/ports/mesh-control';
import type { StateStore } from '../../../shared/ports/state-store';
import { LAB, startLab } from '../../contract/mesh-control-lab';
import { FakeClock, FakeClusterScaler, FakeMeshControl, RecordingNotifier } from '../../../lab/fakes';

/** The two-region Bookinfo policy the engine tests run against. */
export function bookinfoPolicy(extra: Record<string, unknown> = {}): Policy {
  return parsePolicy({
    name: 'bookinfo',
    mesh: { backend: 'asm', meshId: 'm', apiRegion: 'cn-hangzhou' },
    regions: {
      'cn-hangzhou': { clusters: [{ id: 'c-hangzhou' }] },
      'cn-shanghai': { clusters: [{ id: 'c-shanghai' }] },
    },
    scaling: {
      deployments: [
        {
          name: 'productpage-v1',
          namespace: 'default',
          regions: {
            'cn-hangzhou': { normalReplicas: 2, min: 1, max: 6 },
            'cn-shanghai': { normalReplicas: 2, min: 1, max: 6 },
          },
        },
      ],
    },
    ...extra,
  });
}

export const HZ = 'c-hangzhou/default/productpage-v1';
export const SH = 'c-shanghai/default/productpage-v1';

export function downSignal(clock: { now(): number }, over: Partial<Signal> = {}): Signal {
  return {
    key: 'cms|hz-5xx',
    source: 'cms',
    rule: 'cms-5xx',
    region: 'cn-hangzhou',
    severity: 'down',
    status: 'firing',
    at: clock.now(),
    ttl: 3_600_000,
    ...over,
  };
}

/** A fresh SQLite file per test; more stores on the same file are separate connections. */
export class StateFile {
  readonly dir = mkdtempSync(join(tmpdir(), 'regionshift-engine-'));
  readonly path = join(this.dir, 'state.db');
  private readonly stores: SqliteStateStore[] = [];

  open(): SqliteStateStore {
    const s = new SqliteStateStore(this.path);
    this.stores.push(s);
    return s;
  }

  async cleanup(): Promise<void> {
    for (const s of this.stores) await s.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** One mesh's world: the fakes, one store, and engines that share them. */
export class World {
  readonly clock = new FakeClock();
  readonly mesh = new FakeMeshControl({ clock: this.clock });
  readonly scaler: FakeClusterScaler;
  readonly notifier = new RecordingNotifier();
  readonly file = new StateFile();
  readonly store: StateStore;
  readonly log: Array<Record<string, unknown>> = [];

  constructor(
    readonly policy: Policy = bookinfoPolicy(),
    opts: { readyDelayMs?: number } = {},
  ) {
    // The policy's Deployments exist and are ready, as in a running mesh (the target guard reads them before a move).
    const ready = Object.fromEntries(scaledCells(policy).map((c) => [c.key, c.normalReplicas]));
    this.scaler = new FakeClusterScaler(this.clock, {
      readyDelayMs: opts.readyDelayMs ?? 20_000,
      deployments: { [HZ]: 2, [SH]: 2, ...ready },
    });
    this.store = this.file.open();
  }

  engine(over: Partial<EngineDeps> = {}): Engine {
    return new Engine({
      policy: this.policy,
      store: this.store,
      meshControl: this.mesh,
      scaler: this.scaler,
      notifier: this.notifier,
      clock: this.clock,
      owner: 'fc-a',
      log: (l) => this.log.push(l),
      ...over,
    });
  }

  /** The scheduler's first tick: the normal matrix (failover mode) becomes the applied one. */
  async baseline(engine: Engine): Promise<void> {
    await engine.tick();
    if (this.mesh.applied.length !== 1 || this.mesh.lastApplied?.mode !== 'failover')
      throw new Error('baseline did not apply failover mode');
  }

  cleanup(): Promise<void> {
    return this.file.cleanup();
  }
}

/** An adapter's clock that, once held, parks a sleep that ends until `open()` (a wait overtaken on purpose). */
export class HeldClock implements Clock {
  private gate: Promise<void> | null = null;
  private release: () => void = () => undefined;
  private noteParked: () => void = () => undefined;
  parked: Promise<void> = Promise.resolve();
  constructor(private readonly inner: FakeClock) {}
  now(): number {
    return this.inner.now();
  }
  async sleep(ms: number): Promise<void> {
    await this.inner.sleep(ms);
    if (this.gate) {
      this.noteParked();
      await this.gate;
    }
  }
  hold(): void {
    this.gate = new Promise((r) => (this.release = r));
    this.parked = new Promise((r) => (this.noteParked = r));
  }
  open(): void {
    this.gate = null;
    this.release();
  }
}

/**
 * An engine world with the real ASM adapter over HTTP against the ASM twin and a SQLite store,
 * rebuilt before each test of the suite that calls it (the superseded-wait suites).
 */
export interface AsmTwinWorld {
  clock: FakeClock;
  cp: LabControlPlane;
  file: StateFile;
  log: Array<Record<string, unknown>>;
  notifier: RecordingNotifier;
  scaler: FakeClusterScaler;
  /** An engine for `owner`; its ASM adapter sleeps on `adapterClock` (a HeldClock parks its polls). */
  engine(owner: string, adapterClock?: Clock): Engine;
  /** The UpdateMeshFeature calls the twin has seen. */
  updates(): LabControlPlane['asm']['calls'];
}

export function asmTwinWorld(policy: Policy, opts: { pollMs: number; updateTimeoutMs: number; budgetMs: number }): AsmTwinWorld {
  const w = {
    engine(owner: string, adapterClock: Clock = w.clock): Engine {
      const mesh = new AsmMeshControl({
        meshId: LAB.meshId,
        credentials: { accessKeyId: LAB.accessKeyId, accessKeySecret: LAB.accessKeySecret },
        endpoint: w.cp.asmEndpoint,
        clock: adapterClock,
        pollIntervalMs: opts.pollMs,
        applyTimeoutMs: opts.updateTimeoutMs,
      });
      return new Engine({
        policy,
        store: w.file.open(),
        meshControl: mesh,
        scaler: w.scaler,
        notifier: w.notifier,
        clock: w.clock,
        owner,
        budgetMs: opts.budgetMs,
        log: (l) => w.log.push(l),
        random: () => 0.5,
      });
    },
    updates: () => w.cp.asm.calls.filter((c) => c.action === 'UpdateMeshFeature'),
  } as unknown as AsmTwinWorld; // the other fields are set before each test
  beforeEach(async () => {
    w.clock = new FakeClock();
    w.cp = await startLab(w.clock);
    w.file = new StateFile();
    w.log = [];
    w.notifier = new RecordingNotifier();
    w.scaler = new FakeClusterScaler(w.clock, { readyDelayMs: 0, deployments: { [HZ]: 2, [SH]: 2 } });
  });
  afterEach(async () => {
    await w.cp.stop();
    await w.file.cleanup();
  });
  return w;
}

/**
 * A mesh whose first apply runs `meanwhile` (a newer plan taking over) and then fails throttled
 * (retryable); every later apply goes to `mesh`.
 */
export function throttledOnceAfter(mesh: FakeMeshControl, meanwhile: () => Promise<unknown>): MeshControl {
  let first = true;
  return {
    read: () => mesh.read(),
    apply: async (config: MeshConfig) => {
      if (first) {
        first = false;
        await meanwhile();
        throw new UpstreamError('ASM.Throttling.User', 'throttled (test)', { retryable: true });
      }
      return mesh.apply(config);
    },
  };
}
