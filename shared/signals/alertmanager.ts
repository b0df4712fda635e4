import { z } from 'zod';
import { ValidationError } from '../core/errors';
import { canonicalPairs, decodeJsonPayload, fieldError, validationErrorFrom, type RawAlarm } from './raw-alarm';

/**
 * Alertmanager webhook (payload version 4), as Prometheus Alertmanager and ARMS Prometheus
 * send it. Each alert of the group becomes one alarm; the group's own status is ignored
 * because a group can mix firing and resolved alerts.
 */

/** Alertmanager writes this for "no end time" on firing alerts. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

const labelMap = z.record(z.string(), z.string('must be a string'), fieldError('must be an object of strings'));

const time = z.string(fieldError('must be an RFC 3339 time')).transform((v, ctx) => {
  if (v === ZERO_TIME || v === '') return undefined;
  const ms = Date.parse(v);
  if (!Number.isFinite(ms)) {
    ctx.addIssue({ code: 'custom', message: `must be an RFC 3339 time (got ${JSON.stringify(v)})` });
    return z.NEVER;
  }
  return ms;
});

const alertSchema = z.object(
  {
    status: z.enum(['firing', 'resolved'], fieldError('must be firing or resolved')),
    labels: labelMap.refine((l) => (l.alertname ?? '') !== '', { message: 'required', path: ['alertname'] }),
    annotations: labelMap.optional(),
    startsAt: time,
    endsAt: time.optional(),
    fingerprint: z.string('must be a string').optional(),
  },
  fieldError('must be an alert object'),
);

const webhookSchema = z.object(
  {
    version: z.literal('4', fieldError('must be "4" (Alertmanager webhook payload version 4)')),
    alerts: z.array(alertSchema, fieldError('must be an array of alerts')).min(1, 'must list at least one alert'),
  },
  fieldError('must be an Alertmanager webhook object'),
);

/** Labels that may name the cluster an alert is about (ARMS and kube-prometheus setups differ). */
const CLUSTER_LABELS = ['cluster_id', 'clusterId'] as const;

export function parseAlertmanager(body: unknown): RawAlarm[] {
  const decoded = decodeJsonPayload(body);
  const parsed = webhookSchema.safeParse(decoded);
  if (!parsed.success) throw validationErrorFrom(parsed.error);
  return parsed.data.alerts.map((a, i) => {
    const labels = a.labels;
    const name = labels.alertname as string;
    const at = a.status === 'resolved' ? (a.endsAt ?? a.startsAt) : a.startsAt;
    if (at === undefined) throw new ValidationError([`alerts[${i}].startsAt: required`]);
    const level = labels.severity;
    const regionId = labels.region;
    const clusterId = CLUSTER_LABELS.map((k) => labels[k]).find((v) => v !== undefined && v !== '');
    const message = a.annotations?.summary ?? a.annotations?.description;
    return {
      source: 'alertmanager',
      name,
      state: a.status,
      ...(level && { level }),
      dimensions: {},
      labels,
      ...(regionId && { regionId }),
      ...(clusterId && { clusterId }),
      // Alertmanager's fingerprint is a hash of the label set: the same for an alert's firing and resolve.
      instance: a.fingerprint || canonicalPairs(labels),
      at,
      ...(message !== undefined && { message }),
      ...(a.annotations && { annotations: a.annotations }),
    } satisfies RawAlarm;
  });
}
