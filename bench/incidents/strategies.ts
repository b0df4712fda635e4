import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { Lab, LabOptions } from '../../lab/world';
import { DESTINATION_RULES } from '../../lab/k8s/resources';
import { MESH_SCOPE } from '../../lab/k8s/control-plane';
import type { AlarmRuleStatus } from '../../lab/dataplane/alarms';
import { signRequest } from '../../shared/http/auth';
import type { VirtualClock } from './virtual-clock';
import type { CmsVariant } from './cms';

/**
 * The strategies people run today, and regionshift, each a driver on the same lab: failover mode
 * (the product's seeded setting, as the ASM docs configure it) and, but for `static`, the lab's
 * outlier rule on every DestinationRule. `static` runs the ASM docs' rule, as the issue asks.
 */

/** The ASM/Istio locality-failover docs' DestinationRule outlier detection (no maxEjectionPercent: Envoy's 10% stands). */
export const ASM_DOCS_OUTLIER = { consecutive5xxErrors: 1, interval: '1s', baseEjectionTime: '1m' };

export interface StrategyContext {
  lab: Lab;
  clock: VirtualClock;
  /** Keep a promise in the driver's accounting: time does not move while it runs (unless it sleeps). */
  track(p: Promise<unknown>): void;
  /** Offset (ms) of the current step from the start of the run. */
  offset(): number;
  /** Is any alarm firing now (the lab's CMS rules, or the incident's false alarm), and for which regions. */
  firingRegions(): string[];
  /** The strategy's own detector flagged a fault now (DNS health check, zero-endpoint rule): the run keeps the first time after the fault started. */
  detected(): void;
}

/** Where one second's requests of a gateway's clients enter. */
export interface Entry {
  gateway: string;
  count: number;
  /** Entering through another region's gateway: one more cross-region hop on the way in. */
  redirected: boolean;
}

export interface StrategyDriver {
  /** Called once per simulated second, before that second's traffic. */
  onSecond(): void;
  /** How this second's `count` requests of `gateway`'s clients enter (default: all through it). */
  entries?(gateway: string, count: number): Entry[];
  /** Scheduler ticks (regionshift only). */
  ticks?: boolean;
  /** Alarms go to the functions (regionshift only); others keep the rules evaluating for the on-call's pager. */
  deliversAlarms?: boolean;
  /** DNS answer changes (not mesh changes, but routing changes all the same). */
  routingChanges?(): number;
  /**
   * What it detects faults by, for the time to detect: 'alarms' — any of the lab's alarm rules
   * firing (the on-call's pager); 'delivered' — the first alarm notification delivered to the
   * functions (regionshift); 'own' — it calls `detected()` itself; absent — nothing detects (static).
   */
  detects?: 'alarms' | 'delivered' | 'own';
}

export interface Strategy {
  id: string;
  title: string;
  labOptions: Partial<LabOptions>;
  /** The lab's CMS rules' timing (default `documented`: 60-s periods, the templates' Times); `10s` only for the labelled variant. */
  cms?: CmsVariant;
  /** Why the strategy cannot run yet (the runner skips it and the report says "not available"); absent: it runs. */
  unavailable?: string;
  attach(ctx: StrategyContext): StrategyDriver;
}

const regionOfRule = (lab: Lab, s: AlarmRuleStatus): string | null => {
  const rule = lab.topology.alarms.find((r) => r.id === s.ruleId);
  if (!rule) return null;
  if (rule.kind !== 'ready-replicas-zero') return rule.region;
  return lab.topology.regions.find((r) => r.clusters.some((c) => c.name === rule.cluster))?.name ?? null;
};

export function firingFromRules(lab: Lab): string[] {
  const regions = new Set<string>();
  for (const s of lab.alarms.statuses())
    if (s.state === 'ALERT') {
      const r = regionOfRule(lab, s);
      if (r) regions.add(r);
    }
  return [...regions];
}

/** What a user who followed the ASM docs has: failover mode, the docs' outlier rule (which ejects nothing below 10 endpoints), nothing automated. */
export const staticStrategy: Strategy = {
  id: 'static',
  title: "static (ASM failover + the docs' outlier rule)",
  labOptions: { outlierDetection: ASM_DOCS_OUTLIER },
  attach: () => ({ onSecond: () => undefined }),
};

/**
 * The same with the outlier rule every other strategy here runs on (the lab's, which the README
 * recommends: 5 × 5xx, 5 s, 30 s, maxEjectionPercent 100): what Envoy alone does once tuned.
 */
