import { z } from 'zod';
import { parseDuration } from './duration';

/**
 * The policy: everything an operator declares about one mesh. Durations are written as
 * `30s`/`5m`/`1h` (or seconds) and parsed to milliseconds here, so the core sees numbers only.
 * Objects are strict: a misspelt key (`saftey:`) would otherwise be dropped silently and its
 * section would run on defaults the operator never chose.
 */

const DURATION_HINT = 'must be a duration like 30s, 5m, 1h30m';

export const duration = z
  .union([z.string(), z.number()], { error: `${DURATION_HINT} or a number of seconds` })
  .transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === null) {
      ctx.addIssue({ code: 'custom', message: `${DURATION_HINT} (got ${JSON.stringify(v)})` });
      return z.NEVER;
    }
    return ms;
  })
  .meta({ description: 'A duration: 30s, 5m, 1h30m, 250ms, 2d, or a number of seconds' });

// Duration and section defaults are prefaults: written as an operator would write them and
// parsed like input, so the JSON Schema shows `5m` (not 300000, which reads as seconds there)
// and a section's default is its fields' defaults, stated once.

/** A window or schedule that lasts no time would never be open. */
const positiveDuration = duration.refine((ms) => ms > 0, { message: 'must be longer than 0s' });

const REGION_RE = /^[a-z0-9][a-z0-9-]*[a-z0-9]$/;
export const regionName = z.string().regex(REGION_RE, 'must be a region id like cn-hangzhou (lowercase letters, digits, dashes)');

const percent = z.number().int('must be an integer').min(0, 'must be >= 0').max(100, 'must be <= 100');

/** `W[src][dst]` in percent; a row sums to 100. Zero entries may be omitted. */
export const matrixSchema = z.record(regionName, z.record(regionName, percent));

/** A recurring window: starts at each cron fire time (6 fields, seconds first) and lasts `duration`. */
export const windowSchema = z.strictObject({
  cron: z.string().min(1, 'required'),
  timezone: z.string().default('UTC'),
  duration: positiveDuration,
});

const k8sCredentials = z.strictObject({
  /** A kubeconfig file path, a kubeconfig in an environment variable, or fetched from the cloud API. */
  kubeconfigFile: z.string().optional(),
  kubeconfigEnv: z.string().optional(),
  fromCloud: z.boolean().optional(),
  context: z.string().optional(),
  /**
   * With fromCloud: the API server address the fetched kubeconfig names (ACK's PrivateIpAddress).
   * Default: private for a cluster in the functions' region, public for one in another region.
   */
  endpoint: z.enum(['public', 'private']).optional(),
});

const asmMesh = z.strictObject({
  backend: z.literal('asm'),
  meshId: z.string().min(1, 'required'),
  /** Region of the ASM OpenAPI endpoint. */
  apiRegion: regionName,
  endpoint: z.string().url().optional(),
  updateTimeout: duration.prefault('1m'),
});

const istioMesh = z.strictObject({
  backend: z.literal('istio'),
  destinationRules: z
    .array(z.strictObject({ namespace: z.string().min(1, 'required'), name: z.string().min(1, 'required') }))
    .min(1, 'name at least one DestinationRule to own'),
  kubeconfig: k8sCredentials.default({}),
});

const clusterSchema = z.strictObject({
  id: z.string().min(1, 'required'),
  kubeconfig: k8sCredentials.default({}),
});

export const regionSchema = z.strictObject({
  /** Relative client load originating in this region (any positive unit). */
  load: z.number().gt(0, 'must be > 0').default(1),
  clusters: z.array(clusterSchema).default([]),
});

const severityName = z.enum(['degraded', 'down']);

