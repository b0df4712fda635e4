import { parseDuration } from '../../shared/core/duration';
import type { OutlierDetectionSpec } from './config-source';
import { floor, max, min } from './math';

/**
 * Envoy's consecutive-error outlier detection, one detector per caller proxy and upstream
 * cluster (each sidecar keeps its own, so every caller ejects a dead endpoint by itself), as
 * Envoy's `outlier_detection_impl.cc` does it:
 * - a 5xx counts towards consecutive 5xx; a 502/503/504 also counts towards consecutive gateway
 *   failures, and any other 5xx resets that count; a non-5xx resets both;
 * - the count reaching its threshold ejects the host inline if (ejected + 1) / hosts ≤
 *   `maxEjectionPercent` (`ejectHost`); Istio never sets `always_eject_one_host`, so below
 *   that share nothing is ejected at all (10% of 3 hosts: none);
 * - an ejected host is unhealthy for `baseEjectionTime` × its ejection count (capped at 300 s,
 *   Envoy's max_ejection_time); it comes back on the first `interval` sweep after that;
 * - each sweep that finds a host healthy lowers its ejection count by one, so a host that
 *   flaps is kept out longer and one that stays healthy is forgiven.
 * The DestinationRule → Envoy mapping is Istio's `applyOutlierDetection`: a field left out keeps
 * Envoy's default (5 consecutive 5xx, gateway failures counted but not enforced, interval 10 s,
 * base ejection 30 s, max ejection 10%); `minHealthPercent` becomes the panic threshold (0 when
 * omitted: panic off); the deprecated `consecutiveErrors` ejects on gateway errors only.
 */

export interface OutlierSettings {
  consecutive5xx: number;
  consecutiveGateway: number;
  intervalMs: number;
  baseEjectionMs: number;
  maxEjectionPercent: number;
  /** Envoy's healthy_panic_threshold for the cluster, from Istio's `minHealthPercent` (0: never panic). */
  panicThresholdPercent: number;
}

const MAX_EJECTION_MS = 300_000;

export function outlierSettings(spec: OutlierDetectionSpec): OutlierSettings {
  const ms = (v: string | undefined, fallback: number) => (v === undefined ? fallback : (parseDuration(v) ?? fallback));
  // Envoy's defaults: consecutive_5xx 5 enforced; consecutive_gateway_failure 5 but enforcing 0.
  let consecutive5xx = 5;
  let consecutiveGateway = 0;
  // Istio (older pilot, still accepted by the API): consecutiveErrors → gateway failures only, 5xx ejection off.
  if (spec.consecutiveErrors !== undefined && spec.consecutiveErrors > 0) {
    consecutiveGateway = spec.consecutiveErrors;
    consecutive5xx = 0;
  }
  // The newer fields, applied after it as pilot does, win when both are set.
  if (spec.consecutive5xxErrors !== undefined) consecutive5xx = spec.consecutive5xxErrors;
  if (spec.consecutiveGatewayErrors !== undefined) consecutiveGateway = spec.consecutiveGatewayErrors;
  return {
    consecutive5xx,
    consecutiveGateway,
    intervalMs: max(1, ms(spec.interval, 10_000)),
    baseEjectionMs: ms(spec.baseEjectionTime, 30_000),
    // Pilot sets max_ejection_percent only when > 0; otherwise Envoy's 10% stands.
    maxEjectionPercent: spec.maxEjectionPercent !== undefined && spec.maxEjectionPercent > 0 ? min(100, spec.maxEjectionPercent) : 10,
    panicThresholdPercent: spec.minHealthPercent !== undefined && spec.minHealthPercent > 0 ? min(100, spec.minHealthPercent) : 0,
  };
}

/**
 * Envoy's `ejectHost` admission (1.31 and later, `always_eject_one_host` unset as Istio leaves it):
 * eject when the ejected share, counting this host, stays within max_ejection_percent.
 */
export function mayEject(ejected: number, hosts: number, maxEjectionPercent: number): boolean {
  if (hosts <= 0) return false;
  return (100 * (ejected + 1)) / hosts <= maxEjectionPercent;
}