export const staticTunedStrategy: Strategy = {
  id: 'static-tuned',
  title: 'static, tuned outlier rule (maxEjectionPercent 100)',
  labOptions: {},
  attach: () => ({ onSecond: () => undefined }),
};

/** linkerd-failover's rule, per service: out of a region when its ready endpoints there are zero, back when one is ready. */
export const zeroEndpointStrategy: Strategy = {
  id: 'zero-endpoint',
  title: 'zero-endpoint rule (linkerd-failover)',
  labOptions: {},
  attach: ({ lab, detected }) => {
    const regions = lab.topology.regions;
    const moved = new Map<string, string>(); // service → region moved out of
    const inRegion = (d: { cluster: string }, region: { clusters: Array<{ name: string }> }) =>
      region.clusters.some((c) => c.name === d.cluster);
    const readyIn = (service: string, region: { clusters: Array<{ name: string }> }) =>
      lab.topology.deployments
        .filter((d) => d.service === service && inRegion(d, region))
        .reduce((n, d) => n + (lab.controlPlane.routing.replicas(d.cluster, d.namespace, d.name)?.ready ?? 0), 0);
    const hasDeployments = (service: string, region: { clusters: Array<{ name: string }> }) =>
      lab.topology.deployments.some((d) => d.service === service && inRegion(d, region));
    const setRule = (service: string, out: string | null) => {
      lab.controlPlane.store.update(MESH_SCOPE, DESTINATION_RULES, 'default', service, (cur) => {
        const spec = { ...(cur.spec as Record<string, unknown>) };
        const tp = { ...((spec.trafficPolicy as Record<string, unknown> | undefined) ?? {}) };
        if (out === null) delete tp.loadBalancer;
        else {
          const other = regions.find((r) => r.name !== out)?.name as string;
          // Both regions' clients to the other region: the TrafficSplit linkerd-failover writes, as a locality distribute.
          tp.loadBalancer = {
            localityLbSetting: { enabled: true, distribute: regions.map((r) => ({ from: `${r.name}/*`, to: { [`${other}/*`]: 100 } })) },
          };
        }
        return { ...cur, spec: { ...spec, trafficPolicy: tp } };
      });
    };
    return {
      detects: 'own',
      onSecond: () => {
        for (const s of lab.topology.services) {
          for (const r of regions) {
            if (!hasDeployments(s.name, r)) continue;
            const ready = readyIn(s.name, r);
            if (ready === 0 && !moved.has(s.name)) {
              detected();
              moved.set(s.name, r.name);
              setRule(s.name, r.name);
            } else if (ready > 0 && moved.get(s.name) === r.name) {
              moved.delete(s.name);
              setRule(s.name, null);
            }
          }
        }
      },
    };
  },
};

/**
 * DNS failover, k8gb-style (https://www.k8gb.io; sources in docs/benchmarks/incidents.md): a
 * reconcile every 30 s (k8gb's `reconcileRequeueSeconds` default) decides which regions are in the
 * answer; the answer for a region's clients is that region while it is healthy, else the other one
 * (k8gb's `geoip`/`failover` strategies: the closest or primary cluster until it has no healthy
 * pods). Clients keep a cached answer until its TTL (k8gb's `dnsTtlSeconds` default, 30 s)
 * expires, their expiries spread evenly: after a change, 1/30 of them pick up the new answer each
 * second. A client sent to the other region enters through that region's ingress.
 *
 * What the health check reads, and what runs under each region's ingress, are the options:
 * - `health: 'endpoints'` is k8gb's own check: a region is healthy while the Service behind its
 *   Ingress (the gateway's entry service) has at least one ready endpoint. Pods that stay ready
 *   while answering 5xx keep their region in the answer.
 * - `health: 'http'` is a GSLB that probes over HTTP (3 requests through the region's gateway,
 *   healthy when at least 2 answer), as most DNS load balancers other than k8gb do.
 * - `independent: true` is how DNS-based GSLB is run: independent clusters, each region's ingress
 *   and sidecars reaching only that region's endpoints (a DestinationRule per service whose
 *   locality `distribute` keeps every region's callers in their own region, which Istio renders by
 *   dropping the other region's endpoints). `false` runs DNS on top of the cross-region mesh with
 *   the lab's tuned outlier rule, where Envoy's own locality failover acts first.
 */
export interface DnsOptions {
  id: string;
  title: string;
  health: 'endpoints' | 'http';
  independent: boolean;
}

export const DNS_RECONCILE_MS = 30_000;
export const DNS_TTL_S = 30;

