import { readdirSync, readFileSync } from 'node:fs';
import { EventPatternError, matchesEventPattern, parseEventPattern } from '../../../lab/host/event-pattern';
import { loadSYaml } from '../../../lab/host/s-yaml';

/** The EventBridge pattern semantics the local host emulates, and the real s.yaml patterns against real event types. */

const match = (pattern: object, event: object) => matchesEventPattern(parseEventPattern(JSON.stringify(pattern)), event);

describe('event patterns', () => {
  test("fields AND, a field's conditions OR; nested objects descend; arrays in the event match any element", () => {
    const p = { source: ['acs.cs', 'acs.cms'], type: ['a', 'b'] };
    expect([
      match(p, { source: 'acs.cs', type: 'a' }),
      match(p, { source: 'acs.cms', type: 'b' }),
      match(p, { source: 'acs.cs', type: 'c' }),
      match(p, { source: 'acs.oss', type: 'a' }),
    ]).toEqual([true, true, false, false]);
    const nested = { data: { involvedObject: { kind: ['Node'] } } };
    expect([
      match(nested, { data: { involvedObject: { kind: 'Node' } } }),
      match(nested, { data: { involvedObject: { kind: 'Pod' } } }),
      match(nested, { data: 'Node' }),
      match(nested, {}),
    ]).toEqual([true, false, false, false]);
    expect([match({ tags: ['x'] }, { tags: ['w', 'x'] }), match({ tags: ['x'] }, { tags: ['w'] })]).toEqual([true, false]);
    expect([match({ n: [5] }, { n: 5 }), match({ n: [5] }, { n: '5' })]).toEqual([true, false]);
  });

  test('prefix, suffix, anything-but (value, list, prefix, suffix) and exists', () => {
    expect([
      match({ type: [{ prefix: 'cs:k8s:' }] }, { type: 'cs:k8s:NodeRelatedEvent' }),
      match({ type: [{ prefix: 'cs:k8s:' }] }, { type: 'cs:ActionTrail:ApiCall' }),
    ]).toEqual([true, false]);
    expect([match({ s: [{ suffix: '.jpg' }] }, { s: 'a.jpg' }), match({ s: [{ suffix: '.jpg' }] }, { s: 'a.png' })]).toEqual([true, false]);
    const notArms = { type: [{ 'anything-but': 'cs:k8s:k8s-event-via-arms' }] };
    expect([
      match(notArms, { type: 'cs:k8s:NodeRelatedEvent' }),
      match(notArms, { type: 'cs:k8s:k8s-event-via-arms' }),
      match(notArms, {}),
    ]).toEqual([true, false, false]);
    const list = { state: [{ 'anything-but': ['a', 'b'] }] };
    expect([match(list, { state: 'a' }), match(list, { state: 'b' }), match(list, { state: 'c' })]).toEqual([false, false, true]);
    expect([
      match({ s: [{ 'anything-but': { prefix: 'init' } }] }, { s: 'initializing' }),
      match({ s: [{ 'anything-but': { prefix: 'init' } }] }, { s: 'running' }),
    ]).toEqual([false, true]);
    expect([
      match({ s: [{ 'anything-but': { suffix: '.png' } }] }, { s: 'a.png' }),
      match({ s: [{ 'anything-but': { suffix: '.png' } }] }, { s: 'a.jpg' }),
    ]).toEqual([false, true]);
    expect([
      match({ s: [{ exists: true }] }, { s: 1 }),
      match({ s: [{ exists: true }] }, {}),
      match({ s: [{ exists: false }] }, {}),
      match({ s: [{ exists: false }] }, { s: 1 }),
    ]).toEqual([true, false, true, false]);
  });

  test('a pattern the host cannot evaluate is refused, naming where', () => {
    const problems = (text: string) => {
      try {
        parseEventPattern(text);
        return [];
      } catch (err) {
        return err instanceof EventPatternError ? err.problems : ['not an EventPatternError'];
      }
    };
    expect(problems('{"source":["acs.cs"]')[0]).toMatch(/^not JSON/);
    expect(problems('["acs.cs"]')).toEqual(['(pattern): must be a JSON object']);
    expect(problems('{"source":"acs.cs","data":{"n":[{"numeric":[">",0]}]},"type":[{"prefix":"a","suffix":"b"}],"x":[]}')).toEqual([
      'source: must be a non-empty array of conditions or a nested pattern object',
      'data.n[0].numeric: operator not emulated by the local host (prefix, suffix, anything-but, exists and exact values are)',
      'type[0]: a condition is a value or an object with one operator',
      'x: must be a non-empty array of conditions or a nested pattern object',
    ]);
    expect(problems('{"s":[{"anything-but":{"contains":"x"}}]}')).toEqual([
      's[0].anything-but: must be a value, a non-empty list of values, {prefix} or {suffix}',
    ]);
  });
});

