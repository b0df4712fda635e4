import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

/**
 * docs/deploy.md is followed by hand, step by step, in a real account: every file it names must
 * exist, every project command and npm script must be one that runs, the role it creates must be
 * the one s.yaml gives the functions, and the steps keep the order the deployment needs. The
 * trust policy it creates the role with lets Function Compute, and only it, assume the role.
 */

const doc = readFileSync('docs/deploy.md', 'utf8');

describe('infra/ram-trust-policy.json', () => {
  const trust = JSON.parse(readFileSync('infra/ram-trust-policy.json', 'utf8')) as Record<string, unknown>;

  test('one Allow statement: Function Compute may assume the role, nobody else', () => {
    expect(trust).toEqual({
      Version: '1',
      Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: ['fc.aliyuncs.com'] } }],
    });
  });
});

describe('docs/deploy.md', () => {
  test('every repository file it names exists', () => {
    const paths = new Set(
      [...doc.matchAll(/`((?:infra|docs|examples|cli|shared|lab)\/[A-Za-z0-9_./-]+\.(?:json|md|yaml|ts))`/g)].map((m) => m[1]!),
    );
    expect(paths.size).toBeGreaterThan(5);
    expect([...paths].filter((p) => !existsSync(p))).toEqual([]);
  });

  test('every `npx regionshift <command>` is a command of the CLI; every `npm run <script>` a script', async () => {
    const main = readFileSync('cli/main.ts', 'utf8');
    const known = new Set([...main.matchAll(/^ {2}([a-z]+): async \(\)/gm)].map((m) => m[1]!));
    const used = new Set([...doc.matchAll(/npx regionshift ([a-z]+)/g)].map((m) => m[1]!));
    expect([...used].sort()).toEqual(expect.arrayContaining(['alarms', 'doctor', 'drill', 'status']));
    expect([...used].filter((c) => !known.has(c))).toEqual([]);
    const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;
    const runs = [...doc.matchAll(/npm run ([a-z:]+)/g)].map((m) => m[1]!);
    expect(runs.filter((r) => !(r in scripts))).toEqual([]);
  });

  test('the role it creates is the role s.yaml gives every function, created with the trust policy file', () => {
    const created = /aliyun ram CreateRole --RoleName (\S+)/.exec(doc)?.[1];
    const s = parseYaml(readFileSync('s.yaml', 'utf8')) as { resources: Record<string, { props: { role: string } }> };
    const roles = new Set(Object.values(s.resources).map((r) => r.props.role));
    expect([...roles]).toEqual([`acs:ram::\${vars.accountId}:role/${created}`]);
    expect(doc).toMatch(/--AssumeRolePolicyDocument "\$\(cat infra\/ram-trust-policy\.json\)"/);
    expect(doc).toMatch(/AttachPolicyToRole --PolicyType Custom --PolicyName (\S+) --RoleName \S+/);
  });

  test('steps are numbered 1..n and in the order a deployment needs', () => {
    const headings = [...doc.matchAll(/^## (\d+)\. (.+)$/gm)].map((m) => [Number(m[1]), m[2]!] as const);
    expect(headings.map(([n]) => n)).toEqual(headings.map((_, i) => i + 1));
    const at = (needle: string) => {
      const i = doc.indexOf(needle);
      expect([needle, i >= 0]).toEqual([needle, true]);
      return i;
    };
    const order = [
      at('create_instance -n'),
      at('BindInstance2Vpc'),
      at('npm run infra:tables'),
      at('aliyun ram CreateRole'),
      at('s deploy\n'),
      at('npx regionshift alarms apply --region'),
      at('Cluster events from\nevery region'),
      at('npx regionshift doctor'),
      at('npx regionshift drill --region'),
    ];
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  test('drills are said to be windowed; unverified steps are marked', () => {
    expect(doc).toContain('drills.allowedWindows');
    expect(doc).toContain('drill.window');
    expect((doc.match(/\*\*unverified\*\*/gi) ?? []).length).toBeGreaterThanOrEqual(4);
  });
});
