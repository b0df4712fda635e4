// Bundles each function listed in s.yaml into the folder its `code` names, one CommonJS entry
// file per function, so what is deployed can never drift from what is built. The cloud SDKs are
// bundled on their own beside it (see LAZY_SDKS): the entry loads at cold start, an SDK only when
// the function first uses it.
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
    if (props.code !== expectedCode)
      problems.push(`resources.${key}.props.code: must be ${expectedCode} (got ${JSON.stringify(props.code)})`);
    const [file, exportName, extra] = String(props.handler ?? '').split('.');
    if (file !== 'index' || !exportName || extra !== undefined)
      problems.push(`resources.${key}.props.handler: must be index.<export> (got ${JSON.stringify(props.handler)})`);
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
 * The cloud SDKs (about 2.1 MB of the 3.9 MB a function held when they were bundled in): kept out
 * of the entry and bundled each into `dist/<fn>/node_modules/<pkg>/index.js`, only for the
 * functions whose code imports them. The runtime reaches them through `import()` (the state store,
 * the adapters the policy names, the handoff), which esbuild turns into a `require` run on first
 * use; Node resolves the bare name from the function's own folder, which FC uploads whole. So the
 * cold `require` of the entry parses none of them.
 */
export const LAZY_SDKS = ['@alicloud/fc20230330', '@alicloud/pop-core', '@kubernetes/client-node', 'tablestore'];

const COMMON = {
  // Metafile paths relative to the repository wherever the build is started from.
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
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
};

/**
 * What the code takes from each SDK, read from the bundled sources: `import { A, type B } from 'pkg'`
 * names A (so the SDK's file is tree-shaken to what is used: the Kubernetes client alone is 3.6 MB
 * whole, about 1.1 MB for the APIs used); a default, namespace or dynamic import needs all of it.
 */
function sdkImportsOf(files) {
  const wanted = new Map();
  for (const file of files) {
    const text = readFileSync(path.join(root, file), 'utf8');
    for (const pkg of LAZY_SDKS) {
      const quoted = `['"]${pkg.replace(/[/.]/g, (c) => `\\${c}`)}['"]`;
      if (!new RegExp(quoted).test(text)) continue;
      const entry = wanted.get(pkg) ?? { all: false, names: new Set() };
      wanted.set(pkg, entry);
      for (const m of text.matchAll(new RegExp(`import\\s+(type\\s+)?([^;]*?)\\s+from\\s+${quoted}`, 'g'))) {
        if (m[1]) continue; // types only
        const clause = m[2].trim();
        const named = /^\{([^}]*)\}$/.exec(clause);
        if (!named) {
          entry.all = true;
          continue;
        }
        for (const part of named[1].split(',')) {
          const name = part.trim();
          if (name && !name.startsWith('type ')) entry.names.add(name.split(/\s+as\s+/)[0]);
        }
      }
      if (new RegExp(`import\\(\\s*${quoted}`).test(text) || new RegExp(`require\\(\\s*${quoted}`).test(text)) entry.all = true;
    }
  }
  return wanted;
}

/** One SDK as a self-contained CommonJS file: whole (`module.exports = require(pkg)`, its own shape) or the names used. */
async function buildSdk(pkg, use, outfile) {
  const contents =
    use.all || use.names.size === 0
      ? `module.exports = require(${JSON.stringify(pkg)});`
      : `export { ${[...use.names].sort().join(', ')} } from ${JSON.stringify(pkg)};`;
  const result = await build({
    ...COMMON,
    stdin: { contents, resolveDir: root, loader: 'js', sourcefile: `${pkg}.sdk.js` },
    outfile,
  });
  return Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
}

/**
 * zod's classic API re-exports every message locale (`z.locales`, about 260 KB minified, over a
 * third of an entry) though it configures English only and the code uses no other: the entry
 * gets a `locales` module with English alone. `z.locales.<other>` would be undefined in a bundle.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    // The CommonJS build (.cjs, what a `require` resolves to) or the ES one (.js).
    b.onResolve({ filter: /^\.\.\/locales\/index\.c?js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]v4[\\/](classic|core)$/.test(args.resolveDir)
        ? { path: path.join(args.resolveDir, '..', 'locales', `en-only${path.extname(args.path)}`), namespace: 'zod-en' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-en' }, (args) => ({
      loader: 'js',
      resolveDir: path.dirname(args.path),
      contents: args.path.endsWith('.cjs') ? 'exports.en = require("./en.cjs").default;' : 'export { default as en } from "./en.js";',
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
      return {
        loader: 'js',
        contents: `export const UPLOT_JS = ${JSON.stringify(js)};\nexport const UPLOT_CSS = ${JSON.stringify(css)};\n`,
      };
    });
  },
};

/**
 * The inputs a `require` of the entry evaluates: those the entry reaches through static imports.
 * What is reached only through `import()` is bundled in the same file but wrapped by esbuild in a
 * lazy initialiser that runs on first use, so it costs parsing only, not evaluation.
 */
