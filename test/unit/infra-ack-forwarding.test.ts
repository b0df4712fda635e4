import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ackEventPattern, functionsRegionOf, planForFiles, policyRegionsOf, writeTemplates } from '../../infra/ack-forwarding-rules';
import { ackForwardingPlan, ackForwardingRosTemplate, ENTRY_URL_PARAMETER } from '../../infra/eventbridge/ack-forwarding';
import { loadPolicyYaml } from '../../shared/core/policy';

/** Cluster events from every region: a rule on each cluster region's bus, for every example policy. */
const EXAMPLES = readdirSync('examples')
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => path.join('examples', f));
const sYaml = readFileSync('s.yaml', 'utf8');

describe('the cross-region ACK rules of the example policies', () => {
  test.each(EXAMPLES)("%s: every region of the policy gets a rule, but the functions' own (its trigger hears that bus)", (file) => {
    const text = readFileSync(file, 'utf8');
    // The policy as regionshift loads it (its ${env:…} given), so the regions are the ones it steers.
    const regions = loadPolicyYaml(text, {
      ...process.env,
      DINGTALK_WEBHOOK: 'https://oapi.dingtalk.com/robot/send?access_token=x',
      DINGTALK_SECRET: 'SEC0123456789',
    }).regionIds;
    const plan = planForFiles(text, sYaml);
    expect(functionsRegionOf(sYaml)).toBe('cn-beijing');
    expect(plan.byTrigger).toEqual(regions.filter((r) => r === 'cn-beijing'));
    expect(plan.rules.map((r) => r.region).sort()).toEqual(regions.filter((r) => r !== 'cn-beijing').sort());
    expect([...plan.byTrigger, ...plan.rules.map((r) => r.region)].sort()).toEqual([...regions].sort());
    for (const rule of plan.rules) {
      expect(rule).toMatchObject({
        eventBusName: 'default',
        ruleName: 'regionshift-ack-events-to-cn-beijing',
        filterPattern: ackEventPattern(),
      });
    }
  });

  test('examples/bookinfo.yaml: ROS templates for cn-hangzhou and cn-shanghai are written, none for another region', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'regionshift-ack-rules-'));
    const files = writeTemplates(planForFiles(readFileSync('examples/bookinfo.yaml', 'utf8'), sYaml), dir);
    expect(files.map((f) => path.basename(f))).toEqual(['ack-events-cn-hangzhou.ros.json', 'ack-events-cn-shanghai.ros.json']);
    expect(readdirSync(dir).sort()).toEqual(['ack-events-cn-hangzhou.ros.json', 'ack-events-cn-shanghai.ros.json']);
  });
});

describe('ackForwardingPlan', () => {
  const pattern = { source: ['acs.cs'] };
  test("the functions' region is left to the trigger; each other region gets a rule to the entry", () => {
    const plan = ackForwardingPlan({
      regions: ['cn-beijing', 'cn-hangzhou', 'cn-hangzhou'],
      functionsRegion: 'cn-beijing',
      filterPattern: pattern,
      entryUrl: 'https://x.cn-beijing.fcapp.run/ack?token=t',
    });
    expect(plan.byTrigger).toEqual(['cn-beijing']);
    expect(plan.rules).toEqual([
      {
        region: 'cn-hangzhou',
        eventBusName: 'default',
        ruleName: 'regionshift-ack-events-to-cn-beijing',
        filterPattern: pattern,
        target: {
          id: 'regionshift-cluster-events',
          type: 'https',
          url: 'https://x.cn-beijing.fcapp.run/ack?token=t',
          pushRetryStrategy: 'BACKOFF_RETRY',
          network: 'PublicNetwork',
        },
      },
    ]);
  });

  test('a policy without regions, or with a key that is no region id, is refused naming the field', () => {
    expect(() => policyRegionsOf('name: x\n')).toThrow(/regions: required/);
    expect(() => policyRegionsOf('regions:\n  Hangzhou: {}\n')).toThrow(/regions: not region ids: Hangzhou/);
  });

  test('an entry URL that is not http(s) is refused', () => {
    expect(() =>
      ackForwardingPlan({ regions: ['cn-hangzhou'], functionsRegion: 'cn-beijing', filterPattern: pattern, entryUrl: 'ftp://x/ack' }),
    ).toThrow(/entry URL: must be http\(s\)/);
  });

  test('the ROS template: an EventBridge rule on the default bus, HTTPS target, whole event as body, URL only as a NoEcho parameter', () => {
    const [rule] = ackForwardingPlan({
      regions: ['cn-shanghai'],
      functionsRegion: 'cn-beijing',
      filterPattern: ackEventPattern(),
      entryUrl: 'https://x.cn-beijing.fcapp.run/ack?token=secret-token-value',
    }).rules;
    const template = ackForwardingRosTemplate(rule!);
    const url = { Ref: ENTRY_URL_PARAMETER };
    expect(template).toMatchObject({
      ROSTemplateFormatVersion: '2015-09-01',
      Parameters: { [ENTRY_URL_PARAMETER]: { Type: 'String', NoEcho: true } },
      Resources: {
        AckEventsRule: {
          Type: 'ALIYUN::EventBridge::Rule',
          Properties: {
            EventBusName: 'default',
            RuleName: 'regionshift-ack-events-to-cn-beijing',
            Status: 'ENABLE',
            FilterPattern: ackEventPattern(),
            Targets: [
              {
                Id: 'regionshift-cluster-events',
                Type: 'https',
                Endpoint: url,
                PushRetryStrategy: 'BACKOFF_RETRY',
                ParamList: [
                  { ResourceKey: 'url', Form: 'CONSTANT', Value: url },
                  { ResourceKey: 'Body', Form: 'ORIGINAL' },
                  { ResourceKey: 'Network', Form: 'CONSTANT', Value: 'PublicNetwork' },
                ],
              },
            ],
          },
        },
      },
    });
    expect(JSON.stringify(template)).not.toContain('secret-token-value');
  });
});
