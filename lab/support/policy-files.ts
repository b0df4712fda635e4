import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

/**
 * `examples/bookinfo.yaml` without its `schedules`, written into `dir`. Its evening-shift schedule
 * (22:00–24:00 Asia/Shanghai, 14:00–16:00 UTC) would put the lab in a 90/10 matrix for two hours
 * a day, and a test or a benchmark that expects 100% local traffic would fail then: they run this
 * policy so they hold at any hour. The schedule itself is covered with a pinned clock (the core's
 * layer tests, the scheduled-90-10 scenario, the banner test).
 */
export function scheduleFreePolicyFile(dir: string): string {
  const policy = parseYaml(readFileSync('examples/bookinfo.yaml', 'utf8')) as Record<string, unknown>;
  delete policy.schedules;
  const policyFile = path.join(dir, 'bookinfo-no-schedules.yaml');
  writeFileSync(policyFile, stringifyYaml(policy));
  return policyFile;
}
