import { z } from 'zod';

/**
 * An Alertmanager webhook is told apart from a JSON CMS callback by its `alerts` array; the
 * parser (shared/signals/alertmanager) validates the rest and names any bad field.
 */
const alertmanagerShape = z.object({ alerts: z.array(z.unknown()) }).loose();

export function looksLikeAlertmanager(json: unknown): boolean {
  return alertmanagerShape.safeParse(json).success;
}
