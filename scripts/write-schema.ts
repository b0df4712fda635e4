import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { policySchema } from '../shared/core/policy-schema';

/**
 * The policy's JSON Schema, for editors (`# yaml-language-server: $schema=...`) and other tools.
 * It describes what an operator writes (the input side: durations as text or seconds), and is
 * generated from the zod schema so the two cannot disagree. `--check` fails when the committed
 * file is stale instead of rewriting it.
 */

export const SCHEMA_FILE = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'policy.schema.json');

export function policyJsonSchema(): string {
  const schema = z.toJSONSchema(policySchema, { io: 'input', target: 'draft-2020-12' });
  const document = {
    $schema: schema.$schema,
    title: 'regionshift policy',
    description: 'Everything an operator declares about one mesh: regions, detection, recovery, safety, scaling, schedules, drills.',
    ...schema,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

function main(args: string[]): number {
  const fresh = policyJsonSchema();
  if (args.includes('--check')) {
    let committed = '';
    try {
      committed = readFileSync(SCHEMA_FILE, 'utf8');
    } catch {
      // A missing file is stale too.
    }
    if (committed === fresh) return 0;
    console.error('docs/policy.schema.json is stale: run npm run schema');
    return 1;
  }
  writeFileSync(SCHEMA_FILE, fresh);
  console.log('wrote docs/policy.schema.json');
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main(process.argv.slice(2));