/** Every service's DestinationRule keeps each region's callers in that region (independent clusters). */
export function keepRegionsLocal(lab: Lab): void {
  const distribute = lab.topology.regions.map((r) => ({ from: `${r.name}/*`, to: { [`${r.name}/*`]: 100 } }));
  for (const s of lab.topology.services) {
    lab.controlPlane.store.update(MESH_SCOPE, DESTINATION_RULES, 'default', s.name, (cur) => {
      const spec = { ...(cur.spec as Record<string, unknown>) };
      const tp = { ...((spec.trafficPolicy as Record<string, unknown> | undefined) ?? {}) };
      tp.loadBalancer = { localityLbSetting: { enabled: true, distribute } };
      return { ...cur, spec: { ...spec, trafficPolicy: tp } };
    });
  }
}

export function dnsStrategyOf(opts: DnsOptions): Strategy {
  return {
    id: opts.id,
    title: opts.title,
    // Independent regions run the ASM docs' outlier rule, which ejects nothing from 2-pod
    // services: with no other region to fail over to, the tuned rule (maxEjectionPercent 100) can
    // only eject a region's last endpoints, turning a partial fault into a whole one and keeping
    // them out long after it clears (each ejection longer, up to 300 s).
    labOptions: opts.independent ? { outlierDetection: ASM_DOCS_OUTLIER } : {},
    attach: ({ lab, offset, detected }) => {
      if (opts.independent) keepRegionsLocal(lab);
      const gws = lab.topology.gateways;
      const healthy = new Map(gws.map((g) => [g.region, true]));
      // Seconds of TTL expiry (0…TTL) the gateway's clients have spent moving to the other region's
      // answer: their share is steps / TTL, in whole steps so that a full move is exactly 1.
      const moved = new Map(gws.map((g) => [g.name, 0]));
      const carry = new Map(gws.map((g) => [g.name, 0]));
      let changes = 0;
      const CHECK_PHASE_MS = 20_000;
      const inRegion = (cluster: string, region: string) =>
        lab.topology.regions.some((r) => r.name === region && r.clusters.some((c) => c.name === cluster));
      /** k8gb's check: ready endpoints of the Service behind the region's Ingress. */
      const readyEndpoints = (g: (typeof gws)[number]) =>
        lab.topology.deployments
          .filter((d) => d.service === g.entry && inRegion(d.cluster, g.region))
          .reduce((n, d) => n + (lab.controlPlane.routing.replicas(d.cluster, d.namespace, d.name)?.ready ?? 0), 0);
      const check = (g: (typeof gws)[number]) =>
        opts.health === 'endpoints' ? readyEndpoints(g) > 0 : lab.dataPlane.send(g.name, 3).ok >= 2;
      return {
        detects: 'own',
        routingChanges: () => changes,
        onSecond: () => {
          // Reconciles at 20 s into each 30 s (offsets 20, 50, …): the first after a fault at 125 s
          // comes 15 s later, the average delay of a reconcile whose phase is unknown.
          if (offset() % DNS_RECONCILE_MS === CHECK_PHASE_MS) {
            for (const g of gws) {
              const ok = check(g);
              if (!ok) detected();
              if (ok !== healthy.get(g.region)) changes++;
              healthy.set(g.region, ok);
            }
          }
          for (const g of gws) {
            const otherOk = gws.some((o) => o.region !== g.region && healthy.get(o.region));
            const target = !healthy.get(g.region) && otherOk ? DNS_TTL_S : 0;
            const cur = moved.get(g.name) ?? 0;
            // Toward the target one step a second, and still once there (the earlier `else`
            // stepped back from a full move every other second, leaving clients on a dead region).
            moved.set(g.name, target > cur ? cur + 1 : target < cur ? cur - 1 : cur);
          }
        },
        entries: (gateway, count) => {
          const share = (moved.get(gateway) ?? 0) / DNS_TTL_S;
          const other = gws.find((g) => g.name !== gateway) as (typeof gws)[number];
          const due = (carry.get(gateway) ?? 0) + share * count;
          const n = Math.min(count, Math.floor(due + 1e-9));
          carry.set(gateway, due - n);
          return [
            { gateway, count: count - n, redirected: false },
            { gateway: other.name, count: n, redirected: true },
          ].filter((e) => e.count > 0);
        },
      };
    },
  };
}

