/**
 * CloudMonitor's alerting resources of one rule, read back (the scheduler's reconciliation):
 * the entries as CloudMonitor returns them, parsed by `shared/signals/cms-alerting.ts`.
 */
export interface AlertingReply {
  entries: unknown[];
  /** Set when the rule alerts on more resources than were read. */
  truncated?: string;
}

export type CmsAlertingReader = (ruleId: string, opts: { timeoutMs: number }) => Promise<AlertingReply>;
