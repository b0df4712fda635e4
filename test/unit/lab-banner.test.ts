import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decide } from '../../shared/core/decide';
import { loadPolicyYaml, type Policy } from '../../shared/core/policy';
import { labBanner, loopFault, scheduleLines, worldLoop } from '../../lab/banner';
import { faultSpecSchema, faultTargetProblems } from '../../lab/dataplane/faults';
import { labArgs, loadLabWorld } from '../../lab/lab-args';
import { loadSYaml } from '../../lab/host/s-yaml';
import { labPolicyYaml } from '../../lab/world';
import { scheduleFreePolicyFile } from '../e2e/lab-fixture';

/**
 * The lab's banner and the policy the lab tests run, with the clock pinned on both sides of
 * bookinfo.yaml's evening-shift window (22:00–24:00 Asia/Shanghai = 14:00–16:00 UTC).
 */

const IN_EVENING_SHIFT = Date.parse('2026-11-03T14:30:00Z');
const AFTER_EVENING_SHIFT = Date.parse('2026-11-03T16:44:00Z');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'regionshift-banner-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bookinfo = () => loadPolicyYaml(labPolicyYaml('examples/bookinfo.yaml'));
const meshAt = (policy: Policy, now: number) => {
  const d = decide(policy, null, { kind: 'tick' }, now);
  return { mode: d.plan.after?.config.mode ?? null, hangzhou: d.state.applied?.matrix['cn-hangzhou'] ?? null };
};

describe('the policy the lab tests run holds at any hour', () => {
  test('bookinfo.yaml puts a fresh mesh in 90/10 inside the evening shift: why the lab tests failed 14:00–16:00 UTC', () => {
    expect(meshAt(bookinfo(), IN_EVENING_SHIFT)).toEqual({ mode: 'distribute', hangzhou: { 'cn-hangzhou': 90, 'cn-shanghai': 10 } });
    expect(meshAt(bookinfo(), AFTER_EVENING_SHIFT)).toMatchObject({ mode: 'failover' });
  });

  test('the fixture policy is bookinfo.yaml without its schedules, and gives failover mode inside the evening shift too', () => {
    const file = scheduleFreePolicyFile(dir);
    const fixture = loadPolicyYaml(labPolicyYaml(file));
    const { schedules, ...rest } = bookinfo();
    expect(schedules.map((s) => s.name)).toEqual(['evening-shift']);
    expect(fixture).toEqual({ ...rest, schedules: [] });
    expect(readFileSync(file, 'utf8')).not.toContain('evening-shift');
    for (const now of [IN_EVENING_SHIFT, AFTER_EVENING_SHIFT])
      expect(meshAt(fixture, now)).toEqual({ mode: 'failover', hangzhou: { 'cn-hangzhou': 100 } });
  });
});

describe('scheduleLines', () => {
  test('inside the window: active, and until when', () => {
    expect(scheduleLines(bookinfo(), IN_EVENING_SHIFT)).toEqual([
      'evening-shift (cron "0 0 22 * * *" Asia/Shanghai, 2h): ACTIVE now, until 2026-11-03T16:00:00Z (in 1h30m)',
    ]);
  });
  test('outside: when it opens next', () => {
    expect(scheduleLines(bookinfo(), AFTER_EVENING_SHIFT)).toEqual([
      'evening-shift (cron "0 0 22 * * *" Asia/Shanghai, 2h): inactive, opens next at 2026-11-04T14:00:00Z (in 21h16m)',
    ]);
  });
});