const ruleSchema = z.strictObject({
  name: z.string().min(1, 'required'),
  match: z
    .strictObject({
      source: z.enum(['cms', 'alertmanager', 'ack', 'drill', 'lab']).optional(),
      /** Glob on the alarm name (CMS alertName / Alertmanager alertname / ACK reason). `*` and `?`. */
      alertName: z.string().optional(),
      metric: z.string().optional(),
      dimensions: z.record(z.string(), z.string()).optional(),
      labels: z.record(z.string(), z.string()).optional(),
    })
    .default({}),
  /**
   * Where the region comes from. CMS callbacks carry no region field, so a CMS alarm is placed by
   * what the operator controls: the callback URL's `region` parameter, the rule, or a map from a
   * dimension value (an instance id) to a region. Left out, it depends on the alarm's source: the
   * callback URL for CMS, the region the payload itself names for ACK (event subject) and
   * Alertmanager (`region` label). `fromPayload: regionId` reads that payload region; no CMS
   * payload has one, and `validate` warns about it on a rule that matches CMS alarms.
   */
  region: z
    .union(
      [
        z.strictObject({ fromUrl: z.literal(true) }),
        z.strictObject({ fixed: regionName }),
        z.strictObject({ fromInstance: z.record(z.string().min(1), regionName) }),
        z.strictObject({ fromDimension: z.string().min(1, 'required'), map: z.record(z.string().min(1), regionName).optional() }),
        z.strictObject({ fromLabel: z.string().min(1, 'required') }),
        z.strictObject({ fromCluster: z.literal(true) }),
        z.strictObject({ fromPayload: z.enum(['regionId']).meta({ deprecated: true }) }),
      ],
      {
        error:
          'must be one of {fromUrl: true}, {fixed: <region>}, {fromInstance: {<instance id>: <region>}}, {fromDimension: <name>, map?: {<value>: <region>}}, {fromLabel: <name>}, {fromCluster: true}',
      },
    )
    .optional()
    .meta({
      description:
        "Where the signal's region comes from. Left out: the callback URL (fromUrl) for CMS alarms, the region the payload names for ACK and Alertmanager alarms",
    }),
  /** Trigger level (CRITICAL/WARN/INFO, Alertmanager severity label, k8s Warning/Normal) → severity; or one fixed severity. */
  severity: z
    .union([severityName, z.record(z.string(), severityName)], {
      error: 'must be degraded, down, or a map from trigger level to degraded|down',
    })
    .default({ CRITICAL: 'down', critical: 'down', WARN: 'degraded', warning: 'degraded', Warning: 'degraded' }),
  /** The service the signal is about; default: the alarm's `service` label or dimension. */
  service: z.string().min(1, 'required').optional(),
  ttl: duration.optional(),
  /**
   * Fire only when the event happened `count` times within `within` (Kubernetes Events carry
   * their own occurrence count and first/last times); a resolve always passes.
   */
  window: z.strictObject({ count: z.number().int().min(1, 'must be >= 1'), within: positiveDuration }).optional(),
  /**
   * The alarm's magnitude and what it means: CMS callbacks carry `curValue` (the value the rule's
   * expression tripped on); Alertmanager alerts carry what the alert rule puts in an annotation or
   * a label (e.g. `value: '{{ $value }}'`). `errorPercent`/`errorRatio` make it an error share the
   * target guard compares across regions; `latencyMs` and `value` compare within one metric only.
   */
  measure: z
    .strictObject({
      kind: z.enum(['errorPercent', 'errorRatio', 'latencyMs', 'value']),
      from: z
        .union(
          [
            z.literal('curValue'),
            z.strictObject({ annotation: z.string().min(1, 'required') }),
            z.strictObject({ label: z.string().min(1, 'required') }),
          ],
          {
            error: "must be 'curValue', {annotation: <name>} or {label: <name>}",
          },
        )
        .default('curValue'),
    })
    .optional(),
});

/**
 * Deployment availability read on the scheduler's tick: available/desired replicas of each of
 * `scaling.deployments` per region, graded against these thresholds (percent).
 */
const deploymentAvailabilitySchema = z
  .strictObject({
    /** At or below this share of its expected replicas available, the deployment's region is down. */
    downAtOrBelow: percent.default(0),
    /** Below this share (and above downAtOrBelow), degraded. */
    degradedBelow: percent.default(50),
    /** How long a firing availability signal lives without a tick refreshing it (reads failing). */
    ttl: positiveDuration.prefault('5m'),
  })
  .refine((a) => a.degradedBelow > a.downAtOrBelow, { message: 'degradedBelow must be greater than downAtOrBelow' });

const deploymentSchema = z.strictObject({
  name: z.string().min(1, 'required'),
  namespace: z.string().min(1, 'required'),
  /** The scoped service this deployment serves: scaled by that service's routing only (see `scopes`). */
  service: z.string().min(1, 'required').optional(),
  /** Per region: the cluster it runs in (default the region's first), normal replicas and bounds. */
  regions: z
    .record(
      regionName,
      z.strictObject({
        cluster: z.string().optional(),
        normalReplicas: z.number().int().min(0, 'must be >= 0'),
        min: z.number().int().min(0, 'must be >= 0').default(1),
        max: z.number().int().min(1, 'must be >= 1'),
      }),
    )
    .refine((r) => Object.keys(r).length > 0, { message: 'name at least one region the deployment runs in' }),
});