interface HostOutlierState {
  consecutive5xx: number;
  consecutiveGateway: number;
  ejections: number;
  ejectedAt: number | null;
}

export interface Ejection {
  hostId: string;
  ejectedAt: number;
  /** Envoy's ejection-time backoff: this ejection lasts baseEjectionTime × multiplier. */
  multiplier: number;
}

export class OutlierDetector {
  private readonly hosts = new Map<string, HostOutlierState>();
  private ejectedCount = 0;
  private nextSweepAt: number;

  constructor(
    readonly settings: OutlierSettings,
    startedAt: number,
  ) {
    this.nextSweepAt = startedAt + settings.intervalMs;
  }

  isEjected(hostId: string, now: number): boolean {
    if (now >= this.nextSweepAt) this.sweep(now);
    return this.ejectedCount > 0 && (this.hosts.get(hostId)?.ejectedAt ?? null) !== null;
  }

  /** Record one response from a host; `clusterSize` is the number of hosts in the cluster now. */
  record(hostId: string, status: number, clusterSize: number, now: number): void {
    if (now >= this.nextSweepAt) this.sweep(now);
    let h = this.hosts.get(hostId);
    if (!h) {
      h = { consecutive5xx: 0, consecutiveGateway: 0, ejections: 0, ejectedAt: null };
      this.hosts.set(hostId, h);
    }
    if (status < 500) {
      h.consecutive5xx = 0;
      h.consecutiveGateway = 0;
      return;
    }
    h.consecutive5xx++;
    if (status >= 502 && status <= 504) h.consecutiveGateway++;
    else h.consecutiveGateway = 0;
    // A host ejected already (a panic pick, or a request routed before the ejection) only counts.
    if (h.ejectedAt !== null) return;
    const by5xx = this.settings.consecutive5xx > 0 && h.consecutive5xx >= this.settings.consecutive5xx;
    const byGateway = this.settings.consecutiveGateway > 0 && h.consecutiveGateway >= this.settings.consecutiveGateway;
    if (!by5xx && !byGateway) return;
    // Envoy resets the counter that fired, whether or not the ejection was allowed.
    if (by5xx) h.consecutive5xx = 0;
    if (byGateway) h.consecutiveGateway = 0;
    if (!mayEject(this.ejectedCount, clusterSize, this.settings.maxEjectionPercent)) return;
    h.ejections++;
    h.ejectedAt = now;
    this.ejectedCount++;
  }

  /** Forget hosts that left the cluster: a pod that comes back is a new host to Envoy. */
  retain(hostIds: ReadonlySet<string>): void {
    for (const [id, h] of this.hosts) {
      if (hostIds.has(id)) continue;
      if (h.ejectedAt !== null) this.ejectedCount--;
      this.hosts.delete(id);
    }
  }

  ejections(now: number): Ejection[] {
    if (now >= this.nextSweepAt) this.sweep(now);
    const out: Ejection[] = [];
    for (const [hostId, h] of this.hosts) if (h.ejectedAt !== null) out.push({ hostId, ejectedAt: h.ejectedAt, multiplier: h.ejections });
    return out.sort((a, b) => a.hostId.localeCompare(b.hostId));
  }

  private sweep(now: number): void {
    const { intervalMs, baseEjectionMs } = this.settings;
    while (this.nextSweepAt <= now) {
      const at = this.nextSweepAt;
      let pending = false;
      for (const h of this.hosts.values()) {
        if (h.ejectedAt !== null) {
          if (at - h.ejectedAt >= min(MAX_EJECTION_MS, baseEjectionMs * h.ejections)) {
            h.ejectedAt = null;
            this.ejectedCount--;
          }
          pending = true;
        } else if (h.ejections > 0) {
          h.ejections--;
          pending = pending || h.ejections > 0;
        }
      }
      if (!pending) {
        // Nothing left to age: skip the idle sweeps in one step.
        const skipped = floor((now - at) / intervalMs);
        this.nextSweepAt = at + (skipped + 1) * intervalMs;
        return;
      }
      this.nextSweepAt = at + intervalMs;
    }
  }
}