describe('labBanner', () => {
  const env = { ALIBABA_CLOUD_ACCOUNT_ID: '1', REGIONSHIFT_ALARM_TOKEN: 't', REGIONSHIFT_CONTROL_SECRET: 's' };
  const functions = Object.entries(loadSYaml('s.yaml', env).spec.resources).map(([key, r]) => ({
    key,
    functionName: r.props.functionName,
    triggers: r.props.triggers ?? [],
  }));
  const banner = (now: number) =>
    labBanner({
      hostUrl: 'http://127.0.0.1:18080',
      labUrl: 'http://127.0.0.1:18081',
      controlUrl: 'http://127.0.0.1:18080/control/',
      meshUrl: 'http://127.0.0.1:40123',
      logFile: '.regionshift/lab/functions.log',
      secrets: { readToken: 'read/token+1', controlSecret: 'ctl-secret' },
      functions,
      tickMs: 5000,
      policy: bookinfo(),
      policySource: 'examples/bookinfo.yaml',
      now,
    });

  test('every URL and command carries the ports the lab took; the dashboard link logs in with the read token', () => {
    const text = banner(AFTER_EVENING_SHIFT);
    expect(text).toContain('dashboard        http://127.0.0.1:18080/control/#token=read%2Ftoken%2B1\n');
    expect(text).toContain(
      `curl -XPOST http://127.0.0.1:18081/lab/v1/faults -H 'content-type: application/json' -d '{"kind":"region-down","region":"cn-hangzhou","service":"reviews"}'`,
    );
    expect(text).toContain('curl -XDELETE http://127.0.0.1:18081/lab/v1/faults/<id from the answer, e.g. flt-0001>');
    expect(text).toContain(`curl -H 'authorization: Bearer read/token+1' http://127.0.0.1:18080/control/v1/status`);
    expect(text).toContain('npx regionshift status --endpoint http://127.0.0.1:18080/control --secret ctl-secret');
    // No command may name a port the lab did not take.
    const ports = new Set([...text.matchAll(/127\.0\.0\.1:(\d+)/g)].map((m) => m[1]));
    expect([...ports].sort()).toEqual(['18080', '18081', '40123']);
  });

  test("each function is listed with how it is reached: cluster-events by its trigger and by the other regions' rules over HTTP", () => {
    const lines = banner(AFTER_EVENING_SHIFT).split('\n');
    const line = (key: string) => lines.find((l) => l.startsWith(`    ${key} `))?.trim();
    expect(line('cluster-events')).toBe(
      'cluster-events  EventBridge deliveries: POST http://127.0.0.1:18080/_events/cluster-events; HTTP http://127.0.0.1:18080/cluster-events/…',
    );
    expect(line('alarm')).toBe(
      'alarm           HTTP http://127.0.0.1:18080/alarm/…; EventBridge deliveries: POST http://127.0.0.1:18080/_events/alarm',
    );
    expect(line('control')).toBe('control         HTTP http://127.0.0.1:18080/control/…');
    expect(line('executor')).toBe(
      'executor        InvokeFunction (async): POST http://127.0.0.1:18080/2023-03-30/functions/regionshift-executor/invocations',
    );
    expect(line('scheduler')).toBe(
      'scheduler       timer "tick", fired by the lab every 5s (POST http://127.0.0.1:18080/_invoke/scheduler)',
    );
    expect(lines.filter((l) => l.includes('/cluster-events/'))).toHaveLength(1);
  });

  test('the schedule line says whether the evening shift is active and when it opens next, and the lab periods are listed', () => {
    const during = banner(IN_EVENING_SHIFT);
    expect(during).toContain(
      '  schedules (at 2026-11-03T14:30:00Z):\n    evening-shift (cron "0 0 22 * * *" Asia/Shanghai, 2h): ACTIVE now, until 2026-11-03T16:00:00Z (in 1h30m)\n',
    );
    expect(during).toContain('a schedule is active: traffic follows its matrix');
    const after = banner(AFTER_EVENING_SHIFT);
    expect(after).toContain(
      'evening-shift (cron "0 0 22 * * *" Asia/Shanghai, 2h): inactive, opens next at 2026-11-04T14:00:00Z (in 21h16m)',
    );
    expect(after).not.toContain('a schedule is active');
    expect(after).toContain(
      'lab periods      hold 20s after the last alarm clears, recovery steps 15s apart, cooldown 5s, scheduler tick every 5s',
    );
    expect(after).toContain("\n  policy           bookinfo from examples/bookinfo.yaml, with the lab's short periods below\n");
    expect(after).toContain('lab/v1/requests | probes | faults | traffic | traffic/series\n');
  });
});

describe("each world's loop", () => {
  const WORLDS = [
    'cross-region-two-clusters',
    'locality-preference',
    'istio-multi-primary',
    'three-region',
    'same-vpc-two-clusters',
    'serverless-and-vm',
  ];

  test.each(WORLDS)(
    '%s: the banner prints reviews down in cn-hangzhou, read at gw-hangzhou, a fault the lab API accepts for that world',
    (name) => {
      const topology = loadLabWorld(
        labArgs(['--topology', `examples/topologies/${name}.yaml`, '--policy', `examples/topologies/${name}.policy.yaml`], {}),
      ).topology;
      const loop = worldLoop(topology);
      expect(loop).toEqual({ region: 'cn-hangzhou', service: 'reviews', gateway: 'gw-hangzhou' });
      const fault = faultSpecSchema.parse(loopFault(loop));
      expect(faultTargetProblems(topology, fault)).toEqual([]);
    },
  );

  test("another world's loop follows its topology: the gateway's region, and a service it runs there other than the entry", () => {
    const topology = {
      gateways: [{ name: 'gw-b', region: 'eu-b', entry: 'web' }],
      regions: [
        { name: 'eu-a', clusters: [{ name: 'a1' }] },
        { name: 'eu-b', clusters: [{ name: 'b1' }] },
      ],
      deployments: [
        { cluster: 'a1', service: 'reviews' },
        { cluster: 'b1', service: 'web' },
        { cluster: 'b1', service: 'cart' },
      ],
    };
    expect(worldLoop(topology)).toEqual({ region: 'eu-b', service: 'cart', gateway: 'gw-b' });
  });

  test("the banner prints the world's fault, a requests command at its gateway, and the kubeconfig variables the lab set", () => {
    const text = labBanner({
      hostUrl: 'http://127.0.0.1:18080',
      labUrl: 'http://127.0.0.1:18081',
      controlUrl: 'http://127.0.0.1:18080/control/',
      meshUrl: 'http://127.0.0.1:40123',
      logFile: 'f.log',
      secrets: { readToken: 'r', controlSecret: 's' },
      functions: [{ key: 'control', functionName: 'regionshift-control', triggers: [{ triggerType: 'http', triggerName: 'h' }] }],
      tickMs: 5000,
      policy: bookinfo(),
      now: AFTER_EVENING_SHIFT,
      loop: { region: 'eu-b', service: 'cart', gateway: 'gw-b' },
      kubeconfigEnv: [{ cluster: 'idc-shanghai', variable: 'IDC_SHANGHAI_KUBECONFIG' }],
    });
    expect(text).toContain(
      `curl -XPOST http://127.0.0.1:18081/lab/v1/faults -H 'content-type: application/json' -d '{"kind":"region-down","region":"eu-b","service":"cart"}'`,
    );
    expect(text).toContain(
      `curl -XPOST http://127.0.0.1:18081/lab/v1/requests -H 'content-type: application/json' -d '{"gateway":"gw-b","count":1000}'`,
    );
    expect(text).toContain('  kubeconfigs      IDC_SHANGHAI_KUBECONFIG (idc-shanghai): set by the lab');
  });
});
