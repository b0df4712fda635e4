import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runValidate } from '../../cli/validate';

const examplePath = (name: string) => fileURLToPath(new URL(`../../examples/${name}`, import.meta.url));

/** Runs the command and returns what it printed where, with its exit code. */
async function validate(args: string[], env: Record<string, string | undefined> = {}) {
  const log: string[] = [];
  const error: string[] = [];
  const code = await runValidate(args, { log: (s) => log.push(s), error: (s) => error.push(s) }, env);
  return { code, log, error };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'policy-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function policyFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('regionshift validate', () => {
  it('a valid policy: exit 0 and a one-line summary on stdout', async () => {
    expect(await validate([examplePath('bookinfo.yaml')])).toEqual({
      code: 0,
      log: ['ok: bookinfo — asm mesh bookinfo-mesh, 2 regions (cn-hangzhou, cn-shanghai), 5 rules, 5 deployments, 1 schedule'],
      error: [],
    });
    expect(await validate([examplePath('bookinfo-istio.yaml')])).toEqual({
      code: 0,
      log: ['ok: bookinfo — istio mesh, 4 DestinationRules, 2 regions (cn-hangzhou, cn-shanghai), 5 rules, 5 deployments, 1 schedule'],
      error: [],
    });
  });

  it('takes ${env:…} values from the environment it is given', async () => {
    const env = { DINGTALK_WEBHOOK: 'https://oapi.dingtalk.com/robot/send?access_token=t', DINGTALK_SECRET: 'SEC1' };
    expect(await validate([examplePath('three-region.yaml')], env)).toEqual({
      code: 0,
      log: [
        'ok: storefront — asm mesh storefront-mesh, 3 regions (cn-hangzhou, cn-shanghai, cn-beijing), 3 rules, 2 deployments, 1 schedule',
      ],
      error: [],
    });
    const path = examplePath('three-region.yaml');
    // Unset secrets are the runtime's concern: noted, not a validation failure.
    expect(await validate([path], {})).toEqual({
      code: 0,
      log: [
        'ok: storefront — asm mesh storefront-mesh, 3 regions (cn-hangzhou, cn-shanghai, cn-beijing), 3 rules, 2 deployments, 1 schedule',
      ],
      error: [
        'note: environment variable DINGTALK_WEBHOOK is not set; the runtime needs it',
        'note: environment variable DINGTALK_SECRET is not set; the runtime needs it',
      ],
    });
  });

  it('an invalid policy: exit 1 and every problem with its path on stderr', async () => {
    const path = policyFile(
      'broken.yaml',
      `name: shop
mesh: { backend: asm, apiRegion: cn-hangzhou }
regions:
  cn-hangzhou: { load: 0 }
  cn-shanghai: {}
failover:
  cn-hangzhou: [cn-hangzhou]
schedules:
  - { name: night, cron: "0 22 * * *", timezone: Asia/Shanghai, duration: 2h, drain: [cn-hangzhou] }
`,
    );
    expect(await validate([path])).toEqual({
      code: 1,
      log: [],
      error: [
        `invalid policy ${path}: 4 problems`,
        '  mesh.meshId: required',
        '  regions.cn-hangzhou.load: must be > 0',
        '  failover.cn-hangzhou[0]: a region cannot fail over to itself',
        '  schedules[0].cron: must have 6 fields (seconds minutes hours day-of-month month day-of-week), got 5 in "0 22 * * *"',
      ],
    });
  });

  it('a CMS rule whose region can only come from an undocumented field: valid (exit 0) with a warning on stderr', async () => {
    const path = policyFile(
      'payload-region.yaml',
      `name: shop
mesh: { backend: asm, meshId: m, apiRegion: cn-hangzhou }
regions: { cn-hangzhou: {}, cn-shanghai: {} }
detection:
  rules:
    - { name: cms-5xx, match: { source: cms }, region: { fromPayload: regionId } }
    - { name: cms-cpu, match: { source: cms }, region: { fromUrl: true } }
`,
    );
    const result = await validate([path]);
    expect(result).toEqual({
      code: 0,
      log: ['ok: shop — asm mesh m, 2 regions (cn-hangzhou, cn-shanghai), 2 rules, 0 deployments, 0 schedules'],
      error: [
        expect.stringMatching(
          /^warning: detection\.rules\[0\] \(cms-5xx\)\.region: region can only come from an undocumented field: CloudMonitor alarm callbacks carry no regionId/,
        ),
      ],
    });
  });

  it('one problem is reported as one', async () => {
    const path = policyFile(
      'typo.yaml',
      'name: shop\nmesh: { backend: asm, meshId: m, apiRegion: cn-hangzhou }\nregions: { cn-hangzhou: {}, cn-shanghai: {} }\ndirft: adopt\n',
    );
    expect(await validate([path])).toEqual({ code: 1, log: [], error: [`invalid policy ${path}: 1 problem`, '  dirft: unknown field'] });
  });

  it('a file that cannot be read: exit 1 and why', async () => {
    const missing = join(dir, 'nope.yaml');
    expect(await validate([missing])).toEqual({ code: 1, log: [], error: [`cannot read policy ${missing}: no such file`] });
    expect(await validate([dir])).toEqual({ code: 1, log: [], error: [`cannot read policy ${dir}: it is a directory, not a file`] });
  });

  it.each([[[]], [['a.yaml', 'b.yaml']], [['--help']]])('usage error for arguments %j: exit 2', async (args) => {
    expect(await validate(args)).toEqual({ code: 2, log: [], error: ['usage: regionshift validate <policy.yaml>'] });
  });
});
