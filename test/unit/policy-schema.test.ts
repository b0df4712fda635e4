import { readFileSync } from 'node:fs';
import { policyJsonSchema, SCHEMA_FILE } from '../../scripts/write-schema';

/** The parts of a JSON Schema these tests read. */
interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  default?: unknown;
  items?: JsonSchema;
  oneOf?: JsonSchema[];
}

const schema = JSON.parse(policyJsonSchema()) as JsonSchema;
const prop = (s: JsonSchema | undefined, ...path: string[]): JsonSchema | undefined =>
  path.reduce<JsonSchema | undefined>((at, key) => (key === '[]' ? at?.items : at?.properties?.[key]), s);

describe('docs/policy.schema.json', () => {
  it('is what the zod schema generates now (run `npm run schema` after changing the policy schema)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(policyJsonSchema());
  });

  it('describes what an operator writes: only name, mesh and regions are required', () => {
    expect(schema.required).toEqual(['name', 'mesh', 'regions']);
  });

  it('rejects unknown keys, as the loader does, so an editor flags a misspelt section', () => {
    expect([
      schema.additionalProperties,
      prop(schema, 'safety')?.additionalProperties,
      prop(schema, 'schedules', '[]')?.additionalProperties,
    ]).toEqual([false, false, false]);
    expect(prop(schema, 'mesh')?.oneOf?.map((branch) => branch.additionalProperties)).toEqual([false, false]);
  });

  it('durations are text or seconds, with defaults written the same way (not milliseconds)', () => {
    expect(prop(schema, 'recovery', 'holdFor')).toEqual({
      type: ['string', 'number'],
      default: '5m',
      description: 'A duration: 30s, 5m, 1h30m, 250ms, 2d, or a number of seconds',
    });
    expect([
      prop(schema, 'safety', 'cooldown')?.default,
      prop(schema, 'overrides', 'maxTtl')?.default,
      prop(schema, 'scaling', 'scaleDownDelay')?.default,
    ]).toEqual(['30s', '72h', '15m']);
  });
});
