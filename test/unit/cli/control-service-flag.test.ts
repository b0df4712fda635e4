import { eachTestWithControlHost, type ControlHost } from './control-host';

/**
 * `--service` reaches the API: the host runs the unscoped Bookinfo policy, so a command naming a
 * service must come back refused by the core (409 naming `service`), never as a whole-region change.
 */
describe('regionshift --service', () => {
  let h: ControlHost;
  eachTestWithControlHost((host) => {
    h = host;
  });

  test('override --service on an unscoped policy: exit 1, the service refusal printed, nothing changed', async () => {
    const version = await h.version();
    const applies = h.mesh.applied.length;
    const res = await h.cli(['override', '--drain', 'cn-hangzhou', '--service', 'reviews', '--reason', 'reviews canary']);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(
      'refused (409 COMMAND.REFUSED), nothing changed:\n  override.service: names service reviews, but the policy declares no scopes',
    );
    expect(await h.version()).toBe(version);
    expect(h.mesh.applied).toHaveLength(applies);
  });

  test('drill --service and plan override --service send it too', async () => {
    const drill = await h.cli(['drill', '--region', 'cn-shanghai', '--service', 'reviews', '--duration', '5m']);
    expect(drill.code).toBe(1);
    expect(drill.stderr).toContain('drill.service: names service reviews, but the policy declares no scopes');
    const plan = await h.cli(['plan', 'override', '--drain', 'cn-hangzhou', '--service', 'reviews', '--reason', 'what if', '--json']);
    expect(plan.code).toBe(0);
    expect(JSON.parse(plan.stdout)).toMatchObject({ dryRun: true, committed: false, plan: { refused: [{ rule: 'override.service' }] } });
  });

  test('an empty --service is a usage error naming the flag', async () => {
    const res = await h.cli(['override', '--drain', 'cn-hangzhou', '--service', '', '--reason', 'x']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--service');
  });
});
