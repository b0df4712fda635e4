import { createServer } from 'node:net';
import type { StatusView } from '../../../shared/engine/api';
import { CONTROL_SECRET, runCli, eachTestWithControlHost, type ControlHost } from './control-host';

/**
 * The control commands end to end: `main(argv)` in-process, signing real requests to the real
 * control function on the local FC host, which drives the real engine on a SQLite file.
 */

const hangzhouRow = (h: ControlHost) => {
  const last = h.mesh.applied.at(-1)?.config.localityLbSetting;
  if (!last || !('distribute' in last)) return last ? { 'cn-hangzhou/*': 100 } : undefined;
  return last.distribute.find((d) => d.from === 'cn-hangzhou/*')?.to;
};

const eventCount = async (h: ControlHost) => (await h.store.listEvents('bookinfo', { limit: 500 })).length;

/** A port on 127.0.0.1 that nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

describe('regionshift control commands against the control function', () => {
  let h: ControlHost;
  eachTestWithControlHost((host) => {
    h = host;
  });

  test('status renders health per region, mode and matrix; a DOWN region shows with its cause', async () => {
    const calm = await h.cli(['status']);
    expect(calm).toMatchObject({ code: 0, stderr: '' });
    expect(calm.stdout).toMatch(/^ {2}cn-hangzhou {2}HEALTHY$/m);
    expect(calm.stdout).toMatch(/^ {2}cn-shanghai {2}HEALTHY$/m);
    expect(calm.stdout).toContain('mode: failover');
    expect(calm.stdout).toContain('cn-hangzhou → cn-hangzhou 100%');
    expect(calm.stdout).toContain('automation: on');
    expect(calm.stdout).toContain('override: none');

    expect(await h.alarmDown()).toBe(200);
    const down = await h.cli(['status']);
    expect(down.code).toBe(0);
    expect(down.stdout).toMatch(/^ {2}cn-hangzhou {2}DOWN {8}since 2026-11-03T03:00:00\.000Z {2}causes: \S+/m);
    expect(down.stdout).toContain('mode: distribute');
    expect(down.stdout).toContain('cn-hangzhou → cn-shanghai 100%');
    expect(down.stdout).toMatch(/active signals:\n {2}cn-hangzhou down {2}cms/);

    const json = await h.cli(['status', '--json']);
    expect(json.code).toBe(0);
    const view = JSON.parse(json.stdout) as { version: number; health: Record<string, { status: string }> };
    expect(view.health['cn-hangzhou']?.status).toBe('DOWN');
    expect(view.version).toBe(await h.version());
  });

  test('between the commit and the mesh step, status says SHIFTING and keeps the old matrix as the live one', async () => {
    h.mesh.failNext(1_000, 'throttle');
    expect(await h.alarmDown()).toBe(200);
    const during = await h.cli(['status']);
    expect(during.code).toBe(0);
    expect(during.stdout).toMatch(/^mode: failover {2}\(live: confirmed by the mesh at \S+, plan bookinfo-\d+\)$/m);
    expect(during.stdout).toMatch(/^matrix:\n {2}cn-hangzhou → cn-hangzhou 100%\n {2}cn-shanghai → cn-shanghai 100%$/m);
    expect(during.stdout).toContain('SHIFTING: the mesh has not confirmed the intended matrix yet');
    expect(during.stdout).toMatch(
      /^intended: distribute {2}\(decided at 2026-11-03T03:00:00\.000Z\)\n {2}cn-hangzhou → cn-shanghai 100%\n {2}cn-shanghai → cn-shanghai 100%$/m,
    );
    // GET /v1/status as the API answers it.
    const api = JSON.parse((await h.cli(['status', '--json'])).stdout) as StatusView;
    expect(api).toMatchObject({
      shifting: true,
      matrix: { 'cn-hangzhou': { 'cn-hangzhou': 100 } },
      config: { mode: 'failover' },
      intended: { matrix: { 'cn-hangzhou': { 'cn-shanghai': 100 } }, config: { mode: 'distribute' }, at: '2026-11-03T03:00:00.000Z' },
      confirmed: { matrix: { 'cn-hangzhou': { 'cn-hangzhou': 100 } } },
    });

    h.mesh.recover();
    h.clock.advance(60_000);
    expect(await h.tick()).toBe(200);
    const after = await h.cli(['status']);
    expect(after.stdout).not.toContain('SHIFTING');
    expect(after.stdout).not.toContain('intended:');
    expect(after.stdout).toMatch(/^mode: distribute {2}\(live: confirmed by the mesh at \S+, plan bookinfo-\d+\)$/m);
    expect(after.stdout).toMatch(/^matrix:\n {2}cn-hangzhou → cn-shanghai 100%$/m);
  });

  test('override --drain changes the state, status shows it, override clear removes it', async () => {
    const before = await h.version();
    const res = await h.cli(['override', '--drain', 'cn-hangzhou', '--ttl', '30m', '--reason', 'rolling the node pool'], {
      REGIONSHIFT_ACTOR: 'alice',
    });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/override ovr-\d+ by alice until 2026-11-03T03:30:00\.000Z/);
    expect(res.stdout).toMatch(/^committed bookinfo-\d+: \d+ of \d+ steps run now/m);
    // The override's commit, then the record that the mesh step confirmed the drain.
    expect(await h.version()).toBe(before + 2);
    expect(hangzhouRow(h)).toEqual({ 'cn-shanghai/*': 100 });
    const command = (await h.store.listEvents('bookinfo', { limit: 10 })).find((e) => e.kind === 'command');
    expect(command?.actor).toBe('alice');

    const status = await h.cli(['status']);
    const id = /^override: (ovr-\d+) {2}drain cn-hangzhou {2}until 2026-11-03T03:30:00\.000Z {2}by alice: rolling the node pool$/m.exec(
      status.stdout,
    )?.[1];
    expect(id).toBeDefined();
    expect(status.stdout).toContain('cn-hangzhou → cn-shanghai 100%');

    const wrongId = await h.cli(['override', 'clear', 'ovr-999']);
    expect(wrongId.code).toBe(1);
    expect(wrongId.stderr).toContain('override.notFound: override ovr-999 is not the active one');

    const cleared = await h.cli(['override', 'clear', id as string]);
    expect(cleared.code).toBe(0);
    expect((await h.cli(['status'])).stdout).toContain('override: none');
    expect(hangzhouRow(h)).toEqual({ 'cn-hangzhou/*': 100 });
  });

  test('override --matrix pins a distribution', async () => {
    const matrix = JSON.stringify({ 'cn-hangzhou': { 'cn-hangzhou': 90, 'cn-shanghai': 10 }, 'cn-shanghai': { 'cn-shanghai': 100 } });
    const res = await h.cli(['override', '--matrix', matrix, '--reason', 'cost shift']);
    expect(res.code).toBe(0);
    expect(hangzhouRow(h)).toEqual({ 'cn-hangzhou/*': 90, 'cn-shanghai/*': 10 });
    const status = await h.cli(['status']);
    expect(status.stdout).toMatch(/^override: ovr-\d+ {2}matrix {2}until .* by api: cost shift$/m);
    expect(status.stdout).toContain('cn-hangzhou → cn-hangzhou 90%, cn-shanghai 10%');
  });

  test('plan is a dry run: explain lines and steps, nothing committed or applied', async () => {
    const version = await h.version();
    const applied = h.mesh.applied.length;
    const events = await eventCount(h);

    const flags = await h.cli(['plan', '--drain', 'cn-hangzhou', '--ttl', '30m', '--reason', 'what if']);
    expect(flags.code).toBe(0);
    expect(flags.stdout.split('\n')[0]).toBe('dry run: nothing was committed');
    expect(flags.stdout).toMatch(/override ovr-\d+ by api until 2026-11-03T03:30:00\.000Z/);
    expect(flags.stdout).toMatch(
      /steps it would run:\n(?: {2}\d+\. .*\n)* {2}\d+\. mesh → distribute: cn-hangzhou → cn-shanghai 100%; cn-shanghai → cn-shanghai 100%/,
    );

    const json = await h.cli(['plan', '{"kind":"pause","reason":"maintenance"}']);
    expect(json.code).toBe(0);
    expect(json.stdout).toContain('automation paused by api: maintenance');
    expect(json.stdout).toContain('steps it would run: none');

    const drill = await h.cli(['plan', 'drill', '--region', 'cn-shanghai', '--duration', '15m', '--json']);
    expect(drill.code).toBe(0);
    expect(JSON.parse(drill.stdout)).toMatchObject({ dryRun: true, committed: false, plan: { refused: [] } });

    expect(await h.version()).toBe(version);
    expect(h.mesh.applied.length).toBe(applied);
    expect(await eventCount(h)).toBe(events);
    expect((await h.cli(['status'])).stdout).toContain('override: none');
  });

  test('plan of a command that would be refused shows the refusal and still commits nothing', async () => {
    expect(await h.alarmDown()).toBe(200);
    const version = await h.version();
    const res = await h.cli(['plan', 'drill', '--region', 'cn-shanghai', '--duration', '15m']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/it would be refused:\n {2}drill\.unhealthy: refused while cn-hangzhou is DOWN/);
    expect(await h.version()).toBe(version);
  });

  test('pause and resume', async () => {
    const paused = await h.cli(['pause', '--reason', 'maintenance window', '--actor', 'bob']);
    expect(paused.code).toBe(0);
    expect(paused.stdout).toContain('automation paused by bob: maintenance window');
    expect(paused.stdout).toMatch(/^committed bookinfo-\d+: no steps to run$/m);
    expect((await h.cli(['status'])).stdout).toMatch(/^automation: PAUSED by bob at 2026-11-03T03:00:\d\d\.000Z: maintenance window$/m);

    const again = await h.cli(['pause', '--reason', 'twice']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('paused: already paused by bob');

    const resumed = await h.cli(['resume']);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('automation resumed by api');
    expect((await h.cli(['status'])).stdout).toContain('automation: on');

    const notPaused = await h.cli(['resume', '--reason', 'just in case']);
    expect(notPaused.code).toBe(1);
    expect(notPaused.stderr).toBe('refused (409 COMMAND.REFUSED), nothing changed:\n  paused: automation is not paused');
  });

  test('a drill while a region is unhealthy is refused: exit 1, the refusal printed, nothing changed', async () => {
    expect(await h.alarmDown()).toBe(200);
    const version = await h.version();
    const applied = h.mesh.applied.length;
    const res = await h.cli(['drill', '--region', 'cn-shanghai', '--duration', '15m', '--reason', 'game day']);
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toBe('refused (409 COMMAND.REFUSED), nothing changed:\n  drill.unhealthy: refused while cn-hangzhou is DOWN');
    expect(await h.version()).toBe(version);
    expect(h.mesh.applied.length).toBe(applied);
    expect((await h.cli(['status'])).stdout).toContain('drill: none');
  });

  test('a drill on a healthy mesh runs, shows in status, and drill abort reverts it', async () => {
    const res = await h.cli(['drill', '--region', 'cn-hangzhou', '--severity', 'down', '--duration', '15m']);
    expect(res.code).toBe(0);
    expect(hangzhouRow(h)).toEqual({ 'cn-shanghai/*': 100 });
    const status = await h.cli(['status']);
    const id = /^drill: (drill-\d+) {2}cn-hangzhou down {2}until 2026-11-03T03:15:\d\d\.000Z {2}by api$/m.exec(status.stdout)?.[1];
    expect(id).toBeDefined();
    expect(status.stdout).toMatch(/^ {2}cn-hangzhou {2}DOWN/m);

    const aborted = await h.cli(['drill', 'abort', id as string]);
    expect(aborted.code).toBe(0);
    expect(aborted.stdout).toContain(`drill ${id} aborted by api; cn-hangzhou reverted`);
    const after = await h.cli(['status']);
    expect(after.stdout).toContain('drill: none');
    expect(after.stdout).toMatch(/^ {2}cn-hangzhou {2}HEALTHY/m);
  });

  test('a region the policy does not declare: exit 1 with the API problems', async () => {
    const version = await h.version();
    const res = await h.cli(['drill', '--region', 'mars-1', '--duration', '15m']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('error 400 INPUT.INVALID: body.region: unknown region mars-1 (declared: cn-hangzhou, cn-shanghai)');
    expect(await h.version()).toBe(version);
  });

  test('a wrong secret: exit 1 with the API message, nothing changed', async () => {
    const version = await h.version();
    const read = await h.cli(['status'], { REGIONSHIFT_CONTROL_SECRET: 'not-the-secret-0123456789' });
    expect(read.code).toBe(1);
    expect(read.stdout).toBe('');
    expect(read.stderr).toContain('error 401 AUTH.UNAUTHORIZED: x-regionshift-signature: does not match');
    const write = await h.cli(['pause', '--reason', 'x', '--secret', 'not-the-secret-0123456789']);
    expect(write.code).toBe(1);
    expect(write.stderr).toContain('x-regionshift-signature: does not match');
    expect(await h.version()).toBe(version);
    // The flag wins over the environment.
    expect((await h.cli(['status', '--secret', CONTROL_SECRET], { REGIONSHIFT_CONTROL_SECRET: 'not-the-secret-0123456789' })).code).toBe(0);
  });

  test.each([
    [['history', '--limit', 'abc'], '--limit: must be a whole number in 1..500'],
    [['history', '--limit', '501'], '--limit: must be a whole number in 1..500'],
    [['history', '--before'], '--before: needs a value'],
    [['status', '--bogus'], '--bogus: unknown option'],
    [['status', 'extra'], 'unexpected argument "extra"'],
    [['override', '--drain', 'cn-hangzhou'], '--reason: required'],
    [['override', '--reason', 'x'], '--drain or --matrix'],
    [['override', '--drain', 'cn-hangzhou', '--matrix', '{}', '--reason', 'x'], '--drain, --matrix: give one of them, not both'],
    [['override', '--drain', 'cn-hangzhou', '--ttl', 'soon', '--reason', 'x'], '--ttl: must be a duration like 30s'],
    [['override', '--drain', 'cn-hangzhou', '--ttl', '30m', '--ttl', '1h', '--reason', 'x'], '--ttl: given more than once'],
    [['override', '--drain', 'Hangzhou!', '--reason', 'x'], '--drain[0]: must be a region id'],
    [['override', '--matrix', '{bad', '--reason', 'x'], '--matrix: not JSON'],
    [['override', '--matrix', '{"cn-hangzhou":{"cn-shanghai":"all"}}', '--reason', 'x'], '--matrix.cn-hangzhou.cn-shanghai'],
    [['override', '--force=yes', '--drain', 'cn-hangzhou', '--reason', 'x'], '--force: takes no value'],
    [['override', 'clear'], '<id>: name the override to clear'],
    [['override', 'clear', 'ovr 1'], '<id>: "ovr 1" is not an id'],
    [['drill', '--region', 'cn-hangzhou'], '--duration: required'],
    [['drill', '--duration', '15m'], '--region: required'],
    [['drill', '--region', 'cn-hangzhou', '--duration', '15m', '--severity', 'dead'], '--severity'],
    [['drill', '--region', 'cn-hangzhou', '--duration', '0s'], '--duration: must be longer than 0'],
    [['drill', 'abort'], '<id>: name the drill to abort'],
    [['pause'], '--reason: required (say why, for the audit log)'],
    [['pause', '--reason', '   '], '--reason: required (say why, for the audit log)'],
    [['plan', '{"kind":"pause"}'], 'command.reason'],
    [['plan', '{"kind":"launch"}'], 'command.kind'],
    [['plan', '{nope'], '<command json>: not JSON'],
    [['plan', '{"kind":"resume"}', '--drain', 'cn-hangzhou'], '--drain: give the command as JSON or as flags, not both'],
    [['plan', 'resume', '--reason', 'x'], '--reason: unknown option'],
    [['status', '--actor', 'bad actor!'], '--actor: must be 1-64 characters'],
    [['status', '--endpoint', 'not a url'], '--endpoint: not a URL'],
    [['status', '--endpoint', 'http://127.0.0.1:1/control/v1'], "--endpoint: give the control function's base URL, without /v1"],
  ])('usage error %j: exit 2 naming %s, nothing sent', async (argv, named) => {
    const version = await h.version();
    const events = await eventCount(h);
    const res = await h.cli(argv);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain(named);
    expect(res.stderr).toContain(`usage: regionshift ${argv[0]}`);
    expect(await h.version()).toBe(version);
    expect(await eventCount(h)).toBe(events);
  });

  test('a missing secret or endpoint names the flag and the environment variable', async () => {
    const noSecret = await h.cli(['status'], { REGIONSHIFT_CONTROL_SECRET: undefined });
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toContain('--secret');
    expect(noSecret.stderr).toContain('REGIONSHIFT_CONTROL_SECRET');
    const noEndpoint = await runCli(['pause', '--reason', 'x'], { REGIONSHIFT_CONTROL_SECRET: CONTROL_SECRET });
    expect(noEndpoint.code).toBe(2);
    expect(noEndpoint.stderr).toContain('--endpoint');
    expect(noEndpoint.stderr).toContain('REGIONSHIFT_ENDPOINT');
    const flagsOnly = await h.cli(['status', '--endpoint', h.endpoint, '--secret', CONTROL_SECRET], {
      REGIONSHIFT_ENDPOINT: undefined,
      REGIONSHIFT_CONTROL_SECRET: undefined,
    });
    expect(flagsOnly.code).toBe(0);
  });

  test('an unreachable endpoint exits 3', async () => {
    const port = await closedPort();
    const res = await h.cli(['status'], { REGIONSHIFT_ENDPOINT: `http://127.0.0.1:${port}/control` });
    expect(res.code).toBe(3);
    expect(res.stderr).toContain(`cannot reach http://127.0.0.1:${port}/control/v1/status: ECONNREFUSED`);
    const write = await h.cli(['pause', '--reason', 'x', '--endpoint', `http://127.0.0.1:${port}/control`]);
    expect(write.code).toBe(3);
  });

  test('an endpoint without the control mount is a 404 from the host: exit 1 with a hint', async () => {
    const res = await h.cli(['status'], { REGIONSHIFT_ENDPOINT: `${h.host.url}/nothing-here` });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/404/);
    expect(res.stderr).toContain('--endpoint');
  });

  test('history: one line per event, newest first, paged with --before', async () => {
    await h.cli(['pause', '--reason', 'one', '--actor', 'carol']);
    await h.cli(['resume', '--actor', 'carol']);
    const all = await h.cli(['history']);
    expect(all.code).toBe(0);
    const lines = all.stdout.split('\n');
    const seqs = lines.map((l) => Number(/^(\d+) {2}/.exec(l)?.[1]));
    expect(seqs.every((s) => s > 0)).toBe(true);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    expect(lines[0]).toMatch(/^\d+ {2}2026-11-03T03:00:\d\d\.000Z {2}decision {2}carol {2}.*\[bookinfo-\d+\]$/);
    expect(all.stdout).toMatch(/^\d+ {2}\S+ {2}command {3}carol {2}pause/m);
    expect(all.stdout).not.toContain('older events');

    const page = await h.cli(['history', '--limit', '2']);
    expect(page.code).toBe(0);
    const pageLines = page.stdout.split('\n');
    expect(pageLines).toHaveLength(3);
    expect(pageLines.slice(0, 2)).toEqual(lines.slice(0, 2));
    const next = /regionshift history --before (\d+)/.exec(pageLines[2] ?? '')?.[1];
    expect(next).toBe(String(seqs[1]));
    const older = await h.cli(['history', '--limit', '2', '--before', next as string]);
    expect(older.stdout.split('\n').slice(0, 2)).toEqual(lines.slice(2, 4));
  });

  test('help: regionshift --help and <command> --help exit 0; an unknown command exits 2', async () => {
    const top = await runCli(['--help'], {});
    expect(top.code).toBe(0);
    for (const name of ['status', 'history', 'plan', 'override', 'drill', 'pause', 'resume']) expect(top.stdout).toContain(`  ${name}`);
    const sub = await runCli(['override', '--help'], {});
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain('usage: regionshift override (--drain');
    expect(sub.stdout).toContain('REGIONSHIFT_CONTROL_SECRET');
    expect((await runCli(['failover'], {})).code).toBe(2);
  });
});
