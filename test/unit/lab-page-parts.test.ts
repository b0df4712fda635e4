import { faultEffect, niceMax, pct, regionColour } from '../../lab/page/scale';

/** The lab page's pure parts: its charts' axis tops and colours, its percents and fault effects. */
describe('lab page parts', () => {
  test('an axis top is the smallest 1, 2, 5 or 10 × a power of ten at or above the peak', () => {
    expect([0, 0.3, 1, 1.2, 3, 7, 10, 11, 420].map(niceMax)).toEqual([1, 0.5, 1, 2, 5, 10, 10, 20, 500]);
  });
  test('a region keeps its colour by its place among the known regions, sorted; an unknown one takes the next', () => {
    const known = ['cn-shanghai', 'cn-hangzhou'];
    expect(regionColour('cn-hangzhou', known)).toBe('#2da44e');
    expect(regionColour('cn-shanghai', known)).toBe('#bf8700');
    expect(regionColour('cn-beijing', known)).toBe('#8250df');
  });
  test('percent with one decimal, 0 of nothing', () => {
    expect([pct(1, 3), pct(2000, 2000), pct(5, 0)]).toEqual([33.3, 100, 0]);
  });
  test('a fault says what it does', () => {
    expect(faultEffect({ kind: 'error-rate', service: 'reviews', rate: 0.255, latencyMs: null })).toBe('25.5% 5xx');
    expect(faultEffect({ kind: 'latency', service: null, rate: null, latencyMs: 500 })).toBe('+500 ms');
    expect(faultEffect({ kind: 'region-down', service: 'reviews', rate: null, latencyMs: null })).toBe('pods down');
    expect(faultEffect({ kind: 'region-down', service: null, rate: null, latencyMs: null })).toBe('pods and gateway down');
  });
});
