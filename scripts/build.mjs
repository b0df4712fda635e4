// Bundles each function listed in s.yaml into the folder its `code` names, one CommonJS file
// per function, so what is deployed can never drift from what is built.
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { parse } from 'yaml';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** `{key, code, handlerFile, exportName}` for every fc3 resource; throws naming what does not line up. */
export function functionsFromSYaml(sYamlPath = path.join(root, 's.yaml')) {
  const doc = parse(readFileSync(sYamlPath, 'utf8'));
  const problems = [];
  const out = [];
  for (const [key, resource] of Object.entries(doc?.resources ?? {})) {
    if (resource?.component !== 'fc3') continue;
    const props = resource.props ?? {};
    const expectedCode = `./dist/${key}`;
    if (props.code !== expectedCode) problems.push(`resources.${key}.props.code: must be ${expectedCode} (got ${JSON.stringify(props.code)})`);
    const [file, exportName, extra] = String(props.handler ?? '').split('.');
    if (file !== 'index' || !exportName || extra !== undefined) problems.push(`resources.${key}.props.handler: must be index.<export> (got ${JSON.stringify(props.handler)})`);
    const entry = path.join(root, 'functions', key, 'handler.ts');
    if (!existsSync(entry)) problems.push(`resources.${key}: no functions/${key}/handler.ts`);
    out.push({ key, code: expectedCode, entry, exportName });
  }
  if (out.length === 0) problems.push('resources: no fc3 functions');
  if (problems.length) throw new Error(`s.yaml does not match the functions folder:\n  ${problems.join('\n  ')}`);
  return out;
}

/**
 * FC keeps state in Tablestore; the SQLite adapter (a native module) is for one machine only and
 * the deployed code folder has no node_modules. Left external, any import of it would crash the
 * function at load, so it becomes a module that loads fine and explains itself if ever used.
 */
const MACHINE_ONLY_MODULES = ['better-sqlite3'];
const machineOnlyModules = {
  name: 'machine-only-modules',
  setup(b) {
    const filter = new RegExp(`^(${MACHINE_ONLY_MODULES.join('|')})$`);
    b.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'machine-only' }));
    b.onLoad({ filter: /.*/, namespace: 'machine-only' }, (args) => ({
      loader: 'js',
      contents: `module.exports = function unavailable() { throw new Error(${JSON.stringify(`${args.path} is not bundled for Function Compute: set REGIONSHIFT_STATE=tablestore`)}); };`,
    }));
  },
};

/**
 * The dashboard's chart library goes into the bundle as text (functions/control/uplot-asset.ts
 * reads it from node_modules when run from source; the deployed folder has no node_modules).
 */
const inlineUplot = {
  name: 'inline-uplot',
  setup(b) {
    b.onLoad({ filter: /functions[\\/]control[\\/]uplot-asset\.ts$/ }, () => {
      const dist = path.join(root, 'node_modules', 'uplot', 'dist');
      const js = readFileSync(path.join(dist, 'uPlot.iife.min.js'), 'utf8');
      const css = readFileSync(path.join(dist, 'uPlot.min.css'), 'utf8');
      return { loader: 'js', contents: `export const UPLOT_JS = ${JSON.stringify(js)};\nexport const UPLOT_CSS = ${JSON.stringify(css)};\n` };
    });
  },
};

export const WITHOUT_POLICY_FLAG = '--without-policy';

/**
 * Which policy the bundles carry. Bundles without one deploy fine and then fail at every
 * invocation (or run whatever REGIONSHIFT_POLICY happens to hold), so a missing policy stops the
 * build unless it is asked for explicitly; checked before anything is bundled or removed.
 */
export function policyForBuild({ policyFile, withoutPolicy = false }) {
  if (policyFile) {
    if (!existsSync(policyFile)) throw new Error(`REGIONSHIFT_DEPLOY_POLICY: no file at ${policyFile}`);
    return policyFile;
  }
  if (withoutPolicy) return undefined;
  throw new Error(
    'REGIONSHIFT_DEPLOY_POLICY is not set: the bundles would carry no policy.yaml.\n' +
      '  REGIONSHIFT_DEPLOY_POLICY=<policy.yaml> npm run build   ships that policy beside each bundle\n' +
      `  npm run build -- ${WITHOUT_POLICY_FLAG}                    builds without one: each function then needs REGIONSHIFT_POLICY (inline YAML, FC caps a function's environment at about 4 KB)`,
  );
}

export async function buildFunctions({ sYamlPath, outRoot = root, policyFile = process.env.REGIONSHIFT_DEPLOY_POLICY || undefined, withoutPolicy = false } = {}) {
  policyFile = policyForBuild({ policyFile, withoutPolicy });
  const fns = functionsFromSYaml(sYamlPath);
  const results = [];
  for (const fn of fns) {
    const outDir = path.join(outRoot, fn.code);
    await rm(outDir, { recursive: true, force: true });
    await mkdir(outDir, { recursive: true });
    const started = performance.now();
    const result = await build({
      entryPoints: [fn.entry],
      outfile: path.join(outDir, 'index.js'),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      plugins: [machineOnlyModules, inlineUplot],
      // tsconfig's strict implies alwaysStrict, which makes esbuild put "use strict" on top of the
      // whole bundle. The tablestore SDK assigns undeclared loop variables (`for (key in …)`,
      // `for (pro in …)`): fine in the sloppy CommonJS it was written as, a ReferenceError under
      // strict mode. Our own code is ES modules and does not depend on the directive.
      tsconfigRaw: { compilerOptions: { alwaysStrict: false } },
      legalComments: 'none',
      // Smaller bundles parse faster on cold start; keepNames keeps error class names readable in logs.
      minify: true,
      keepNames: true,
      logLevel: 'silent',
      metafile: true,
    });
    // The repository is an ES module package; this marks the bundle as CommonJS wherever it is loaded.
    await writeFile(path.join(outDir, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
    // FC caps a function's environment at about 4 KB, too little for a policy: ship it in the bundle.
    if (policyFile) await copyFile(policyFile, path.join(outDir, 'policy.yaml'));
    const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
    results.push({ function: fn.key, out: path.relative(root, path.join(outDir, 'index.js')), bytes, ms: Math.round(performance.now() - started) });
  }
  return results;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const withoutPolicy = process.argv.includes(WITHOUT_POLICY_FLAG);
    for (const r of await buildFunctions({ withoutPolicy })) console.log(`${r.out}  ${(r.bytes / 1024).toFixed(0)} KiB  ${r.ms} ms`);
    if (withoutPolicy && !process.env.REGIONSHIFT_DEPLOY_POLICY) {
      console.error(`WARNING: built ${WITHOUT_POLICY_FLAG}: no bundle carries policy.yaml; every function reads its policy from REGIONSHIFT_POLICY (inline YAML) and fails without it.`);
    }
  } catch (err) {
    console.error(err.errors?.length ? err.errors.map((e) => `${e.location?.file ?? ''}:${e.location?.line ?? ''} ${e.text}`).join('\n') : err.message);
    process.exit(1);
  }
}
