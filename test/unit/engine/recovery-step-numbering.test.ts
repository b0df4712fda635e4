import { healthText, renderStatus } from '../../../cli/control-render';
import { healthHeadline, recoveryStepText } from '../../../functions/control/dashboard/format';
import { downSignal, World } from './harness';

/**
 * One numbering of the recovery steps, counted from 1, wherever a person reads it: the status API,
 * the CLI, the dashboard and the explain lines all say "step 1/3 (25%)" for the first step.
 */

const MIN = 60_000;
let w: World;
beforeEach(() => {
  w = new World();
});
afterEach(() => w.cleanup());

describe('a region at its first recovery step', () => {
  it('is step 1/3 (25%) in the status API, the CLI and the explain lines; the second is step 2/3 (50%)', async () => {
    const engine = w.engine();
    await w.baseline(engine);
    w.clock.advance(MIN);
    await engine.ingest([downSignal(w.clock)], 'alarm');
    w.clock.advance(MIN);
    await engine.ingest([downSignal(w.clock, { status: 'resolved' })], 'alarm');
    // Hold 5 min (the default holdFor), then the first step (25%); steps 2 min apart.
    let explain: string[] = [];
    for (let i = 0; i < 6 && (await engine.status()).health['cn-hangzhou']?.status !== 'RECOVERING'; i++) {
      w.clock.advance(MIN);
      explain = (await engine.tick()).decision?.plan.reasons ?? explain;
    }
    const first = (await engine.status()).health['cn-hangzhou'];
    expect(first).toEqual({
      status: 'RECOVERING',
      since: expect.any(String) as unknown,
      step: 1,
      steps: 3,
      percent: 25,
      causes: expect.any(Array) as unknown,
    });
    expect(explain.find((r) => r.startsWith('cn-hangzhou DOWN → RECOVERING'))).toMatch(/^cn-hangzhou DOWN → RECOVERING\(step 1\)/);

    const lines: string[] = [];
    renderStatus(await engine.status(), { log: (s) => lines.push(s), error: (s) => lines.push(s) });
    expect(lines.find((l) => l.includes('cn-hangzhou'))).toMatch(/cn-hangzhou +RECOVERING step 1\/3 \(25%\)/);

    for (let i = 0; i < 3 && (await engine.status()).health['cn-hangzhou']?.step === 1; i++) {
      w.clock.advance(MIN);
      const reasons = (await engine.tick()).decision?.plan.reasons ?? [];
      if (reasons.length) explain = reasons;
    }
    expect((await engine.status()).health['cn-hangzhou']).toMatchObject({ step: 2, steps: 3, percent: 50 });
    expect(explain.find((r) => r.startsWith('cn-hangzhou RECOVERING → RECOVERING'))).toMatch(
      /^cn-hangzhou RECOVERING → RECOVERING\(step 2\): recovery step 2\/3/,
    );
  });
});

describe('healthText and the dashboard', () => {
  it.each([
    [{ status: 'HEALTHY' }, 'HEALTHY'],
    [{ status: 'RECOVERING', step: 1, steps: 3, percent: 25 }, 'RECOVERING step 1/3 (25%)'],
    [{ status: 'RECOVERING', step: 3, steps: 3, percent: 100 }, 'RECOVERING step 3/3 (100%)'],
  ])('%j → %s', (h, text) => {
    expect(healthText(h)).toBe(text);
  });

  it('the dashboard words a step as the status API numbers it, not as the core indexes it', () => {
    // The page's own functions (functions/control/dashboard/format.ts, bundled into the page), run on the status API's fields.
    expect(recoveryStepText({ step: 1, steps: 3, percent: 25 })).toBe('step 1/3 (25%)');
    expect(healthHeadline({ status: 'RECOVERING', step: 1, steps: 3, percent: 25 })).toBe('RECOVERING · step 1/3 (25%)');
  });
});
