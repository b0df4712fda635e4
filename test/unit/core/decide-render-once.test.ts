import { decide } from '../../../shared/core/decide';
import { renderMeshConfig } from '../../../shared/core/render';
import { T0, policy2 } from './fixtures';

/**
 * A decision that plans a mesh step renders (and validates) its config once: the step and the
 * plan's `after` carry the same config object, equal to what renderMeshConfig gives.
 */
test('the mesh step and plan.after share one rendered config', () => {
  const p = policy2();
  const d = decide(p, null, { kind: 'tick' }, T0);
  const mesh = d.plan.steps.find((s) => s.kind === 'mesh');
  expect(mesh?.kind).toBe('mesh');
  if (mesh?.kind !== 'mesh' || !d.plan.after) throw new Error('expected a mesh step and an after');
  expect(d.plan.after.config).toBe(mesh.config);
  expect(mesh.config).toEqual(renderMeshConfig(mesh.matrix, p));
});