const scheduleSchema = z
  .strictObject({
    name: z.string().min(1, 'required'),
    cron: z.string().min(1, 'required'),
    timezone: z.string().default('UTC'),
    duration: positiveDuration,
    matrix: matrixSchema.optional(),
    drain: z.array(regionName).min(1, 'name at least one region to drain').optional(),
    /** A scoped service: the schedule shifts that service's host only (see `scopes`). */
    service: z.string().min(1, 'required').optional(),
  })
  .refine((s) => !(s.matrix !== undefined && s.drain !== undefined), { message: 'set either matrix or drain, not both' })
  .refine((s) => !(s.matrix === undefined && s.drain === undefined), { message: 'set one of matrix or drain' });

const SERVICE_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** `<namespace>/<name>`: a namespace (DNS label) and a Gateway's name (DNS subdomain). */
const GATEWAY_REF_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/**
 * Service scopes: health and routing per (region, service) instead of one mesh-wide matrix.
 * Absent → one matrix at every hop, as before scopes existed.
 */
const scopesSchema = z.strictObject({
  /** Hosts are `<service>.<namespace>.svc.cluster.local` unless a service gives its `host`. */
  namespace: z.string().regex(SERVICE_RE, 'must be a Kubernetes namespace name (lowercase letters, digits, dashes)').default('default'),
  /** `entry`: elective shifts are rendered on the entry hosts only (the other hops stay local); `every-hop`: on every host. */
  shiftAt: z.enum(['entry', 'every-hop']).default('entry'),
  /** The services the gateways call: shifts apply here. Exclusive with `entryFrom`. */
  entry: z.array(z.string().min(1, 'required')).min(1, 'name at least one entry service').optional(),
  /**
   * Instead of `entry`: the entry services are the scoped services that the VirtualServices bound
   * to these Istio Gateways (`spec.gateways`) route to (`http[].route[].destination.host`), read
   * by the runtime from the mesh's Kubernetes API on every tick.
   */
  entryFrom: z
    .strictObject({
      /** Each `<namespace>/<gateway name>`, as a VirtualService's `spec.gateways` names a gateway in another namespace. */
      gateways: z
        .array(z.string().regex(GATEWAY_REF_RE, 'must be <namespace>/<gateway name> (Kubernetes names)'))
        .min(1, 'name at least one gateway'),
    })
    .optional(),
  /** The services scoped: health and routing per (region, service). */
  services: z
    .record(
      z.string().regex(SERVICE_RE, 'must be a Kubernetes service name (lowercase letters, digits, dashes)'),
      z.strictObject({ host: z.string().min(1, 'required').optional() }).prefault({}),
    )
    .refine((s) => Object.keys(s).length > 0, { message: 'name at least one service' }),
});

const notificationSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('log') }),
  z.strictObject({ type: z.literal('webhook'), url: z.string().url(), minLevel: z.enum(['info', 'warning', 'critical']).default('info') }),
  z.strictObject({
    type: z.literal('dingtalk'),
    webhook: z.string().url(),
    secret: z.string().min(1, 'required'),
    minLevel: z.enum(['info', 'warning', 'critical']).default('warning'),
  }),
]);

