/**
 * Istio's validation of `localityLbSetting` (pilot/pkg/model validation, as the admission
 * webhook enforces it), plus ASM's LocalityLBConf shape. Every config the product renders passes
 * through `localityLbProblems`; the lab's twin rejects with the same function, so what we emit
 * and what the twin accepts cannot drift apart.
 */

export interface LocalityLbSettingInput {
  enabled?: boolean | null;
  distribute?: Array<{ from?: unknown; to?: unknown }> | null;
  failover?: Array<{ from?: unknown; to?: unknown }> | null;
  failoverPriority?: unknown[] | null;
}

function localityProblems(path: string, loc: unknown): string[] {
  if (typeof loc !== 'string' || loc.length === 0) return [`${path}: locality must be a non-empty string`];
  const parts = loc.split('/');
  if (parts.length > 3) return [`${path}: locality ${loc} has more than region/zone/subzone`];
  const star = loc.indexOf('*');
  if (star !== -1 && (star !== loc.length - 1 || loc.indexOf('*') !== loc.lastIndexOf('*'))) {
    return [`${path}: locality ${loc}: wildcard '*' may appear only once, at the end`];
  }
  if (parts.some((p, i) => p.length === 0 && !(i === parts.length - 1 && false))) return [`${path}: locality ${loc} has an empty segment`];
  return [];
}

export function localityLbProblems(setting: LocalityLbSettingInput | null | undefined): string[] {
  if (!setting) return [];
  const problems: string[] = [];
  const distribute = setting.distribute ?? [];
  const failover = setting.failover ?? [];
  if (distribute.length > 0 && failover.length > 0) {
    problems.push("localityLbSetting: can not simultaneously specify 'distribute' and 'failover'");
  }
  if (distribute.length > 0 && (setting.failoverPriority?.length ?? 0) > 0) {
    problems.push("localityLbSetting: can not simultaneously specify 'distribute' and 'failoverPriority'");
  }
  distribute.forEach((d, i) => {
    const path = `localityLbSetting.distribute[${i}]`;
    problems.push(...localityProblems(`${path}.from`, d.from));
    if (typeof d.to !== 'object' || d.to === null || Array.isArray(d.to) || Object.keys(d.to).length === 0) {
      problems.push(`${path}.to: must map at least one locality to a weight`);
      return;
    }
    let sum = 0;
    for (const [loc, w] of Object.entries(d.to as Record<string, unknown>)) {
      problems.push(...localityProblems(`${path}.to`, loc));
      if (typeof w !== 'number' || !Number.isInteger(w) || w < 1 || w > 100) {
        problems.push(`${path}.to.${loc}: weight must be an integer in 1..100 (got ${JSON.stringify(w)})`);
      }
      sum += typeof w === 'number' ? w : 0;
    }
    if (sum !== 100) problems.push(`${path}.to: weights must sum to 100 (got ${sum})`);
  });
  failover.forEach((f, i) => {
    const path = `localityLbSetting.failover[${i}]`;
    for (const side of ['from', 'to'] as const) {
      const v = f[side];
      if (typeof v !== 'string' || v.length === 0) problems.push(`${path}.${side}: must be a region name`);
      else if (v.includes('/') || v.includes('*')) problems.push(`${path}.${side}: failover only supports region localities (got ${v})`);
    }
    if (typeof f.from === 'string' && f.from === f.to) problems.push(`${path}: from and to must differ (${f.from})`);
  });
  return problems;
}
