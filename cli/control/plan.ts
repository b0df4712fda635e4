import { commandBody } from '../../shared/core/command-schema';
import { formatIssues } from '../../shared/core/policy';
import { UsageError, has } from '../control-args';
import { drillAbort, drillStart } from './drill';
import { invoke, renderDecision, type ActionSpec, type Runner } from './invoke';
import { overrideClear, overrideSet } from './override';
import { pause, resume } from './pause';

/** `regionshift plan …`: what a command would do, as a dry run (POST /v1/plan); nothing is committed. */

const PLAN_ACTIONS: Record<string, ActionSpec> = { override: overrideSet, drill: drillStart, pause, resume: { ...resume, flags: {} } };
const PLAN_SUBACTIONS: Record<string, ActionSpec> = { 'override clear': overrideClear, 'drill abort': drillAbort };

const PLAN_USAGE = `plan '<command json>'            e.g. '{"kind":"drill","region":"cn-hangzhou","duration":"15m"}'
       regionshift plan --drain <region> [--ttl 30m] [--force] --reason "<why>"   (an override; or --matrix '<json>')
       regionshift plan (override … | override clear <id> | drill … | drill abort <id> | pause … | resume)`;

/** `regionshift plan …`: a dry run (POST /v1/plan) of a command given as JSON or as the command's own arguments. */
export const runPlan: Runner = (args, out, env) => {
  const [first, second] = args;
  let spec: ActionSpec | undefined;
  let rest = args;
  if (first !== undefined && second !== undefined && PLAN_SUBACTIONS[`${first} ${second}`]) {
    spec = PLAN_SUBACTIONS[`${first} ${second}`];
    rest = args.slice(2);
  } else if (first !== undefined && PLAN_ACTIONS[first]) {
    spec = PLAN_ACTIONS[first];
    rest = args.slice(1);
  }
  const chosen = spec;
  return invoke(
    {
      name: 'plan',
      usage: PLAN_USAGE,
      flags: chosen?.flags ?? overrideSet.flags,
      request: (p) => {
        if (chosen) return { method: 'POST', path: '/v1/plan', body: chosen.build(p).command };
        const [json, extra] = p.positional;
        if (json === undefined) return { method: 'POST', path: '/v1/plan', body: overrideSet.build(p).command };
        if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)}`);
        const flags = Object.keys(overrideSet.flags).filter((f) => has(p, f));
        if (flags.length) throw new UsageError(`--${flags[0]}: give the command as JSON or as flags, not both`);
        let command: unknown;
        try {
          command = JSON.parse(json);
        } catch (err) {
          throw new UsageError(`<command json>: not JSON (${(err as Error).message}); e.g. '{"kind":"pause","reason":"maintenance"}'`);
        }
        const r = commandBody.safeParse(command);
        if (!r.success) throw new UsageError(formatIssues(r.error.issues, ['command']).join('\n'));
        return { method: 'POST', path: '/v1/plan', body: command };
      },
      render: renderDecision,
    },
    rest,
    out,
    env,
  );
};
