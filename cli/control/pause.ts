import { pauseBody, resumeBody } from '../../shared/core/command-schema';
import { FIELD_FLAGS, check, noPositional, one, requiredReason } from '../control-args';
import { actionInvocation, invoke, type ActionSpec, type Runner } from './invoke';

/** `regionshift pause --reason …` (POST /v1/pause) and `regionshift resume` (POST /v1/resume). */

export const pause: ActionSpec = {
  usage: 'pause --reason "<why>"',
  flags: { reason: 'value' },
  build(p) {
    noPositional(p);
    const body = { reason: requiredReason(p) };
    check(pauseBody, body, FIELD_FLAGS);
    return { method: 'POST', path: '/v1/pause', body, command: { kind: 'pause', ...body } };
  },
};

export const resume: ActionSpec = {
  usage: 'resume [--reason "<why>"]',
  flags: { reason: 'value' },
  build(p) {
    noPositional(p);
    const reason = one(p, 'reason');
    const body = reason === undefined ? {} : { reason };
    check(resumeBody, body, FIELD_FLAGS);
    return { method: 'POST', path: '/v1/resume', body, command: { kind: 'resume' } };
  },
};

/** `regionshift pause --reason …` */
export const runPause: Runner = (args, out, env) => invoke(actionInvocation('pause', pause), args, out, env);

/** `regionshift resume` */
export const runResume: Runner = (args, out, env) => invoke(actionInvocation('resume', resume), args, out, env);
