import { dashboardScript } from '../../../functions/control/dashboard-asset';
import { renderDashboard } from '../../../functions/control/dashboard';

/**
 * The dashboard's script as served: the browser app bundled by esbuild. From source it is bundled
 * on first use; the build bundles it with the same options (scripts/build.mjs), so what the lab
 * serves is what is deployed.
 */
describe('dashboard bundle', () => {
  test('the build and the source path produce the same script', async () => {
    // @ts-expect-error: the build script is plain JavaScript without types
    const { bundleDashboard } = (await import('../../../scripts/build.mjs')) as { bundleDashboard: () => Promise<string> };
    expect(await bundleDashboard()).toBe(dashboardScript());
  });

  test('one self-contained IIFE: no import or require left, no closing script tag inside the page', () => {
    const js = dashboardScript();
    expect(js.length).toBeGreaterThan(10_000);
    expect(js).not.toMatch(/\brequire\(|^import |\bimport\(/m);
    const page = renderDashboard();
    const body = page.slice(page.lastIndexOf('<script>') + '<script>'.length, page.lastIndexOf('</script>'));
    expect(body).not.toMatch(/<\/script/i);
    expect(body.length).toBeGreaterThanOrEqual(js.length);
  });
});
