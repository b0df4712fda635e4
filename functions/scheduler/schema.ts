import { z } from 'zod';
import { ValidationError } from '../../shared/core/errors';
import { parseWith } from '../../shared/http/envelope-decode';

/** The timer trigger's payload (s.yaml `payload: '{"task":"tick"}'`); a firing without one is a tick too. */
const timerTask = z.strictObject({ task: z.literal('tick', 'must be "tick"') });

export function taskOf(payload: string | undefined): 'tick' {
  if (payload === undefined || payload.trim() === '') return 'tick';
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch (err) {
    throw new ValidationError([`payload: not valid JSON (${(err as Error).message})`]);
  }
  return parseWith(timerTask, json, ['payload']).task;
}
