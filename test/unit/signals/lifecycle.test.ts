import { readFileSync } from 'node:fs';
import { decide } from '../../../shared/core/decide';
import { parsePolicy, type Policy } from '../../../shared/core/policy';
import type { MeshState, Signal } from '../../../shared/core/types';
import { parseAckEventBridge } from '../../../shared/signals/ack-eventbridge';
import { parseAlertmanager } from '../../../shared/signals/alertmanager';
import { parseCmsCallback } from '../../../shared/signals/cms-webhook';
import { toSignals } from '../../../shared/signals/detection';
import type { RawAlarm } from '../../../shared/signals/raw-alarm';

/**
 * The findings end to end through the real parsers and detection rules: a redelivered
 * CMS ALERT or ACK NodeNotReady after its resolve, an OK posted to another region's URL, an
 * Alertmanager alert firing for hours, and alarm levels spelled like Object.prototype's keys.
 */

const sample = (name: string) => readFileSync(new URL(`../../../events/alarms/${name}`, import.meta.url), 'utf8');
const HZ = 'cn-hangzhou';
const SH = 'cn-shanghai';
const S = 1000;
const M = 60 * S;
const H = 60 * M;

function policyWith(extra: Record<string, unknown> = {}): Policy {
  return parsePolicy({
    name: 'bookinfo',
    mesh: { backend: 'asm', meshId: 'c-mesh-1', apiRegion: HZ },
    regions: { [HZ]: { clusters: [{ id: 'c-hangzhou' }] }, [SH]: { clusters: [{ id: 'c-shanghai' }] } },
    detection: {
      defaultTtl: '10m',
      rules: [
        { name: 'reviews-5xx', match: { source: 'cms', alertName: 'reviews-5xx-*' }, severity: 'down' },
        {
          name: 'prometheus',
          match: { source: 'alertmanager', labels: { namespace: 'bookinfo' } },
          region: { fromLabel: 'region' },
          severity: { critical: 'down', warning: 'degraded' },
        },
        { name: 'node-down', match: { source: 'ack', alertName: 'NodeNotReady' }, region: { fromCluster: true }, severity: 'down' },
      ],
    },
    ...extra,
  });
}

const policy = policyWith();

/** Decides each delivery's signals at `now`, threading the state. */
class Feed {
  state: MeshState | null = null;
  constructor(readonly p: Policy) {}
  deliver(now: number, raws: RawAlarm[]) {
    const signals: Signal[] = raws.flatMap((r) => toSignals(r, this.p).signals);
    const d = decide(this.p, this.state, signals.length ? { kind: 'signals', signals } : { kind: 'tick' }, now);
    this.state = d.state;
    return d;
  }
  get active() {
    return Object.keys(this.state?.signals ?? {});
  }
  status(region: string) {
    return this.state?.health[region]?.status;
  }
}

const cms = (file: string, urlRegion: string): RawAlarm => ({ ...parseCmsCallback(sample(file)), urlRegion });

describe('a redelivered firing after its resolve', () => {
  test('CMS: ALERT → OK → the same ALERT again leaves the alarm resolved', () => {
    const alert = cms('cms-callback-alert.txt', HZ);
    const ok = cms('cms-callback-ok.txt', HZ);
    const f = new Feed(policy);
    const t = ok.at + 5 * S;
    f.deliver(t - 20 * M, []);
    f.deliver(t - 2 * M, [alert]);
    expect(f.status(HZ)).toBe('DOWN');
    f.deliver(t, [ok]);
    expect(f.active).toEqual([]);
    const replay = f.deliver(t + 5 * S, [alert]);
    expect(f.active).toEqual([]);
    expect(replay.ignored).toEqual([expect.objectContaining({ status: 'firing', reason: 'out-of-order' })]);
    expect(replay.plan.steps).toEqual([]);
  });

  test('ACK: NodeNotReady → NodeReady → the same NodeNotReady again leaves the alarm resolved', () => {
    const down = parseAckEventBridge(JSON.parse(sample('ack-node-notready.json')));
    const ready = parseAckEventBridge(JSON.parse(sample('ack-node-ready.json')));
    const f = new Feed(policy);
    const t = (ready[0] as RawAlarm).at + 5 * S;
    f.deliver(t - 20 * M, []);
    f.deliver(t - 2 * M, down);
    expect(f.status(HZ)).toBe('DOWN');
    f.deliver(t, ready);
    expect(f.active).toEqual([]);
    const replay = f.deliver(t + 5 * S, down);
    expect(f.active).toEqual([]);
    expect(replay.ignored).toEqual([expect.objectContaining({ status: 'firing', reason: 'out-of-order' })]);
  });
});

describe("the callback URL region is part of a CMS signal's identity", () => {
  test("an OK posted on another region's URL does not clear the ALERT placed in cn-hangzhou", () => {
    const f = new Feed(policy);
    const ok = cms('cms-callback-ok.txt', SH);
    const t = ok.at + 5 * S;
    f.deliver(t - 20 * M, []);
    f.deliver(t - 2 * M, [cms('cms-callback-alert.txt', HZ)]);
    f.deliver(t, [ok]);
    expect(f.active).toHaveLength(1);
    expect(f.status(HZ)).toBe('DOWN');
    // The OK on its own URL clears it.
    f.deliver(t + S, [cms('cms-callback-ok.txt', HZ)]);
    expect(f.active).toEqual([]);
  });

  test('the key names the URL region; alarms without a callback URL keep their key', () => {
    const [viaUrl] = toSignals(cms('cms-callback-alert.txt', HZ), policy).signals;
    expect(viaUrl?.key.startsWith(`reviews-5xx|cms|@${HZ}|`)).toBe(true);
    const [node] = toSignals(parseAckEventBridge(JSON.parse(sample('ack-node-notready.json')))[0] as RawAlarm, policy).signals;
    expect(node?.key).toBe('node-down|ack|c-hangzhou/Node/cn-hangzhou.10.0.1.12/Ready');
  });
});

