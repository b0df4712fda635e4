import { PolicyError } from '../../shared/core/errors';
import { loadPolicyYaml, substituteEnv, type Policy } from '../../shared/core/policy';

function problemsOf(load: () => Policy): string[] {
  try {
    load();
  } catch (err) {
    if (err instanceof PolicyError) return err.problems;
    throw err;
  }
  throw new Error('the policy was accepted');
}

const policyWith = (notifications: string) => `
name: shop
mesh: { backend: asm, meshId: shop-mesh, apiRegion: cn-hangzhou }
regions:
  cn-hangzhou: { clusters: [{ id: c-hz }] }
  cn-shanghai: { clusters: [{ id: c-sh }] }
notifications:
${notifications}
`;

const DINGTALK = `
  - type: dingtalk
    webhook: \${env:DINGTALK_WEBHOOK}
    secret: \${env:DINGTALK_SECRET}`;

describe('${env:NAME} in a policy', () => {
  it('names every variable that is not set, at the path of the value that uses it', () => {
    expect(problemsOf(() => loadPolicyYaml(policyWith(DINGTALK), { DINGTALK_WEBHOOK: 'https://oapi.dingtalk.com/robot/send' }))).toEqual([
      'notifications[0].secret: environment variable DINGTALK_SECRET is not set (${env:DINGTALK_SECRET})',
    ]);
    expect(problemsOf(() => loadPolicyYaml(policyWith(DINGTALK), {}))).toEqual([
      'notifications[0].webhook: environment variable DINGTALK_WEBHOOK is not set (${env:DINGTALK_WEBHOOK})',
      'notifications[0].secret: environment variable DINGTALK_SECRET is not set (${env:DINGTALK_SECRET})',
    ]);
  });

  it('inserts the value verbatim: YAML syntax inside a secret neither truncates it nor reshapes the document', () => {
    // Substituting into the YAML text would make `#…` a comment and `: ` a mapping.
    const secret = 'SEC#a1: b2 "c3\'\n- d4';
    const p = loadPolicyYaml(policyWith(DINGTALK), {
      DINGTALK_WEBHOOK: 'https://oapi.dingtalk.com/robot/send?access_token=t',
      DINGTALK_SECRET: secret,
    });
    expect(p.notifications).toEqual([
      { type: 'dingtalk', webhook: 'https://oapi.dingtalk.com/robot/send?access_token=t', secret, minLevel: 'warning' },
    ]);
  });

  it('substitutes several references in one value, and ignores references in comments', () => {
    const yaml = `${policyWith('  - type: webhook\n    url: https://${env:HOOK_HOST}/hooks/${env:HOOK_ID}  # or ${env:UNUSED_IN_COMMENT}')}`;
    const p = loadPolicyYaml(yaml, { HOOK_HOST: 'ops.example.com', HOOK_ID: '42' });
    expect(p.notifications).toEqual([{ type: 'webhook', url: 'https://ops.example.com/hooks/42', minLevel: 'info' }]);
  });

  it('a substituted value is still validated like any other', () => {
    expect(problemsOf(() => loadPolicyYaml(policyWith('  - type: webhook\n    url: ${env:HOOK}'), { HOOK: 'not a url' }))).toEqual([
      'notifications[0].url: must be a URL (got "not a url")',
    ]);
  });

  it('substituteEnv on text reports each missing name and blanks it', () => {
    expect(substituteEnv('a=${env:A} b=${env:B} c=${env:A}', { A: '1' })).toEqual({ text: 'a=1 b= c=1', missing: ['B'] });
  });
});

describe('YAML that is not a policy document', () => {
  const cases: Array<[string, string, string[]]> = [
    ['a key written twice', 'name: a\nname: b\n', ['(yaml): Map keys must be unique at line 2, column 1']],
    [
      'an unclosed list',
      'name: [a\n',
      ['(yaml): Flow sequence in block collection must be sufficiently indented and end with a ] at line 2, column 1'],
    ],
    ['an empty file', '', ['(yaml): the document is empty']],
    ['only comments', '# to do\n', ['(yaml): the document is empty']],
    ['two documents', 'name: a\n---\nname: b\n', ['(yaml): a policy is one YAML document; another one starts at line 2']],
    ['a scalar', 'bookinfo\n', ['(root): must be a mapping of fields (got "bookinfo")']],
  ];
  it.each(cases)('%s', (_name, yaml, expected) => {
    expect(problemsOf(() => loadPolicyYaml(yaml))).toEqual(expected);
  });
});

describe('YAML scalars become policy values', () => {
  it('durations written as text or seconds, and region keys as written', () => {
    const p = loadPolicyYaml(`${policyWith('  - type: log')}
recovery: { holdFor: 45m, stepHold: 45 }
safety: { cooldown: 250ms }
overrides: { defaultTtl: 1h30m }
`);
    expect([p.recovery.holdFor, p.recovery.stepHold, p.safety.cooldown, p.overrides.defaultTtl]).toEqual([
      2_700_000, 45_000, 250, 5_400_000,
    ]);
    expect(p.regionIds).toEqual(['cn-hangzhou', 'cn-shanghai']);
  });
});