/** The DNS failover: k8gb on independent regions, its own health check (ready endpoints behind the Ingress). */
export const dnsStrategy = dnsStrategyOf({
  id: 'dns',
  title: 'DNS failover, k8gb (independent regions; healthy = ready endpoints behind the Ingress; reconcile 30 s, TTL 30 s)',
  health: 'endpoints',
  independent: true,
});
/** The same timing with an HTTP health check through each region's ingress: DNS GSLB at its best on a region answering 5xx. */
export const dnsHttpStrategy = dnsStrategyOf({
  id: 'dns-http',
  title: 'DNS failover, HTTP health check (independent regions; check 30 s, TTL 30 s)',
  health: 'http',
  independent: true,
});
/** The earlier `dns` row: DNS with an HTTP check on top of the cross-region mesh and its tuned outlier rule (Envoy acts first). */
export const dnsOverMeshStrategy = dnsStrategyOf({
  id: 'dns-over-mesh',
  title: 'DNS failover over the cross-region mesh (HTTP check 30 s, TTL 30 s, tuned outlier rule)',
  health: 'http',
  independent: false,
});

/** A person paged by the alarm: drains its region through the control API 5 min after it fires, clears 30 min after it clears. */
export const onCallStrategy: Strategy = {
  id: 'on-call',
  title: 'on-call human (drain +5 min, give back +30 min)',
  labOptions: {},
  attach: ({ lab, clock, track, firingRegions }) => {
    let firedAt: number | null = null;
    let clearedAt: number | null = null;
    let region: string | null = null;
    let overrideId: string | null = null;
    let busy = false;
    const control = async (method: string, p: string, body?: unknown) => {
      const text = body === undefined ? '' : JSON.stringify(body);
      const signed = signRequest({
        secret: lab.secrets.controlSecret,
        method,
        path: p,
        body: text,
        timestamp: Math.floor(clock.now() / 1000),
      });
      // A kept-alive socket the host closed while nothing was sent (half an hour of simulated
      // quiet is seconds of real time, past its keep-alive) fails once: try again, as a person would.
      let res: Response | null = null;
      for (let attempt = 1; !res; attempt++) {
        try {
          res = await fetch(`${lab.hostUrl}/control${p}`, {
            method,
            headers: { 'content-type': 'application/json', ...signed.headers },
            ...(text ? { body: text } : {}),
          });
        } catch (err) {
          if (attempt >= 3) throw err;
        }
      }
      const json = (await res.json()) as Record<string, unknown>;
      if (!res.ok) throw new Error(`on-call ${method} ${p}: HTTP ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    return {
      detects: 'alarms',
      onSecond: () => {
        const now = clock.now();
        const firing = firingRegions();
        if (firing.length > 0) {
          firedAt ??= now;
          region ??= firing[0] as string;
          clearedAt = null;
        } else if (firedAt !== null && clearedAt === null) {
          clearedAt = now;
        }
        if (busy) return;
        if (overrideId === null && firedAt !== null && clearedAt === null && now - firedAt >= 5 * 60_000 && region) {
          busy = true;
          track(
            control('POST', '/v1/overrides', { drain: [region], ttl: '24h', reason: 'on-call: alarm firing' })
              .then(() => control('GET', '/v1/status'))
              .then((status) => {
                overrideId = (status.override as { id?: string } | null)?.id ?? null;
                if (!overrideId) throw new Error('on-call: the drain left no override in /v1/status');
              })
              .finally(() => {
                busy = false;
              }),
          );
        } else if (overrideId !== null && clearedAt !== null && now - clearedAt >= 30 * 60_000) {
          busy = true;
          const id = overrideId;
          track(
            control('DELETE', `/v1/overrides/${id}`)
              .then(() => {
                overrideId = null;
                firedAt = null;
                clearedAt = null;
                region = null;
              })
              .finally(() => {
                busy = false;
              }),
          );
        }
      },
    };
  },
};

export function regionshiftStrategy(
  id = 'regionshift',
  policy: Record<string, Record<string, unknown>> = {},
  title = 'regionshift (examples/bookinfo.yaml)',
  policyFile?: string,
  extra: Partial<Pick<Strategy, 'cms' | 'unavailable'>> & { labOptions?: Partial<LabOptions> } = {},
): Strategy {
  return {
    id,
    title,
    labOptions: { policy, ...(policyFile ? { policyFile } : {}), ...(extra.labOptions ?? {}) },
    ...(extra.cms ? { cms: extra.cms } : {}),
    ...(extra.unavailable ? { unavailable: extra.unavailable } : {}),
    attach: () => ({ onSecond: () => undefined, ticks: true, deliversAlarms: true, detects: 'delivered' }),
  };
}

/** The SLS trigger's interval the telemetry row runs at (FC's documented range is 3–600 s). */
export const TELEMETRY_INTERVAL_S = 3;

/**
 * The lab options that turn the telemetry path on: the data plane's access logs into the SLS twin,
 * the `telemetry` function on the FC host with its SLS trigger every TELEMETRY_INTERVAL_S. null
 * until `startLab` takes them; wiring the row is then this one line:
 * `{ telemetry: { intervalS: TELEMETRY_INTERVAL_S } }`.
 */
export const TELEMETRY_LAB_OPTIONS: Partial<LabOptions> | null = { telemetry: { intervalS: TELEMETRY_INTERVAL_S } };

/** regionshift with its own telemetry (SLS access logs, the telemetry function) beside the CMS alarms at their documented periods. */
export const regionshiftTelemetryStrategy: Strategy = regionshiftStrategy(
  'regionshift+telemetry',
  {},
  `regionshift with telemetry (examples/bookinfo.yaml; the data plane's access logs read by the telemetry function every ${TELEMETRY_INTERVAL_S} s through the SLS trigger, beside the CMS alarms)`,
  undefined,
  TELEMETRY_LAB_OPTIONS === null
    ? { unavailable: 'the lab has no telemetry option yet (startLab({ telemetry: { intervalS } }))' }
    : { labOptions: TELEMETRY_LAB_OPTIONS },
);

/**
 * The quorum policy: examples/bookinfo.yaml with `detection.quorum: 2`, its CMS 5xx rule split in
 * two (the entry service's alarms and reviews' alarms). Quorum counts distinct sources/rules, and
 * every CMS 5xx alarm matches the example's one `cms-5xx` rule: with it alone, quorum 2 could only
 * be met with an ACK event too, and a hard region down (pods up, answering 503) would never drain.
 */
export function quorumPolicy(exampleFile = 'examples/bookinfo.yaml'): Record<string, Record<string, unknown>> {
  const example = parseYaml(readFileSync(exampleFile, 'utf8')) as { detection?: { rules?: Array<Record<string, unknown>> } };
  const rules = (example.detection?.rules ?? []).flatMap((r) => {
    if (r.name !== 'cms-5xx') return [r];
    const match = r.match as Record<string, unknown>;
    return [
      { ...r, name: 'cms-5xx-entry', match: { ...match, alertName: 'productpage-5xx-*' } },
      { ...r, name: 'cms-5xx-backend', match: { ...match, alertName: 'reviews-5xx-*' } },
    ];
  });
  return { detection: { quorum: 2, rules } };
}

/**
 * The scoped policy: examples/bookinfo-scoped.yaml (the default example plus `scopes`, per-service
 * rules), run with the same lab periods as the default strategy, and with the default example's
 * `cms-latency` rule added: the scoped example has none, and without it the latency incident would
 * compare a policy that hears latency alarms with one that does not. Its alarm's `service`
 * dimension places it on that service.
 */
export function scopedPolicy(
  scopedFile = 'examples/bookinfo-scoped.yaml',
  defaultFile = 'examples/bookinfo.yaml',
): Record<string, Record<string, unknown>> {
  type Doc = { detection?: Record<string, unknown> & { rules?: Array<Record<string, unknown>> } };
  const scoped = parseYaml(readFileSync(scopedFile, 'utf8')) as Doc;
  const plain = parseYaml(readFileSync(defaultFile, 'utf8')) as Doc;
  const latency = (plain.detection?.rules ?? []).filter((r) => r.name === 'cms-latency');
  const rules = scoped.detection?.rules ?? [];
  return { detection: { ...(scoped.detection ?? {}), rules: [...rules, ...latency.filter((l) => !rules.some((r) => r.name === l.name))] } };
}

export const STRATEGIES: Strategy[] = [
  staticStrategy,
  staticTunedStrategy,
  zeroEndpointStrategy,
  dnsStrategy,
  dnsHttpStrategy,
  dnsOverMeshStrategy,
  onCallStrategy,
  regionshiftStrategy(),
  regionshiftTelemetryStrategy,
  regionshiftStrategy(
    'regionshift@10s',
    {},
    'regionshift with the CMS rules at 10-s periods × 3 (a variant: CMS documents one-minute periods)',
    undefined,
    { cms: '10s' },
  ),
  regionshiftStrategy(
    'regionshift-quorum2',
    quorumPolicy(),
    'regionshift, quorum 2 (examples/bookinfo.yaml, detection.quorum: 2, the CMS 5xx rule split into entry and backend)',
  ),
  regionshiftStrategy(
    'regionshift-scoped',
    scopedPolicy(),
    "regionshift, service scopes (examples/bookinfo-scoped.yaml, plus the default example's cms-latency rule)",
    'examples/bookinfo-scoped.yaml',
  ),
];

export const OTHERS = new Set(['static', 'static-tuned', 'zero-endpoint', 'dns', 'dns-http', 'dns-over-mesh', 'on-call']);