export function loadedAtRequire(metafile, entry) {
  const seen = new Set();
  const queue = [entry];
  while (queue.length) {
    const file = queue.shift();
    if (seen.has(file)) continue;
    seen.add(file);
    for (const i of metafile.inputs[file]?.imports ?? []) {
      if (!i.external && (i.kind === 'import-statement' || i.kind === 'require-call')) queue.push(i.path);
    }
  }
  return [...seen].sort();
}

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

/** The file beside each entry holding what the entry reaches only through `import()`. */
export const LAZY_FILE = 'lazy.js';

/** Repository-relative, forward slashes: how the metafile names an input. */
const rel = (p) => path.relative(root, p).split(path.sep).join('/');

/**
 * Entry build: every `import()` of our own code (the runtime, the control routes) becomes a
 * reference into LAZY_FILE, loaded by `require` on first use, so V8 neither parses nor evaluates
 * it at cold start. `targets` collects the modules so referenced (index = position).
 * `sharedList` is what the lazy file takes from the entry (filled after the lazy file is built).
 */
function lazyRefs(targets, sharedList) {
  return {
    name: 'lazy-refs',
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.kind !== 'dynamic-import' || args.pluginData?.lazyRefs || args.namespace !== 'file') return undefined;
        const r = await b.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          pluginData: { lazyRefs: true },
        });
        if (r.errors.length || r.external || r.namespace !== 'file') return undefined;
        if (!targets.includes(r.path)) targets.push(r.path);
        return { path: r.path, namespace: 'lazy-ref' };
      });
      b.onResolve({ filter: /^lazy-loader$/ }, () => ({ path: 'lazy-loader', namespace: 'lazy-loader' }));
      b.onResolve({ filter: new RegExp(`^\\./${LAZY_FILE.replace('.', '\\.')}$`) }, (args) => ({ path: args.path, external: true }));
      b.onLoad({ filter: /.*/, namespace: 'lazy-ref' }, (args) => ({
        loader: 'js',
        contents: `module.exports = require("lazy-loader").load().m${targets.indexOf(args.path)};`,
      }));
      // The modules the lazy file shares with the entry, handed over as the entry evaluated them:
      // one copy of zod, of the error classes (instanceof holds across the two files), of any
      // module-level state. Imported here statically, but this module itself is reached only
      // from a lazy reference, so it adds nothing to what the entry evaluates at require.
      b.onLoad({ filter: /.*/, namespace: 'lazy-loader' }, () => ({
        loader: 'js',
        resolveDir: root,
        contents: [
          ...sharedList.map((file, i) => `import * as s${i} from ${JSON.stringify(path.join(root, file))};`),
          `const asModule = (ns) => { const o = { __esModule: true }; for (const k of Object.keys(ns)) Object.defineProperty(o, k, { enumerable: true, get: () => ns[k] }); return o; };`,
          `let lazy;`,
          `export function load() { return (lazy ??= require("./${LAZY_FILE}")([${sharedList.map((_, i) => `s${i}`).join(', ')}].map(asModule))); }`,
        ].join('\n'),
      }));
    },
  };
}

/**
 * Lazy build: every import of an ES module the entry already evaluated at require resolves to
 * the entry's own copy (`__shared[i]`, the parameter of the function LAZY_FILE exports), so no
 * module exists twice. CommonJS inputs are left to be bundled again (their `module.exports` shape
 * cannot be handed over as a namespace).
 */
function entryRefs(atRequireEsm, sharedList) {
  return {
    name: 'entry-refs',
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData?.entryRefs || args.namespace !== 'file' || args.kind === 'entry-point') return undefined;
        const r = await b.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          pluginData: { entryRefs: true },
        });
        if (r.errors.length || r.external || r.namespace !== 'file' || !atRequireEsm.has(rel(r.path))) return undefined;
        if (!sharedList.includes(rel(r.path))) sharedList.push(rel(r.path));
        return { path: rel(r.path), namespace: 'entry-ref' };
      });
      b.onLoad({ filter: /.*/, namespace: 'entry-ref' }, (args) => ({
        loader: 'js',
        contents: `module.exports = __shared[${sharedList.indexOf(args.path)}];`,
      }));
    },
  };
}

