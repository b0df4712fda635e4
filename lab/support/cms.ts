import { readFileSync } from 'node:fs';
import { signRequest } from '../../shared/http/auth';
import type { MeshState, Signal } from '../../shared/core/types';
import { CONTROL_SECRET } from './functions-host';

/**
 * CMS alarm callbacks as the suite's checks send them: the sample callback of events/ with its
 * instance, state, level and time set (fields as CloudMonitor documents them; see
 * docs/cloud-contracts.md), and a signed control request as a client would send it.
 */

const cmsTemplate = readFileSync('events/alarms/cms-callback-alert.txt', 'utf8').trim();

export function cmsFields(instance: string, state: 'ALERT' | 'OK', at: number | string, level?: string): Record<string, string> {
  const f = Object.fromEntries(new URLSearchParams(cmsTemplate));
  f.dimensions = `{userId=1234567890123456, instanceId=${instance}, port=443}`;
  f.alertState = state;
  f.triggerLevel = level ?? (state === 'OK' ? 'OK' : 'CRITICAL');
  f.timestamp = String(at);
  return f;
}

export function cmsForm(instance: string, state: 'ALERT' | 'OK', at: number | string, level?: string): string {
  return new URLSearchParams(cmsFields(instance, state, at, level)).toString();
}

/** Whether a signal key names CMS instance `instance` (the key carries the alarm's dimensions, `instanceId=…`). */
export function keyNames(key: string, instance: string): boolean {
  return key.includes(`instanceId=${instance},`) || key.endsWith(`instanceId=${instance}`);
}

/** The active (firing) signals of the state that stand for CMS instance `instance`. */
export function activeFor(state: MeshState | null, instance: string): Signal[] {
  return Object.values(state?.signals ?? {}).filter((s) => s.status === 'firing' && keyNames(s.key, instance));
}

/** A control request signed at `now` (ms): the control API checks signatures against its runtime's clock, the host's. */
export function signedControl(
  hostUrl: string,
  now: number,
  method: string,
  p: string,
  body: unknown,
  requestId?: string,
): { url: string; init: RequestInit } {
  const text = body === undefined ? '' : JSON.stringify(body);
  const signed = signRequest({
    secret: CONTROL_SECRET,
    method,
    path: p,
    body: text,
    timestamp: Math.floor(now / 1000),
    ...(requestId ? { requestId } : {}),
  });
  return {
    url: `${hostUrl}/control${p}`,
    init: { method, headers: { 'content-type': 'application/json', ...signed.headers }, ...(text ? { body: text } : {}) },
  };
}