describe('the deployed trigger patterns (s.yaml = infra/eventbridge)', () => {
  const { spec } = loadSYaml('s.yaml', {
    ALIBABA_CLOUD_ACCOUNT_ID: '1',
    REGIONSHIFT_ALARM_TOKEN: 'x',
    REGIONSHIFT_CONTROL_SECRET: 'y',
    REGIONSHIFT_EXECUTOR_URL: 'https://e.example',
  });
  const pattern = (key: string) => {
    const t = spec.resources[key]?.props.triggers?.find((x) => x.triggerType === 'eventbridge');
    if (t?.triggerType !== 'eventbridge') throw new Error(`${key} has no eventbridge trigger`);
    return parseEventPattern(t.triggerConfig.eventRuleFilterPattern);
  };
  const event = (source: string, type: string) => ({ specversion: '1.0', id: 'x', source, type, data: {} });

  test('alarm: CloudMonitor alert callbacks only, not its API-call, console, heartbeat or quota events', () => {
    const p = pattern('alarm');
    const types = [
      'cms:CloudMonitor:AlertWebHook',
      'cms:ActionTrail:ApiCall',
      'cms:ActionTrail:ConsoleOperation',
      'cms:ActionTrail:AliyunServiceEvent',
      'cms:CloudMonitor:AgentStatusRunning',
      'cms:CloudMonitor:AgentStatusStopped',
      'cms:CloudMonitor:GroupAddResourcesFailedQuotaReached',
    ];
    expect(types.filter((t) => matchesEventPattern(p, event('acs.cms', t)))).toEqual(['cms:CloudMonitor:AlertWebHook']);
    expect(matchesEventPattern(p, event('acs.cs', 'cms:CloudMonitor:AlertWebHook'))).toBe(false);
  });

  test('cluster-events: the Node, Pod, Deployment and ReplicaSet event types; not ARMS-collected events nor ActionTrail/Config', () => {
    const p = pattern('cluster-events');
    const types = [
      'cs:k8s:NodeRelatedEvent',
      'cs:k8s:PodRelatedEvent',
      'cs:k8s:DeploymentRelatedEvent',
      'cs:k8s:ReplicaSetRelatedEvent',
      'cs:k8s:k8s-event-via-arms',
      'cs:k8s:ConfigMapRelatedEvent',
      'cs:ActionTrail:ApiCall',
      'cs:Config:ConfigurationItemChangeNotification',
    ];
    expect(types.filter((t) => matchesEventPattern(p, event('acs.cs', t)))).toEqual(types.slice(0, 4));
    const samples = readdirSync('events/alarms').filter((f) => f.startsWith('ack-'));
    expect(samples.length).toBeGreaterThanOrEqual(4);
    for (const f of samples) {
      expect([f, matchesEventPattern(p, JSON.parse(readFileSync(`events/alarms/${f}`, 'utf8')))]).toEqual([f, true]);
    }
    const fcSample = JSON.parse(readFileSync('events/fc/eventbridge-ack.json', 'utf8')) as unknown[];
    expect(fcSample.every((e) => matchesEventPattern(p, e))).toBe(true);
  });
});