/** How a page's browser bundle is built (functions/control/dashboard-asset.ts BROWSER_BUNDLE holds the same). */
export const BROWSER_BUNDLE = {
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  charset: 'utf8',
};

let dashboardBundle;
/** The dashboard's browser app (functions/control/dashboard/main.ts), bundled once per build. */
export function bundleDashboard() {
  dashboardBundle ??= build({
    ...BROWSER_BUNDLE,
    absWorkingDir: root,
    entryPoints: [path.join(root, 'functions', 'control', 'dashboard', 'main.ts')],
    write: false,
    logLevel: 'silent',
  }).then((r) => r.outputFiles[0].text);
  return dashboardBundle;
}

/**
 * The dashboard's script goes into the bundle as text: functions/control/dashboard-asset.ts
 * bundles it with esbuild on first use when run from source; the deployed folder has neither
 * esbuild nor the browser sources.
 */
const inlineDashboard = {
  name: 'inline-dashboard',
  setup(b) {
    b.onLoad({ filter: /functions[\\/]control[\\/]dashboard-asset\.ts$/ }, async () => ({
      loader: 'js',
      contents: `export function dashboardScript() { return ${JSON.stringify(await bundleDashboard())}; }\n`,
    }));
  },
};

const PLUGINS = [machineOnlyModules, zodEnglishOnly, inlineUplot, inlineDashboard];

/**
 * One function in two files. `index.js` (what FC requires at cold start) holds the handler and its
 * middleware; `lazy.js` beside it holds what the handler reaches through `import()` (the envelope
 * and event schemas with zod, the alarm parsers, the runtime, the engine and policy parser, the
 * control routes and dashboard), loaded on the first invocation. V8 parses a whole file at require, evaluated or not, so the half used
 * only from the first invocation on costs the cold start nothing. esbuild's code splitting would
 * do this with ES module output only; both files here are CommonJS, and the lazy one receives the
 * entry's modules instead of carrying copies (entryRefs).
 */
async function buildSplit(fn, outDir) {
  const entryRel = rel(fn.entry);
  const targets = [];
  const sharedList = [];
  const entryOptions = { ...COMMON, entryPoints: [fn.entry], outfile: path.join(outDir, 'index.js'), external: LAZY_SDKS };
  // 1. The entry alone, to learn what it evaluates at require and what it imports lazily.
  const probe = await build({ ...entryOptions, write: false, plugins: [lazyRefs(targets, sharedList), ...PLUGINS] });
  const atRequire = loadedAtRequire(probe.metafile, entryRel);
  const atRequireEsm = new Set(atRequire.filter((f) => probe.metafile.inputs[f]?.format === 'esm'));
  // 2. The lazy file: a function of the shared modules returning the lazily imported namespaces.
  let lazy = null;
  if (targets.length) {
    lazy = await build({
      ...COMMON,
      format: 'iife',
      globalName: '__lazy',
      stdin: {
        contents: targets.map((t, i) => `export * as m${i} from ${JSON.stringify(t)};`).join('\n'),
        resolveDir: root,
        loader: 'js',
        sourcefile: `${fn.key}.lazy.js`,
      },
      outfile: path.join(outDir, LAZY_FILE),
      external: LAZY_SDKS,
      // The parentheses are V8's hint to compile the function when the file is compiled: without
      // them its 600 KB body is pre-parsed with the file and parsed again when it is called.
      banner: { js: 'module.exports = (function (__shared) {' },
      footer: { js: 'return __lazy;\n});' },
      plugins: [entryRefs(atRequireEsm, sharedList), ...PLUGINS],
    });
  }
  // 3. The entry, handing the lazy file the modules it shares.
  const result = await build({ ...entryOptions, plugins: [lazyRefs([...targets], sharedList), ...PLUGINS] });
  const finalAtRequire = loadedAtRequire(result.metafile, entryRel);
  if (finalAtRequire.join() !== atRequire.join())
    throw new Error(`${fn.key}: handing modules to ${LAZY_FILE} changed what the entry evaluates at require`);
  // What the lazy file bundles itself (the entry's modules reach it as references, not copies).
  const lazyInputs = lazy
    ? Object.keys(lazy.metafile.inputs)
        .filter((f) => !f.includes(':'))
        .sort()
    : [];
  return { entry: result.metafile, lazy: lazy?.metafile ?? null, atRequire, shared: sharedList, lazyInputs };
}

