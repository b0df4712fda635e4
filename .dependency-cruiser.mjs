/**
 * What may import what, one block per layer (docs/architecture.md draws the same picture).
 * `npm run lint` runs it over the product, the lab, the tests and the benchmarks; a forbidden
 * import or any circle (between files, so between folders too; type-only and dynamic `import()`
 * included) fails the run.
 *
 * Layers:
 *   shared/core      pure decisions: imports only itself (and zod, yaml, croner)
 *   shared/ports     the interfaces the engine drives; no adapter behind them
 *   shared/adapters  the only code that loads a cloud SDK or a native module
 *   shared/runtime   builds the adapters and the engine for one invocation
 *   functions/       FC handlers: reach adapters only through the runtime
 *   cli/, bin/       the command line
 *   lab/, test/, bench/  never imported by the product; bench/ never imports test/
 */

/** Product code: what is deployed or shipped to an operator. */
const PRODUCT = '^(functions|shared|cli|bin)/';
/** The cloud SDKs and the native module: only the adapters load them (dynamically or not). */
const SDKS = '(^|node_modules/)(@alicloud/|@kubernetes/|tablestore($|/)|better-sqlite3($|/))';
/** What the pure core may import besides itself (schemas, YAML, cron expressions). */
const CORE_LIBRARIES = '(^|node_modules/)(zod|yaml|croner)($|/)';

export default {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import circle, between files or (through them) between folders: type-only and dynamic imports count.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-circular-folders',
      severity: 'error',
      comment: 'No circle between folders either (shared/runtime -> shared/readiness -> shared/runtime is one, with no file circle in it).',
      scope: 'folder',
      from: { pathNot: '^node_modules' },
      to: { circular: true },
    },
    {
      name: 'sdk-only-in-adapters',
      severity: 'error',
      comment:
        'Only shared/adapters/** loads a cloud SDK or better-sqlite3 (dynamic import() included); the rest reaches them through a port.',
      from: { path: PRODUCT, pathNot: '^shared/adapters/' },
      to: { path: SDKS },
    },
    {
      name: 'functions-not-adapters',
      severity: 'error',
      comment: 'A function handler gets its adapters through the runtime, never by importing them.',
      from: { path: '^functions/' },
      to: { path: '^shared/adapters/' },
    },
    {
      name: 'core-only-core',
      severity: 'error',
      comment: 'The decision core is pure: it imports only itself, zod, yaml and croner (no node:*, no ports, no engine, no adapters).',
      from: { path: '^shared/core/' },
      to: { pathNot: [`^shared/core/`, CORE_LIBRARIES] },
    },
    {
      name: 'ports-no-implementations',
      severity: 'error',
      comment: 'A port is an interface over core types: it imports no adapter, engine, runtime or handler.',
      from: { path: '^shared/ports/' },
      to: { path: '^(shared/(adapters|engine|runtime|http|readiness|signals)|functions|cli)/' },
    },
    {
      name: 'adapters-not-upward',
      severity: 'error',
      comment: 'An adapter implements a port: it does not reach up into the engine, the runtime, the HTTP layer or a handler.',
      from: { path: '^shared/adapters/' },
      to: { path: '^(shared/(engine|runtime|http|readiness)|functions|cli)/' },
    },
    {
      name: 'engine-through-ports',
      severity: 'error',
      comment:
        'The engine drives the mesh, the clusters, the store and the notifier through their ports: no adapter, no runtime, no HTTP layer.',
      from: { path: '^shared/engine/' },
      to: { path: '^shared/(adapters|runtime|http|readiness)/' },
    },
    {
      name: 'signals-parse-only',
      severity: 'error',
      comment: 'The signal parsers turn payloads into signals: core types and rules only, no engine, runtime, adapter or HTTP layer.',
      from: { path: '^shared/signals/' },
      to: { path: '^shared/(adapters|runtime|http|readiness|engine)/' },
    },
    {
      name: 'readiness-judges-only',
      severity: 'error',
      comment: 'The readiness checks judge what the probes read (ports/readiness-probes): the runtime builds the probes on the adapters.',
      from: { path: '^shared/readiness/' },
      to: { path: '^shared/(adapters|runtime|http|engine)/' },
    },
    {
      name: 'http-not-adapters',
      severity: 'error',
      comment: 'The HTTP layer (middlewares, parsers, auth) reads the runtime it is given; it builds no adapter.',
      from: { path: '^shared/http/' },
      to: { path: '^shared/adapters/' },
    },
    {
      name: 'runtime-not-http',
      severity: 'error',
      comment: 'The runtime is built below the HTTP layer: its contract (shared/runtime/types.ts) is what the middlewares import.',
      from: { path: '^shared/runtime/' },
      to: { path: '^shared/http/' },
    },
    {
      name: 'shared-not-entry-points',
      severity: 'error',
      comment: 'shared/ serves the entry points; it never imports a handler or the CLI.',
      from: { path: '^shared/' },
      to: { path: '^(functions|cli|bin)/' },
    },
    {
      name: 'product-not-lab-test-bench',
      severity: 'error',
      comment: 'The product never imports the lab, the tests or the benchmarks.',
      from: { path: PRODUCT },
      to: { path: '^(lab|test|bench)/' },
    },
    {
      name: 'lab-not-test-bench',
      severity: 'error',
      comment: 'The lab runs without the tests and the benchmarks.',
      from: { path: '^lab/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'bench-not-test',
      severity: 'error',
      comment: 'A benchmark never imports the tests: what both need lives in bench/support/ or lab/.',
      from: { path: '^bench/' },
      to: { path: '^test/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to nothing (a typo, a missing package) hides a real edge from every rule above.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // node_modules may be a link to another checkout's: name packages by their place here.
    preserveSymlinks: true,
    // The fixtures of the rules' own test break these rules on purpose.
    exclude: { path: ['^test/fixtures/import-rules/', '^dist/', '^coverage/', '^\\.regionshift/'] },
    // Type-only imports are edges too: a circle of types is still a circle.
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.d.ts', '.js', '.mjs', '.cjs', '.json'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    moduleSystems: ['es6', 'cjs', 'tsd'],
    skipAnalysisNotInRules: true,
  },
};
