import { readFileSync } from 'node:fs';
import { startLab, type Lab } from '../../lab/world';
import type { BusPublishResult } from '../../lab/host/event-buses';
import { fastLabFiles, until } from './lab-fixture';

/**
 * ACK events from every cluster region (issue 18): kube-eventer publishes a cluster's events on
 * its own region's default bus; the functions run in cn-beijing, whose trigger never sees
 * cn-shanghai's bus. Only the cross-region rule on cn-shanghai's bus (an HTTPS target to the
 * cluster-events HTTP entry, infra/eventbridge/ack-forwarding.ts) brings them over.
 */

/** The NodeNotReady sample, as the node controller of the cn-shanghai cluster records it now. */
function nodeNotReady(at: number, id: string): Record<string, unknown> {
  const sample = JSON.parse(readFileSync('events/alarms/ack-node-notready.json', 'utf8')) as Record<string, unknown> & {
    data: Record<string, unknown>;
  };
  const node = 'cn-shanghai.10.0.2.17';
  const iso = new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    ...sample,
    id,
    subject: `acs:cs:cn-shanghai:${String(sample.aliyunaccountid)}:c-shanghai/apis/v1/namespaces//nodes/${node}`,
    time: iso,
    aliyunregionid: 'cn-shanghai',
    aliyunpublishtime: new Date(at).toISOString(),
    data: {
      ...sample.data,
      involvedObject: { kind: 'Node', name: node, uid: node, apiVersion: 'v1' },
      message: `Node ${node} status is now: NodeNotReady`,
      firstTimestamp: iso,
      lastTimestamp: iso,
    },
  };
}

async function publish(lab: Lab, region: string, event: unknown): Promise<BusPublishResult> {
  const res = await fetch(`${lab.hostUrl}/_buses/${region}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(event),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as BusPublishResult;
}

type Status = { activeSignals: Array<{ source: string; region: string; severity: string; key: string }> };
async function status(lab: Lab): Promise<Status> {
  const res = await fetch(`${lab.hostUrl}/control/v1/status`, { headers: { authorization: `Bearer ${lab.secrets.readToken}` } });
  return (await res.json()) as Status;
}
const ackSignals = (s: Status) => s.activeSignals.filter((x) => x.source === 'ack');

describe('a NodeNotReady from the cn-shanghai cluster', () => {
  test("without the rule on cn-shanghai's bus it reaches nothing: no delivery, no signal", async () => {
    const lab = await startLab({ ...fastLabFiles(), background: false, ackRuleRegions: ['cn-hangzhou'] });
    try {
      expect(lab.ackRules.map((r) => r.region)).toEqual(['cn-hangzhou']);
      const result = await publish(lab, 'cn-shanghai', nodeNotReady(Date.now(), 'a6f1c0de-0000-4000-8000-000000000001'));
      expect(result).toEqual({ region: 'cn-shanghai', events: 1, deliveries: [], unmatched: ['a6f1c0de-0000-4000-8000-000000000001'] });
      expect(ackSignals(await status(lab))).toEqual([]);
    } finally {
      await lab.stop();
    }
  }, 60_000);

  test('with the rule, it reaches cluster-events over the HTTPS-target path and becomes a down signal for cn-shanghai', async () => {
    const lab = await startLab({ ...fastLabFiles(), background: false });
    try {
      // Every region of the policy but the functions' own (cn-beijing) has its rule.
      expect(lab.ackRules.map((r) => [r.region, r.ruleName, r.target.type])).toEqual([
        ['cn-hangzhou', 'regionshift-ack-events-to-cn-beijing', 'http'],
        ['cn-shanghai', 'regionshift-ack-events-to-cn-beijing', 'http'],
      ]);
      expect(ackSignals(await status(lab))).toEqual([]);
      const result = await publish(lab, 'cn-shanghai', nodeNotReady(Date.now(), 'a6f1c0de-0000-4000-8000-000000000002'));
      // Pushed by the rule to the function's HTTP trigger (the token stays out of the report).
      expect(result.deliveries).toEqual([
        {
          rule: 'regionshift-ack-events-to-cn-beijing',
          target: '/cluster-events/ack',
          events: ['a6f1c0de-0000-4000-8000-000000000002'],
          status: 200,
        },
      ]);
      expect(result.unmatched).toEqual([]);
      const after = await until(
        () => status(lab),
        (s) => ackSignals(s).length > 0,
      );
      expect(ackSignals(after).map((x) => [x.region, x.severity])).toEqual([['cn-shanghai', 'down']]);
      expect(ackSignals(after)[0]?.key).toContain('ack-node-not-ready');
    } finally {
      await lab.stop();
    }
  }, 60_000);
});

test("the cross-region HTTP entry refuses a push without the token (401), and the trigger of the functions' region still hears its own bus", async () => {
  const lab = await startLab({ ...fastLabFiles(), background: false });
  try {
    const event = nodeNotReady(Date.now(), 'a6f1c0de-0000-4000-8000-000000000003');
    const anonymous = await fetch(`${lab.hostUrl}/cluster-events/ack`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(event),
    });
    expect(anonymous.status).toBe(401);
    const wrong = await fetch(`${lab.hostUrl}/cluster-events/ack`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-eventbridge-signature-token': 'not-the-token-at-all' },
      body: JSON.stringify(event),
    });
    expect(wrong.status).toBe(401);
    expect(ackSignals(await status(lab))).toEqual([]);
    // An event of the functions' own region is the trigger's (no forwarding rule there).
    const own = await publish(lab, 'cn-beijing', { ...event, aliyunregionid: 'cn-beijing' });
    expect(own.deliveries.map((d) => [d.rule, d.status])).toEqual([['cluster-events trigger', 200]]);
  } finally {
    await lab.stop();
  }
}, 60_000);
