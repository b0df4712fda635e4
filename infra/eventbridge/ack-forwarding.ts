/**
 * Cluster events from every region: the EventBridge rules that bring each cluster region's ACK
 * events to the `cluster-events` function.
 *
 * kube-eventer publishes a cluster's Kubernetes Events to the default event bus of the cluster's
 * own region, and the function's EventBridge trigger (s.yaml) is a rule on the default bus of the
 * function's region only. So every other region of the policy needs a rule of its own on its
 * default bus, with the same event pattern, whose target is the function's HTTP trigger (an
 * `https` event target, "Route events to HTTPS endpoints"; EventBridge targets of other kinds must
 * be in the rule's region). The target URL carries the intake token, as the CMS callback URLs do.
 *
 * Pure: the policy's regions, the functions' region and the pattern in; the rules out. The script
 * (`ack-forwarding-rules.ts`) writes them as ROS templates, one per region; the lab's host applies
 * the same rules to the events its ACK twin publishes per region.
 */

/** The default bus: where Alibaba Cloud services, kube-eventer's EventBridge sink included, publish. */
export const DEFAULT_EVENT_BUS = 'default';

/** The path of the function's HTTP entry for forwarded ACK events (the rest of the URL is the trigger's). */
export const ACK_HTTP_PATH = '/ack';

export interface AckForwardingRule {
  /** The cluster region whose default bus holds the rule. */
  region: string;
  eventBusName: typeof DEFAULT_EVENT_BUS;
  ruleName: string;
  /** The same pattern as the s.yaml trigger's `eventRuleFilterPattern` (infra/eventbridge/ack-events-rule.json). */
  filterPattern: Record<string, unknown>;
  target: {
    id: string;
    /** `https` for an https:// URL, `http` for http:// (the lab's loopback host). */
    type: 'https' | 'http';
    /** The function's HTTP trigger URL plus ACK_HTTP_PATH and `?token=`. */
    url: string;
    /** BACKOFF_RETRY: 3 retries 10-20 s apart; a node event a day late (EXPONENTIAL_DECAY_RETRY) is of no use. */
    pushRetryStrategy: 'BACKOFF_RETRY';
    network: 'PublicNetwork';
  };
}

export interface AckForwardingPlan {
  /** Regions whose events the function's own EventBridge trigger already receives (its region). */
  byTrigger: string[];
  /** One rule per other region of the policy. */
  rules: AckForwardingRule[];
}

/** `regionshift-ack-events-to-<functions' region>`: rule names allow letters, digits, `-` and `_`. */
export function ackForwardingRuleName(functionsRegion: string): string {
  return `regionshift-ack-events-to-${functionsRegion}`;
}

/**
 * The forwarding rules for a policy's regions. `entryUrl` is the function's HTTP entry with the
 * token (`https://<cluster-events trigger>/ack?token=<REGIONSHIFT_ALARM_TOKEN>`); the ROS
 * templates take it as a parameter instead, so no secret is written into a file.
 */
export function ackForwardingPlan(input: {
  regions: readonly string[];
  functionsRegion: string;
  filterPattern: Record<string, unknown>;
  entryUrl: string;
}): AckForwardingPlan {
  const regions = [...new Set(input.regions)];
  const url = new URL(input.entryUrl);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`entry URL: must be http(s), got ${url.protocol}`);
  return {
    byTrigger: regions.filter((r) => r === input.functionsRegion),
    rules: regions
      .filter((r) => r !== input.functionsRegion)
      .map((region) => ({
        region,
        eventBusName: DEFAULT_EVENT_BUS,
        ruleName: ackForwardingRuleName(input.functionsRegion),
        filterPattern: input.filterPattern,
        target: {
          id: 'regionshift-cluster-events',
          type: url.protocol === 'https:' ? 'https' : 'http',
          url: input.entryUrl,
          pushRetryStrategy: 'BACKOFF_RETRY',
          network: 'PublicNetwork',
        },
      })),
  };
}

/** The ROS parameter that carries the entry URL (with its token) into a region's stack. */
export const ENTRY_URL_PARAMETER = 'ClusterEventsEntryUrl';

/**
 * One region's rule as a ROS template (`ALIYUN::EventBridge::Rule`: EventBusName, RuleName,
 * FilterPattern, Targets[Id, Type, Endpoint, PushRetryStrategy, ParamList[ResourceKey, Form,
 * Value]]). The HTTPS target's parameters are `url` (CONSTANT), `Body` (ORIGINAL: the whole
 * CloudEvent) and `Network` (CONSTANT PublicNetwork), as EventBridge's "Event target parameters"
 * list them. The URL is the NoEcho parameter ENTRY_URL_PARAMETER: deploy it with
 * `aliyun ros CreateStack --RegionId <region> … --Parameters.1.ParameterKey ClusterEventsEntryUrl`.
 */
export function ackForwardingRosTemplate(rule: AckForwardingRule): Record<string, unknown> {
  const url = { Ref: ENTRY_URL_PARAMETER };
  return {
    ROSTemplateFormatVersion: '2015-09-01',
    Description: `regionshift: ACK cluster events on ${rule.region}'s default event bus to the cluster-events function's HTTPS entry`,
    Parameters: {
      [ENTRY_URL_PARAMETER]: {
        Type: 'String',
        NoEcho: true,
        Description: `The cluster-events function's HTTP trigger URL + ${ACK_HTTP_PATH}?token=<REGIONSHIFT_ALARM_TOKEN>`,
        AllowedPattern: '^https://.+',
      },
    },
    Resources: {
      AckEventsRule: {
        Type: 'ALIYUN::EventBridge::Rule',
        Properties: {
          EventBusName: rule.eventBusName,
          RuleName: rule.ruleName,
          Description: 'ACK Kubernetes events (kube-eventer) to regionshift cluster-events',
          Status: 'ENABLE',
          FilterPattern: rule.filterPattern,
          Targets: [
            {
              Id: rule.target.id,
              Type: 'https',
              Endpoint: url,
              PushRetryStrategy: rule.target.pushRetryStrategy,
              ParamList: [
                { ResourceKey: 'url', Form: 'CONSTANT', Value: url },
                { ResourceKey: 'Body', Form: 'ORIGINAL' },
                { ResourceKey: 'Network', Form: 'CONSTANT', Value: rule.target.network },
              ],
            },
          ],
        },
      },
    },
  };
}
