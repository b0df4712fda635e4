import type { Runtime } from '../../shared/runtime/types';
import { alertingRawAlarms } from '../../shared/signals/cms-alerting';
import { toSignals } from '../../shared/signals/detection';
import type { Signal } from '../../shared/core/types';

/**
 * Converge after an outage: CloudMonitor's alerting state, read back on the tick.
 *
 * CMS gives a callback 5 s and retries it 3 times; an ALERT sent while regionshift was down (or
 * lost for any other reason) is not sent again before the rule's SilenceTime (at least 3,600 s).
 * So, at most every `detection.cmsReconcile.every`, the tick reads each listed rule's alerting
 * resources (DescribeAlertingMetricRuleResources) and hands them to the engine as the signals
 * their callbacks would have given: same key, same severity mapping, same region (the policy's
 * mapping of the rule, as its callback URL's `?region=`).
 *
 * It only raises or re-confirms: a resource no longer alerting resolves nothing (an OK callback or
 * the TTL does), a remembered resolve (tombstone) still refuses a firing stamped before it, and a
 * repeat of an active signal changes nothing (the engine commits no no-op). A failed or timed-out
 * read changes nothing either: it is logged, notified once until a read succeeds again, and never
 * fails the tick. Concurrent ticks may both read and ingest; the engine's compare-and-set commit
 * makes the second a duplicate.
 */

export interface ReconcileResult {
  rules: number;
  alerting: number;
  signals: number;
  committed: boolean;
  failed?: string[];
  problems?: string[];
}

/** Per container: when each mesh's reconciliation last ran, and whether its last read failed (notified once). */
const lastRun = new Map<string, number>();
const failing = new Set<string>();

/** Forget the container's memory (tests that build several runtimes in one process). */
export function resetReconcileMemory(): void {
  lastRun.clear();
  failing.clear();
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

/**
 * The reconciliation, when due at `now` (the tick's decision time): null when the policy lists no
 * rules, no reader is wired, or it ran less than `every` ago in this container.
 */
export async function reconcileCmsAlerts(runtime: Runtime, now: number): Promise<ReconcileResult | null> {
  const spec = runtime.policy.detection.cmsReconcile;
  const read = runtime.cmsAlerting;
  if (!spec || !read) return null;
  const mesh = runtime.policy.name;
  const last = lastRun.get(mesh);
  if (last !== undefined && now - last < spec.every && now >= last) return null;
  lastRun.set(mesh, now); // claimed before the reads: a concurrent tick of this container skips

  const reads = await Promise.allSettled(
    spec.rules.map((r) => withTimeout(read(r.ruleId, { timeoutMs: spec.timeout }), spec.timeout + 500, `reading rule ${r.ruleId}`)),
  );
  const failed: string[] = [];
  const problems: string[] = [];
  const signals: Signal[] = [];
  let alerting = 0;
  reads.forEach((outcome, i) => {
    const rule = spec.rules[i]!;
    if (outcome.status === 'rejected') {
      failed.push(`${rule.ruleId}: ${outcome.reason instanceof Error ? outcome.reason.message : String(outcome.reason)}`);
      return;
    }
    if (outcome.value.truncated) problems.push(outcome.value.truncated);
    const { raws, problems: p } = alertingRawAlarms(outcome.value.entries, {
      ruleId: rule.ruleId,
      region: rule.region,
      now,
      maxAge: runtime.policy.detection.maxAge,
    });
    problems.push(...p);
    alerting += raws.length;
    for (const raw of raws) {
      const result = toSignals(raw, runtime.policy);
      if (result.signals.length === 0 && result.note) problems.push(result.note);
      signals.push(...result.signals.filter((s) => s.status === 'firing'));
    }
  });

  await reportFailures(runtime, mesh, failed, now);
  if (problems.length > 0)
    runtime.log({
      level: 'warning',
      function: 'scheduler',
      message: 'cms reconcile: alerting resources not turned into signals',
      problems: problems.slice(0, 20),
    });

  let committed = false;
  if (signals.length > 0) {
    try {
      const [outcome] = await runtime.engine.ingest(signals, 'cms-reconcile', { answerFirst: true });
      committed = outcome?.committed ?? false;
    } catch (err) {
      // The tick's own work is done; the next reconciliation tries again.
      runtime.log({
        level: 'warning',
        function: 'scheduler',
        message: `cms reconcile: ingest failed: ${err instanceof Error ? err.message : String(err)}`,
      });
    }
  }
  return {
    rules: spec.rules.length,
    alerting,
    signals: signals.length,
    committed,
    ...(failed.length ? { failed } : {}),
    ...(problems.length ? { problems: problems.slice(0, 10) } : {}),
  };
}

/** A failed read is logged every time and notified once, until a read of that mesh succeeds again. */
async function reportFailures(runtime: Runtime, mesh: string, failed: string[], now: number): Promise<void> {
  if (failed.length === 0) {
    failing.delete(mesh);
    return;
  }
  runtime.log({
    level: 'warning',
    function: 'scheduler',
    message: 'cms reconcile: reading CloudMonitor alerting state failed (nothing changed)',
    failed,
  });
  if (failing.has(mesh)) return;
  failing.add(mesh);
  await runtime.notifier
    .notify({
      level: 'warning',
      title: 'cms reconcile: CloudMonitor alerting state unreadable',
      text: `${failed.join('\n')}\nAlarms lost in delivery are not read back until this succeeds; callbacks still act.`,
      mesh,
      at: now,
    })
    .catch(() => undefined);
}
