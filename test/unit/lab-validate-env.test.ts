import { runValidate } from '../../cli/validate';

describe('validate without runtime secrets', () => {
  test('examples/three-region.yaml validates with its DingTalk variables unset, which are noted, not failed', async () => {
    const log: string[] = [];
    const error: string[] = [];
    const code = await runValidate(['examples/three-region.yaml'], { log: (s) => log.push(s), error: (s) => error.push(s) }, {});
    expect(error.filter((e) => !e.startsWith('warning:'))).toEqual([
      'note: environment variable DINGTALK_WEBHOOK is not set; the runtime needs it',
      'note: environment variable DINGTALK_SECRET is not set; the runtime needs it',
    ]);
    expect(code).toBe(0);
    expect(log[0]).toMatch(/^ok: /);
  });
});
