import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { scheduleFreePolicyFile } from '../../lab/support/policy-files';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { signRequest } from '../../shared/http/auth';
import type { Lab } from '../../lab/world';

export { scheduleFreePolicyFile } from '../../lab/support/policy-files';

/**
 * The default Bookinfo lab with test-sized periods: pods ready 1 s after a scale-up, alarm rules
 * evaluated every 2 s, and the example policy without its schedules. Written to temp files so
 * the default topology and policy stay the single source. Without the telemetry path
 * (`telemetry: false`): with alarms this fast, these labs measure the alarm path, and the
 * telemetry function's signals would race it (test/e2e/lab-telemetry.test.ts measures that path,
 * with the alarms at their documented minute).
 */
export function fastLabFiles(): { topologyFile: string; stateFile: string; policyFile: string; telemetry: false } {
  const dir = mkdtempSync(path.join(tmpdir(), 'regionshift-lab-'));
  const topo = parseYaml(readFileSync('lab/topology/bookinfo.yaml', 'utf8')) as {
    deployments: Array<Record<string, unknown>>;
    alarms: Array<Record<string, unknown>>;
  };
  for (const d of topo.deployments) d.startupDelay = '1s';
  for (const a of topo.alarms) {
    a.period = '2s';
    if (a.periods !== undefined) a.periods = 2;
  }
  const topologyFile = path.join(dir, 'bookinfo-fast.yaml');
  writeFileSync(topologyFile, stringifyYaml(topo));
  return { topologyFile, stateFile: path.join(dir, 'state.db'), policyFile: scheduleFreePolicyFile(dir), telemetry: false };
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  timeoutMs = 30_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Reads until `ok` holds or the time is up, and returns the last reading: the caller asserts on it, so a failure shows the value. */
export async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let v = await read();
  while (!ok(v) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    v = await read();
  }
  return v;
}

export async function controlCall(
  lab: Lab,
  method: string,
  p: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const text = body === undefined ? '' : JSON.stringify(body);
  const signed = signRequest({ secret: lab.secrets.controlSecret, method, path: p, body: text });
  const res = await fetch(`${lab.hostUrl}/control${p}`, {
    method,
    headers: { 'content-type': 'application/json', 'x-regionshift-actor': 'e2e', ...signed.headers },
    ...(text ? { body: text } : {}),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

export interface Served {
  ok: number;
  failed: number;
  byService: Record<string, Record<string, number>>;
  served: Record<string, number>;
}

export async function sendRequests(lab: Lab, gateway: string, count: number): Promise<Served> {
  const res = await fetch(`${lab.labUrl}/lab/v1/requests`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ gateway, count }),
  });
  if (res.status !== 200) throw new Error(`lab requests answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as Served;
}

/** Percent of a service's calls that were served in a region. */
export function share(s: Served, service: string, region: string): number {
  const row = s.byService[service] ?? {};
  const total = Object.values(row).reduce((a, b) => a + b, 0);
  return total ? (100 * (row[region] ?? 0)) / total : 0;
}
