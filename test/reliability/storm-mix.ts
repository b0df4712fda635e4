import { readFileSync } from 'node:fs';

/**
 * Alarm `g` of the storm: every `distinctEvery`-th one is its own alarm (its own instance in the
 * dimensions, so its own signal); the rest repeat one alarm. Even ones are the CMS form, odd ones
 * the same fields as JSON (both are CMS callback shapes).
 */
const template = readFileSync('events/alarms/cms-callback-alert.txt', 'utf8').trim();

export function stormAlarm(g: number, distinctEvery: number): { contentType: string; body: string } {
  const instance = g % distinctEvery === 0 ? `storm-${g}` : 'storm-shared';
  const form = new URLSearchParams(template);
  form.set('dimensions', `{userId=1234567890123456, instanceId=${instance}, port=443}`);
  form.set('instanceName', instance);
  // Stamped when sent, as CMS stamps a callback: an alarm older than detection.maxAge is stale.
  form.set('timestamp', String(Date.now()));
  if (g % 2 === 0) return { contentType: 'application/x-www-form-urlencoded', body: form.toString() };
  return { contentType: 'application/json', body: JSON.stringify(Object.fromEntries(form)) };
}
