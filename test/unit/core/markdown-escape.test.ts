import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dingtalkMarkdown, notifierFor } from '../../../shared/adapters/notify';
import { escapeMarkdown } from '../../../shared/core/markdown';
import { renderReport } from '../../../shared/engine/report';
import type { Timeline } from '../../../shared/engine/timeline';

/** Text from input (an alarm's name, an ACK reason) lands in Markdown as text: no link, image or HTML survives. */

const HOSTILE =
  '[click](https://evil.example/x) ![i](https://evil.example/p.png) <img src=x onerror=alert(1)> __b__ `c` | d\n# heading https://evil.example www.evil.example';

/** What a CommonMark/GFM renderer or a chat client would turn into a link, an image, HTML, emphasis, a heading or a table cell. */
function live(md: string): string[] {
  const found: string[] = [];
  if (/(^|[^\\])!?\[[^\]]*[^\\]\]\(/.test(md)) found.push('link or image');
  if (/<[a-z/!]/i.test(md)) found.push('raw HTML');
  if (/(^|[^\\])__/.test(md)) found.push('emphasis');
  if (/https?:\/\/|www\./i.test(md)) found.push('autolink');
  if (/(^|[^\\])`/.test(md)) found.push('code span');
  return found;
}

describe('escapeMarkdown', () => {
  it.each([
    ['[click](https://evil.example)', '\\[click\\](https:\u200b//evil.example)'],
    ['![i](x.png)', '\\!\\[i\\](x.png)'],
    ['<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    ['a | b', 'a \\| b'],
    ['line\n# heading\r\n- item', 'line \\# heading - item'],
    ['- leading dash', '\\- leading dash'],
    ['1. first', '1\\. first'],
    ['&lt;', '&amp;lt;'],
    ['cn-hangzhou HEALTHY → DOWN: cms-5xx (5 min)', 'cn-hangzhou HEALTHY → DOWN: cms-5xx (5 min)'],
  ])('%j → %j', (input, out) => {
    expect(escapeMarkdown(input)).toBe(out);
  });

  it('leaves nothing live in the hostile sample', () => {
    expect(live(HOSTILE)).toEqual(['link or image', 'raw HTML', 'emphasis', 'autolink', 'code span']);
    expect(live(escapeMarkdown(HOSTILE))).toEqual([]);
    expect(escapeMarkdown(HOSTILE)).not.toContain('\n');
  });
});

describe('the DingTalk notice', () => {
  it('escapes the title, the text, the explanation and the matrix lines', () => {
    const { text } = dingtalkMarkdown(
      {
        level: 'critical',
        title: `regionshift ${HOSTILE}`,
        text: HOSTILE,
        explanation: HOSTILE,
        mesh: 'm',
        at: 0,
        matrix: { [HOSTILE]: { a: 100 } },
        planId: 'p-1',
      },
      'https://control.example.com/',
    );
    const [own, ...rest] = text.split('\n').reverse();
    // The one link in the notice is our own dashboard link, on the last line.
    expect(own).toMatch(/^\[Open the dashboard at this moment\]\(https:\/\/control\.example\.com\/#at=/);
    expect(live(rest.join('\n'))).toEqual([]);
    expect(text.split('\n').filter((l) => l.startsWith('#'))).toHaveLength(1);
  });
});

describe('the postmortem report', () => {
  it('escapes every input text: alarm names, actors, reasons, step errors, refusals', () => {
    const t: Timeline = {
      mesh: 'bookinfo',
      from: 0,
      to: 60_000,
      regions: ['cn-hangzhou'],
      shares: { at: [0], bySource: { 'cn-hangzhou': { 'cn-hangzhou': [100] } } },
      confirmed: { at: [0], bySource: { 'cn-hangzhou': { 'cn-hangzhou': [100] } } },
      health: { 'cn-hangzhou': [{ status: 'DOWN', from: 0, to: 60_000 }] },
      decisions: [
        {
          at: 1000,
          planId: 'bookinfo-000001',
          actor: HOSTILE,
          summary: HOSTILE,
          explain: [HOSTILE],
          reasons: [HOSTILE],
          steps: [{ index: 0, kind: 'notify', text: HOSTILE, status: 'failed', error: HOSTILE, at: 1005, afterMs: 5, attempts: 1 }],
          refused: [{ rule: 'maxShiftPerStep', message: HOSTILE }],
        },
      ],
      events: [{ at: 2000, kind: 'ack', actor: HOSTILE, summary: HOSTILE }],
      truncated: { points: false, decisions: false, events: false, scan: false },
    };
    const { markdown } = renderReport(t, { image: { file: 'report.svg' } });
    const ours = /^!\[Share served per region, health bands and decisions\]\(report\.svg\)$/;
    const body = markdown.split('\n').filter((l) => !ours.test(l));
    expect(body.length).toBe(markdown.split('\n').length - 1);
    expect(live(body.join('\n').replace(/`bookinfo-000001`|`maxShiftPerStep`/g, ''))).toEqual([]);
    // A table row stays one row with its five cells.
    const row = body.find((l) => l.startsWith('| 1 |')) as string;
    expect(row.split(/(?<!\\)\|/)).toHaveLength(7);
  });
});

describe('a notification that a target refuses', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      res.statusCode = req.url === '/down' ? 503 : 200;
      res.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('rejects (not retryable, naming the failure) after every target was tried, and logs each failure', async () => {
    const log: Array<Record<string, unknown>> = [];
    const notifier = notifierFor(
      [
        { type: 'webhook', url: `${base}/down`, minLevel: 'info' },
        { type: 'webhook', url: `${base}/up`, minLevel: 'info' },
      ],
      (l) => log.push(l),
      { dashboardUrl: undefined },
    );
    await expect(notifier.notify({ level: 'info', title: 't', text: 'x', mesh: 'm', at: 0 })).rejects.toMatchObject({
      code: 'NOTIFY.FAILED',
      retryable: false,
      message: '1 of 2 notification targets failed: webhook answered 503',
    });
    expect(log).toEqual([{ msg: 'notification failed', error: 'webhook answered 503' }]);
  });

  it('resolves when every target took it', async () => {
    const notifier = notifierFor([{ type: 'webhook', url: `${base}/up`, minLevel: 'info' }], () => undefined, { dashboardUrl: undefined });
    await expect(notifier.notify({ level: 'info', title: 't', text: 'x', mesh: 'm', at: 0 })).resolves.toBeUndefined();
  });
});
