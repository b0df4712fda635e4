import { overrideBody } from '../../shared/core/command-schema';
import { FIELD_FLAGS, UsageError, check, durationValue, idArg, noPositional, one, requiredReason } from '../control-args';
import { actionInvocation, invoke, type ActionSpec, type Runner } from './invoke';

/** `regionshift override …` (POST /v1/overrides) and `override clear <id>` (DELETE /v1/overrides/<id>). */

export const overrideSet: ActionSpec = {
  usage: `override (--drain <region> [--drain <region> …] | --matrix '<json>') [--service <scoped service>] [--ttl 30m] [--force] --reason "<why>"`,
  flags: { drain: 'multi', matrix: 'value', service: 'value', ttl: 'value', force: 'bool', reason: 'value' },
  build(p) {
    noPositional(p);
    const drain = (p.values.get('drain') ?? [])
      .flatMap((d) => d.split(','))
      .map((d) => d.trim())
      .filter((d) => d !== '');
    const matrixText = one(p, 'matrix');
    if (p.values.has('drain') && matrixText !== undefined) throw new UsageError('--drain, --matrix: give one of them, not both');
    if (!p.values.has('drain') && matrixText === undefined)
      throw new UsageError('--drain or --matrix: give the regions to drain or a whole matrix');
    if (p.values.has('drain') && drain.length === 0) throw new UsageError('--drain: name at least one region');
    let matrix: unknown;
    if (matrixText !== undefined) {
      try {
        matrix = JSON.parse(matrixText);
      } catch (err) {
        throw new UsageError(
          `--matrix: not JSON (${(err as Error).message}); e.g. '{"cn-hangzhou":{"cn-shanghai":100},"cn-shanghai":{"cn-shanghai":100}}'`,
        );
      }
    }
    const ttl = durationValue(one(p, 'ttl'));
    const reason = requiredReason(p);
    const service = one(p, 'service');
    const body: Record<string, unknown> = {
      ...(matrix !== undefined ? { matrix } : { drain }),
      ...(service !== undefined && { service }),
      ...(ttl !== undefined && { ttl }),
      ...(p.bools.has('force') && { force: true }),
      reason,
    };
    check(overrideBody, body, FIELD_FLAGS);
    return { method: 'POST', path: '/v1/overrides', body, command: { kind: 'override', ...body } };
  },
};

export const overrideClear: ActionSpec = {
  usage: 'override clear <override id>',
  flags: {},
  build(p) {
    const id = idArg(p, 'override to clear', 'ovr-12');
    return { method: 'DELETE', path: `/v1/overrides/${id}`, command: { kind: 'clearOverride', id } };
  },
};

/** `regionshift override …` and `regionshift override clear <id>` */
export const runOverride: Runner = (args, out, env) =>
  args[0] === 'clear'
    ? invoke(actionInvocation('override clear', overrideClear), args.slice(1), out, env)
    : invoke(actionInvocation('override', overrideSet), args, out, env);