export async function buildFunctions({
  sYamlPath,
  outRoot = root,
  policyFile = process.env.REGIONSHIFT_DEPLOY_POLICY || undefined,
  withoutPolicy = false,
} = {}) {
  policyFile = policyForBuild({ policyFile, withoutPolicy });
  const fns = functionsFromSYaml(sYamlPath);
  const built = [];
  for (const fn of fns) {
    const outDir = path.join(outRoot, fn.code);
    await rm(outDir, { recursive: true, force: true });
    await mkdir(outDir, { recursive: true });
    const started = performance.now();
    const split = await buildSplit(fn, outDir);
    // The repository is an ES module package; this marks the bundle as CommonJS wherever it is loaded.
    await writeFile(path.join(outDir, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
    // FC caps a function's environment at about 4 KB, too little for a policy: ship it in the bundle.
    if (policyFile) await copyFile(policyFile, path.join(outDir, 'policy.yaml'));
    const inputs = new Set();
    const used = new Set();
    const metafiles = [split.entry, split.lazy].filter(Boolean);
    for (const metafile of metafiles) {
      for (const out of Object.values(metafile.outputs)) {
        for (const i of out.imports) if (i.external && LAZY_SDKS.includes(i.path)) used.add(i.path);
      }
      for (const [file, input] of Object.entries(metafile.inputs)) {
        if (input.imports.some((i) => i.external && LAZY_SDKS.includes(i.path))) inputs.add(file);
      }
    }
    const sum = (metafile) => (metafile ? Object.values(metafile.outputs).reduce((n, o) => n + o.bytes, 0) : 0);
    built.push({
      fn,
      outDir,
      inputs,
      used,
      bytes: sum(split.entry),
      lazyBytes: sum(split.lazy),
      atRequire: split.atRequire,
      shared: split.shared,
      lazyInputs: split.lazyInputs,
      ms: performance.now() - started,
    });
  }
  // Each SDK is bundled once, with what any function takes from it, and copied into every
  // function that imports it.
  const wanted = sdkImportsOf(new Set(built.flatMap((b) => [...b.inputs])));
  const sdkDir = path.join(outRoot, 'dist', '.sdk');
  await rm(sdkDir, { recursive: true, force: true });
  const sdks = new Map();
  for (const [pkg, use] of wanted) {
    const file = path.join(sdkDir, pkg, 'index.js');
    sdks.set(pkg, { file, bytes: await buildSdk(pkg, use, file) });
  }
  const results = [];
  for (const b of built) {
    let sdkBytes = 0;
    for (const pkg of [...b.used].sort()) {
      const sdk = sdks.get(pkg);
      if (!sdk) throw new Error(`${b.fn.key}: imports ${pkg} but no source of it was found to bundle`);
      const dir = path.join(b.outDir, 'node_modules', pkg);
      await mkdir(dir, { recursive: true });
      await copyFile(sdk.file, path.join(dir, 'index.js'));
      await writeFile(
        path.join(dir, 'package.json'),
        `${JSON.stringify({ name: pkg, private: true, type: 'commonjs', main: 'index.js' })}\n`,
      );
      sdkBytes += sdk.bytes;
    }
    results.push({
      function: b.fn.key,
      out: path.relative(root, path.join(b.outDir, 'index.js')),
      bytes: b.bytes,
      lazyBytes: b.lazyBytes,
      shared: b.shared,
      lazyInputs: b.lazyInputs,
      sdks: [...b.used].sort(),
      sdkBytes,
      atRequire: b.atRequire,
      ms: Math.round(b.ms),
    });
  }
  await rm(sdkDir, { recursive: true, force: true });
  return results;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const withoutPolicy = process.argv.includes(WITHOUT_POLICY_FLAG);
    for (const r of await buildFunctions({ withoutPolicy }))
      console.log(
        `${r.out}  ${(r.bytes / 1024).toFixed(0)} KiB entry  + ${(r.lazyBytes / 1024).toFixed(0)} KiB ${LAZY_FILE} loaded on first invocation  + ${(r.sdkBytes / 1024).toFixed(0)} KiB SDKs loaded on use (${r.sdks.join(', ') || 'none'})  ${r.ms} ms`,
      );
    if (withoutPolicy && !process.env.REGIONSHIFT_DEPLOY_POLICY) {
      console.error(
        `WARNING: built ${WITHOUT_POLICY_FLAG}: no bundle carries policy.yaml; every function reads its policy from REGIONSHIFT_POLICY (inline YAML) and fails without it.`,
      );
    }
  } catch (err) {
    console.error(
      err.errors?.length ? err.errors.map((e) => `${e.location?.file ?? ''}:${e.location?.line ?? ''} ${e.text}`).join('\n') : err.message,
    );
    process.exit(1);
  }
}
