import { matchesEventPattern, parseEventPattern, type EventPattern } from './event-pattern';

/**
 * The default event bus of each region, as the lab's cloud services publish to it: EventBridge
 * buses are regional, and a rule sees only the events of its own bus. Two kinds of rules live on
 * a region's bus here:
 *
 *  - the functions' EventBridge triggers: FC creates a trigger's rule on the default bus of the
 *    function's region, so a trigger sees only events published in that region;
 *  - rules with an HTTP(S) target (the cross-region rules of infra/eventbridge/ack-forwarding.ts),
 *    which push each matching event, whole (`Body` ORIGINAL), to their URL.
 *
 * An event no rule of its bus matches reaches nothing: a cluster in a region without a rule is
 * not heard, as in the cloud. Delivery here is synchronous (the publish answers once every push
 * was made), where EventBridge answers PutEvents first and pushes after: the lab's callers wait
 * for the function's answer, which keeps runs deterministic. No push is retried.
 */

export interface HttpTargetRule {
  region: string;
  name: string;
  /** The rule's pattern, as JSON text (the form of an `eventRuleFilterPattern`). */
  pattern: string;
  url: string;
  /** Headers the target adds (an EventBridge target's Token travels as x-eventbridge-signature-token). */
  headers?: Record<string, string>;
}

interface CompiledHttpRule extends HttpTargetRule {
  compiled: EventPattern;
}

export interface BusTrigger {
  /** The function's s.yaml key, which also names the delivery in the report. */
  key: string;
  region: string;
  patterns: EventPattern[];
}

export interface BusDelivery {
  rule: string;
  target: string;
  events: string[];
  /** The target's HTTP status, or the error that stopped the push. */
  status: number | string;
}

export interface BusPublishResult {
  region: string;
  events: number;
  deliveries: BusDelivery[];
  /** Ids of the events no rule of the region's bus matched. */
  unmatched: string[];
}

export function compileHttpRules(rules: readonly HttpTargetRule[]): CompiledHttpRule[] {
  return rules.map((r) => ({ ...r, compiled: parseEventPattern(r.pattern) }));
}

const idOf = (event: unknown, i: number): string => {
  const id = (event as { id?: unknown }).id;
  return typeof id === 'string' ? id : `#${i}`;
};

/**
 * Publishes events on a region's bus. `invokeTrigger` hands a function its matching events in
 * the delivery's shape (one event, or an array when several match) and resolves with a status;
 * HTTP rules are pushed with `fetch`, one event per request.
 */
export async function publishOnBus(input: {
  region: string;
  events: unknown[];
  triggers: readonly BusTrigger[];
  httpRules: readonly CompiledHttpRule[];
  invokeTrigger: (key: string, body: Buffer) => Promise<number | string>;
  push?: (url: string, body: string, headers: Record<string, string>) => Promise<number>;
}): Promise<BusPublishResult> {
  const push =
    input.push ??
    (async (url, body, headers) => {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      await res.arrayBuffer();
      return res.status;
    });
  const matchedAny = new Set<number>();
  const deliveries: BusDelivery[] = [];
  for (const trigger of input.triggers) {
    if (trigger.region !== input.region) continue;
    const idx = input.events.flatMap((e, i) => (trigger.patterns.some((p) => matchesEventPattern(p, e)) ? [i] : []));
    if (idx.length === 0) continue;
    idx.forEach((i) => matchedAny.add(i));
    const matched = idx.map((i) => input.events[i]);
    const body = Buffer.from(JSON.stringify(matched.length === 1 ? matched[0] : matched));
    let status: number | string;
    try {
      status = await input.invokeTrigger(trigger.key, body);
    } catch (err) {
      status = err instanceof Error ? err.message : String(err);
    }
    deliveries.push({
      rule: `${trigger.key} trigger`,
      target: `function ${trigger.key}`,
      events: idx.map((i) => idOf(input.events[i], i)),
      status,
    });
  }
  for (const rule of input.httpRules) {
    if (rule.region !== input.region) continue;
    for (const [i, event] of input.events.entries()) {
      if (!matchesEventPattern(rule.compiled, event)) continue;
      matchedAny.add(i);
      let status: number | string;
      try {
        status = await push(rule.url, JSON.stringify(event), rule.headers ?? {});
      } catch (err) {
        status = err instanceof Error ? err.message : String(err);
      }
      deliveries.push({ rule: rule.name, target: new URL(rule.url).pathname, events: [idOf(event, i)], status });
    }
  }
  return {
    region: input.region,
    events: input.events.length,
    deliveries,
    unmatched: input.events.flatMap((e, i) => (matchedAny.has(i) ? [] : [idOf(e, i)])),
  };
}
