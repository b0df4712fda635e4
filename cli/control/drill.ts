import { drillBody } from '../../shared/core/command-schema';
import { FIELD_FLAGS, UsageError, check, durationValue, idArg, noPositional, one } from '../control-args';
import { actionInvocation, invoke, type ActionSpec, type Runner } from './invoke';

/** `regionshift drill …` (POST /v1/drills) and `drill abort <id>` (DELETE /v1/drills/<id>). */

export const drillStart: ActionSpec = {
  usage: 'drill --region <region> [--service <scoped service>] [--severity down|degraded] --duration 15m [--reason "<why>"]',
  flags: { region: 'value', service: 'value', severity: 'value', duration: 'value', reason: 'value' },
  build(p) {
    noPositional(p);
    const region = one(p, 'region');
    const service = one(p, 'service');
    const severity = one(p, 'severity');
    const duration = durationValue(one(p, 'duration'));
    const reason = one(p, 'reason');
    if (region === undefined) throw new UsageError('--region: required (the region the drill pretends is failing)');
    if (duration === undefined) throw new UsageError('--duration: required (how long the drill lasts, e.g. 15m)');
    const body: Record<string, unknown> = {
      region,
      duration,
      ...(service !== undefined && { service }),
      ...(severity !== undefined && { severity }),
      ...(reason !== undefined && { reason }),
    };
    check(drillBody, body, FIELD_FLAGS);
    return { method: 'POST', path: '/v1/drills', body, command: { kind: 'drill', ...body } };
  },
};

export const drillAbort: ActionSpec = {
  usage: 'drill abort <drill id>',
  flags: {},
  build(p) {
    const id = idArg(p, 'drill to abort', 'drill-7');
    return { method: 'DELETE', path: `/v1/drills/${id}`, command: { kind: 'abortDrill', id } };
  },
};

/** `regionshift drill …` and `regionshift drill abort <id>` */
export const runDrill: Runner = (args, out, env) =>
  args[0] === 'abort'
    ? invoke(actionInvocation('drill abort', drillAbort), args.slice(1), out, env)
    : invoke(actionInvocation('drill', drillStart), args, out, env);
