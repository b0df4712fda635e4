import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

/**
 * Child processes start many times in this suite (every kill -9 run starts two or three), and
 * compiling TypeScript at each start costs seconds on a busy machine. So a worker is bundled once
 * (dependencies left in node_modules) into `.regionshift/reliability/`, inside the checkout so
 * that its imports resolve, and started with plain `node`.
 */
const built = new Map<string, Promise<string>>();

export function compiledWorker(entry: string): Promise<string> {
  let out = built.get(entry);
  if (!out) {
    const file = path.resolve('.regionshift', 'reliability', `${path.basename(entry, '.ts')}.mjs`);
    mkdirSync(path.dirname(file), { recursive: true });
    out = build({
      entryPoints: [entry],
      outfile: file,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'error',
    }).then(() => file);
    built.set(entry, out);
  }
  return out;
}
