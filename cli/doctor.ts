import { readFile } from 'node:fs/promises';
import { PolicyError, RegionshiftError } from '../shared/core/errors';
import { loadPolicyYaml, type Policy } from '../shared/core/policy';
import { systemClock } from '../shared/ports/clock';
import type { ReadinessReport } from '../shared/readiness/checks';
import { readinessProbesFromEnv, unsetToolVariables } from '../shared/runtime/readiness-from-env';
import { runReadiness } from '../shared/readiness/run';
import { type ReadinessProbes } from '../shared/ports/readiness-probes';

/**
 * `regionshift doctor --policy <file> [--json]`: the readiness checks, run from here against the
 * cloud (or the lab) the environment points at, with the same adapters the functions use. Every
 * call is a read. Exit 0 when nothing fails (warnings included), 1 on a fail, 2 on usage.
 */

interface Out {
  log(s: string): void;
  error(s: string): void;
}

const USAGE = 'usage: regionshift doctor --policy <policy.yaml> [--json]';

export interface DoctorDeps {
  /** Tests hand in probes; by default they are built from the environment. */
  probes?: (policy: Policy, env: Record<string, string | undefined>) => Promise<{ probes: ReadinessProbes; close(): Promise<void> }>;
}

function parseArgs(args: string[]): { policy: string; json: boolean } | null {
  let policy: string | undefined;
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--json') json = true;
    else if (a === '--policy' && args[i + 1] !== undefined && !args[i + 1]!.startsWith('--')) policy = args[++i];
    else if (a?.startsWith('--policy=')) policy = a.slice('--policy='.length);
    else return null;
  }
  return policy ? { policy, json } : null;
}

const MARK: Record<string, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL' };

export function renderReport(r: ReadinessReport): string[] {
  const lines = [`readiness of ${r.mesh}: ${r.status.toUpperCase()}`];
  for (const c of r.checks) {
    lines.push(`${MARK[c.status]}  ${c.id}: ${c.message}`);
    lines.push(`      looked at: ${c.lookedAt}`);
    if (c.fix) lines.push(`      fix: ${c.fix}`);
  }
  const n = (s: string) => r.checks.filter((c) => c.status === s).length;
  lines.push(`${n('pass')} pass, ${n('warn')} warn, ${n('fail')} fail`);
  return lines;
}

export function makeRunDoctor(deps: DoctorDeps = {}) {
  return async function runDoctor(args: string[], out: Out, env: Record<string, string | undefined>): Promise<number> {
    if (args.includes('--help') || args.includes('-h')) {
      out.log(USAGE);
      return 0;
    }
    const parsed = parseArgs(args);
    if (!parsed) {
      out.error(USAGE);
      return 2;
    }
    let policy: Policy;
    try {
      policy = loadPolicyYaml(await readFile(parsed.policy, 'utf8'), env);
    } catch (err) {
      if (err instanceof PolicyError) {
        out.error(`invalid policy ${parsed.policy}:`);
        for (const p of err.problems) out.error(`  ${p}`);
        return 1;
      }
      out.error(`cannot read policy ${parsed.policy}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      return 1;
    }
    if (!deps.probes) {
      const unset = unsetToolVariables(env);
      // On stderr, before the report: a row that fails for a missing variable points here.
      if (unset.length)
        out.error(
          `regionshift doctor: not set: ${unset.join('; ')}. Against a lab, run the doctor command its banner prints; the variables: docs/cli.md (doctor).`,
        );
    }
    let built: { probes: ReadinessProbes; close(): Promise<void> };
    try {
      built = await (deps.probes ?? ((p, e) => readinessProbesFromEnv(p, e, systemClock)))(policy, env);
    } catch (err) {
      if (err instanceof PolicyError) {
        for (const p of err.problems) out.error(p);
        return 2;
      }
      if (err instanceof RegionshiftError) {
        out.error(`${err.code}: ${err.message}`);
        return 1;
      }
      throw err;
    }
    try {
      const report = await runReadiness(policy, built.probes, systemClock.now());
      if (parsed.json) out.log(JSON.stringify(report, null, 2));
      else for (const line of renderReport(report)) out.log(line);
      return report.status === 'fail' ? 1 : 0;
    } finally {
      await built.close();
    }
  };
}

export const runDoctor = makeRunDoctor();