export const policySchema = z.strictObject({
  apiVersion: z.literal('regionshift/v1').default('regionshift/v1'),
  /** Names this policy's state row; one policy drives one mesh. */
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lowercase letters, digits and dashes'),
  mesh: z.discriminatedUnion('backend', [asmMesh, istioMesh]),
  regions: z.record(regionName, regionSchema).refine((r) => Object.keys(r).length >= 2, { message: 'declare at least two regions' }),
  /** The normal traffic matrix; default: every region serves its own traffic (identity). */
  normal: matrixSchema.optional(),
  /** Per region, the regions its traffic goes to when it is drained, most preferred first. Default: the other regions in declaration order. */
  failover: z.record(regionName, z.array(regionName)).optional(),
  detection: z
    .strictObject({
      quorum: z.number().int().min(1, 'must be >= 1').default(1),
      defaultTtl: duration.prefault('10m'),
      rules: z.array(ruleSchema).default([]),
      deploymentAvailability: deploymentAvailabilitySchema.optional(),
      /** An alarm whose own time is older than this is stale: audited, answered, never acted on. */
      maxAge: positiveDuration.prefault('1h'),
      /** How far ahead of our clock an alarm's time may be before it is taken as stale (sender clock drift). */
      clockSkew: duration.prefault('5m'),
      /** Active signals kept per region; beyond it the oldest lapse (audited). Bounds the state row. */
      maxSignalsPerRegion: z.number().int('must be an integer').min(1, 'must be >= 1').max(500, 'must be <= 500').default(100),
      /**
       * CMS alarms that arrive as EventBridge events: their payload has no public sample, so a
       * signal from one is at most `maxSeverity` (default degraded: never drains a region alone).
       * Set `down` only after checking one real event (infra/README.md).
       */
      cmsEventBridge: z.strictObject({ maxSeverity: z.enum(['degraded', 'down']).default('degraded') }).prefault({}),
    })
    .prefault({}),
  recovery: z
    .strictObject({
      holdFor: duration.prefault('5m'),
      steps: z.array(z.number().int().min(1).max(100)).min(1).default([25, 50, 100]),
      stepHold: duration.prefault('2m'),
      maxHold: duration.prefault('1h'),
    })
    .prefault({}),
  response: z
    .strictObject({
      degradedShare: percent.default(50),
      headroom: z.number().min(1, 'must be >= 1').default(1.2),
      /** Where a drained region's traffic goes: down its failover order, or spread in proportion to the healthy regions' normal shares. */
      redistribute: z.enum(['failoverOrder', 'proportional']).default('failoverOrder'),
      /**
       * The target guard: traffic leaving a sick region moves only to a region whose measured
       * error share is at least `margin` points lower (or that has no active signal at all).
       */
      guard: z.strictObject({ margin: percent.default(5) }).prefault({}),
    })
    .prefault({}),
  safety: z
    .strictObject({
      minServingRegions: z.number().int().min(1, 'must be >= 1').default(1),
      maxDrainedRegions: z.number().int().min(0).default(1),
      maxStepPercent: z.number().int().min(1).max(100).default(50),
      stepInterval: duration.prefault('1m'),
      cooldown: duration.prefault('30s'),
      freezeWindows: z.array(windowSchema).default([]),
    })
    .prefault({}),
  scaling: z
    .strictObject({
      readyTimeout: duration.prefault('5m'),
      scaleDownDelay: duration.prefault('15m'),
      deployments: z.array(deploymentSchema).default([]),
    })
    .prefault({}),
  schedules: z.array(scheduleSchema).default([]),
  overrides: z.strictObject({ defaultTtl: duration.prefault('1h'), maxTtl: duration.prefault('72h') }).prefault({}),
  drills: z
    .strictObject({
      allowedWindows: z.array(windowSchema).default([]),
      maxDuration: positiveDuration.prefault('1h'),
      /** Alarm-name globs that, firing during a drill, abort it (the drill is hurting users). */
      outcomeAlarms: z.array(z.string()).default([]),
    })
    .prefault({}),
  notifications: z.array(notificationSchema).default([{ type: 'log' }]),
  drift: z.enum(['reapply', 'adopt', 'alert']).default('reapply'),
  scopes: scopesSchema.optional(),
  /**
   * Where regionshift itself runs. A control plane (functions, Tablestore, the ASM API) in a region
   * the policy steers fails with that region; doctor's control-plane-placement row fails unless the
   * region is acknowledged here, with a reason.
   */
  placement: z
    .strictObject({
      acknowledgeSharedFate: z.array(regionName).min(1, 'list at least one region'),
      reason: z.string().trim().min(1, 'required: say what is lost when that region fails'),
    })
    .optional(),
});

export type PolicyInput = z.input<typeof policySchema>;
export type ParsedPolicy = z.output<typeof policySchema>;
export type DetectionRule = ParsedPolicy['detection']['rules'][number];
export type DeploymentAvailabilityPolicy = z.output<typeof deploymentAvailabilitySchema>;
export type DeploymentPolicy = ParsedPolicy['scaling']['deployments'][number];
export type WindowPolicy = z.output<typeof windowSchema>;
export type SchedulePolicy = ParsedPolicy['schedules'][number];
export type NotificationTarget = ParsedPolicy['notifications'][number];
export type MeshTarget = ParsedPolicy['mesh'];
export type ScopesPolicy = NonNullable<ParsedPolicy['scopes']>;