describe('an Alertmanager alert firing for hours', () => {
  // Alertmanager re-sends a still-firing alert with its original startsAt (repeat_interval).
  const firing = (): RawAlarm[] => parseAlertmanager(sample('alertmanager-firing.json')).filter((a) => a.level === 'critical');

  test('repeats within the TTL keep cn-shanghai drained for 4 hours, past the TTL and detection.maxAge', () => {
    const f = new Feed(policy);
    const startsAt = (firing()[0] as RawAlarm).at;
    f.deliver(startsAt - M, []);
    f.deliver(startsAt + S, firing());
    expect(f.status(SH)).toBe('DOWN');
    for (let t = startsAt + 5 * M; t <= startsAt + 4 * H; t += 5 * M) {
      const d = f.deliver(t, firing());
      expect(d.ignored).toBeUndefined();
      expect(f.status(SH)).toBe('DOWN');
    }
    // Once the repeats stop, the TTL runs out and the region recovers through the normal path.
    f.deliver(startsAt + 4 * H + 11 * M, []);
    expect(f.active).toEqual([]);
  });
});

describe('alarm levels and labels spelled like Object.prototype keys', () => {
  const withLevel = (level: string): RawAlarm => ({ ...firingAlert(), level, labels: { ...firingAlert().labels, severity: level } });
  const firingAlert = () => parseAlertmanager(sample('alertmanager-firing.json'))[0] as RawAlarm;

  test.each(['toString', 'constructor', '__proto__', 'hasOwnProperty'])(
    'level %s maps to no severity: no signal, a note naming it',
    (level) => {
      const r = toSignals(withLevel(level), policy);
      expect(r.signals).toEqual([]);
      expect(r.note).toContain(`level ${level} is not mapped to a severity`);
    },
  );

  test('100 such alarms do not evict an active critical signal', () => {
    const f = new Feed(policy);
    const real = firingAlert();
    f.deliver(real.at - M, []);
    f.deliver(real.at + S, [real]);
    const forged = Array.from({ length: 100 }, (_, i) => ({
      ...withLevel(['toString', 'constructor', '__proto__'][i % 3] as string),
      instance: `forged-${i}`,
    }));
    const d = f.deliver(real.at + 2 * S, forged);
    expect(d.lapsed).toBeUndefined();
    expect(f.active).toEqual([`prometheus|alertmanager|${real.instance}`]);
    expect(f.status(SH)).toBe('DOWN');
  });

  test('a fromInstance map and a region map answer own keys only', () => {
    const p = policyWith({
      detection: {
        rules: [
          {
            name: 'by-instance',
            match: { source: 'cms', alertName: 'by-instance' },
            region: { fromInstance: { 'i-1': HZ } },
            severity: 'down',
          },
          {
            name: 'by-dimension',
            match: { source: 'cms', alertName: 'by-dimension' },
            region: { fromDimension: 'zone', map: { 'zone-a': SH } },
            severity: 'down',
          },
        ],
      },
    });
    const raw = (name: string, dimensions: Record<string, string>): RawAlarm => ({
      source: 'cms',
      name,
      state: 'firing',
      dimensions,
      labels: {},
      instance: name,
      at: Date.parse('2026-11-03T02:15:30Z'),
    });
    expect(toSignals(raw('by-instance', { instanceId: 'constructor' }), p)).toMatchObject({
      signals: [],
      note: expect.stringContaining("instance constructor is not in the rule's fromInstance map"),
    });
    expect(toSignals(raw('by-dimension', { zone: 'toString' }), p)).toMatchObject({
      signals: [],
      note: expect.stringContaining("dimension zone=toString is not in the rule's map"),
    });
    expect(toSignals(raw('by-instance', { instanceId: 'i-1' }), p).signals[0]?.region).toBe(HZ);
  });

  test('a service label spelled constructor is not a scoped service: the signal is region-level', () => {
    const scoped = policyWith({ scopes: { namespace: 'bookinfo', entry: ['productpage'], services: { productpage: {}, reviews: {} } } });
    const alert: RawAlarm = { ...firingAlert(), labels: { ...firingAlert().labels, service: 'constructor' } };
    const f = new Feed(scoped);
    f.deliver(alert.at - M, []);
    f.deliver(alert.at + S, [alert]);
    expect(f.status(SH)).toBe('DOWN');
  });

  test('a drill or override naming service toString is refused as not a scoped service', () => {
    const scoped = policyWith({ scopes: { namespace: 'bookinfo', entry: ['productpage'], services: { productpage: {}, reviews: {} } } });
    const t = Date.parse('2026-11-03T02:15:30Z');
    const first = decide(scoped, null, { kind: 'tick' }, t);
    const d = decide(
      scoped,
      first.state,
      { kind: 'command', command: { kind: 'drill', region: HZ, service: 'toString', duration: 10 * M, actor: 'ops' } },
      t + S,
    );
    expect(d.plan.refused).toEqual([expect.objectContaining({ rule: 'drill.service' })]);
    expect(d.state.drill).toBeNull();
  });
});
