import { readFile } from 'node:fs/promises';
import { PolicyError } from '../shared/core/errors';
import { loadPolicyYaml, substituteEnv, type Policy } from '../shared/core/policy';
import { detectionWarnings } from '../shared/signals/detection';

/** `regionshift validate <policy.yaml>`: every problem with its path, or a one-line summary. */

interface Out {
  log(s: string): void;
  error(s: string): void;
}

const USAGE = 'usage: regionshift validate <policy.yaml>';

export async function runValidate(args: string[], out: Out, env: Record<string, string | undefined>): Promise<number> {
  const [file, ...extra] = args;
  if (file === undefined || extra.length > 0 || file.startsWith('-')) {
    out.error(USAGE);
    return 2;
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    out.error(`cannot read policy ${file}: ${readFailure(err)}`);
    return 1;
  }
  // `${env:NAME}` values (webhook secrets and the like) are the runtime's concern: an unset one is
  // noted, and validation goes on with a placeholder, so a policy can be checked without its secrets.
  const unset = [...new Set(substituteEnv(text, env).missing)];
  const checkEnv: Record<string, string | undefined> = { ...env };
  for (const name of unset) checkEnv[name] = `https://unset.invalid/${name}`;
  let policy: Policy;
  try {
    policy = loadPolicyYaml(text, checkEnv);
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    const n = err.problems.length;
    out.error(`invalid policy ${file}: ${n} ${n === 1 ? 'problem' : 'problems'}`);
    for (const p of err.problems) out.error(`  ${p}`);
    return 1;
  }
  // Warnings do not fail validation: the policy loads and runs, but some alarms would never place.
  for (const w of detectionWarnings(policy)) out.error(`warning: ${w}`);
  for (const name of unset) out.error(`note: environment variable ${name} is not set; the runtime needs it`);
  out.log(`ok: ${summarize(policy)}`);
  return 0;
}

export function summarize(p: Policy): string {
  const mesh =
    p.mesh.backend === 'asm' ? `asm mesh ${p.mesh.meshId}` : `istio mesh, ${count(p.mesh.destinationRules.length, 'DestinationRule')}`;
  return [
    `${p.name} — ${mesh}`,
    `${count(p.regionIds.length, 'region')} (${p.regionIds.join(', ')})`,
    count(p.detection.rules.length, 'rule'),
    count(p.scaling.deployments.length, 'deployment'),
    count(p.schedules.length, 'schedule'),
  ].join(', ');
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function readFailure(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'it is a directory, not a file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return (err as Error).message;
}
