import { UpstreamError } from '../core/errors';
import { alertingReplySchema } from '../signals/cms-alerting';
import { popFailure, type PopRpcClient } from './cloud-credentials';
import type { CmsAlertingReader } from '../ports/cms-alerting';

/**
 * CloudMonitor's alerting resources of one rule: DescribeAlertingMetricRuleResources (cms
 * 2019-01-01, RPC; request parameters `RuleId`, `Page`, `PageSize` as the API reference and the
 * SDK's `DescribeAlertingMetricRuleResourcesRequest` document; the reply's `Resources.Resource[]`
 * and `Total`). Read-only. Pages of PAGE_SIZE until `Total` entries are read, at most MAX_PAGES
 * (a rule alerting on more resources than that is read in part, and says so).
 */

export const ALERTING_ACTION = 'DescribeAlertingMetricRuleResources';
const PAGE_SIZE = 50;
const MAX_PAGES = 10;

export function cmsAlertingReader(client: PopRpcClient): CmsAlertingReader {
  return async (ruleId, { timeoutMs }) => {
    const entries: unknown[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      let reply: unknown;
      try {
        reply = await client.request(
          ALERTING_ACTION,
          { RuleId: ruleId, Page: page, PageSize: PAGE_SIZE },
          { method: 'POST', timeout: timeoutMs },
        );
      } catch (err) {
        const f = popFailure(err);
        throw new UpstreamError(`CMS.${f.vendorCode}`, `${ALERTING_ACTION} ${ruleId} failed: ${f.vendorCode}: ${f.message}`, {
          retryable: f.retryable,
          cause: err,
        });
      }
      const parsed = alertingReplySchema.safeParse(reply);
      if (!parsed.success)
        throw new UpstreamError('CMS.BAD_RESPONSE', `${ALERTING_ACTION} ${ruleId}: the reply is not the documented shape`, {
          retryable: true,
        });
      const body = parsed.data;
      if (body.Success === false || body.Success === 'false') {
        throw new UpstreamError(`CMS.${body.Code ?? 'UNKNOWN'}`, `${ALERTING_ACTION} ${ruleId}: ${body.Message ?? 'Success: false'}`, {
          retryable: true,
        });
      }
      const got = body.Resources?.Resource ?? [];
      entries.push(...got);
      const total = body.Total === undefined ? undefined : Number(body.Total);
      if (got.length < PAGE_SIZE || (total !== undefined && Number.isFinite(total) && entries.length >= total)) return { entries };
    }
    return {
      entries,
      truncated: `rule ${ruleId} alerts on more than ${MAX_PAGES * PAGE_SIZE} resources; the first ${entries.length} were read`,
    };
  };
}
