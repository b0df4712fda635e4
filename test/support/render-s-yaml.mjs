// Renders an s.yaml the way Serverless Devs 3 does before a deploy, with the very template engine
// it uses: @serverless-devs/parse-spec (ParseContent.getSteps and get-inputs.ts) compiles every
// string of the document with `@serverless-devs/art-template/lib/devs-compile` — first everything
// but `resources` with {cwd, vars}, then each resource with {cwd, vars, resources, that}.
// devs-compile reads variables from process.env, so run this in a child process whose
// environment is exactly the deployer's. Usage: node render-s-yaml.mjs <s.yaml>; prints JSON
// {vars, resources} or exits 1 with the engine's message on stderr.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parse } from 'yaml';

const require = createRequire(import.meta.url);
const compile = require('@serverless-devs/art-template/lib/devs-compile');

/** parse-spec's getInputs: every string value compiled, recursively. */
function getInputs(value, context) {
  if (typeof value === 'string') return compile(value, context);
  if (Array.isArray(value)) return value.map((v) => getInputs(v, context));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, getInputs(v, context)]));
  return value;
}

const file = path.resolve(process.argv[2] ?? 's.yaml');
try {
  const content = parse(readFileSync(file, 'utf8'));
  const common = () => ({ cwd: path.dirname(file), vars: content.vars, __runtime: 'parse', credential: {} });
  const { resources, ...rest } = content;
  Object.assign(content, getInputs(rest, common()));
  const props = Object.fromEntries(Object.entries(resources).map(([k, r]) => [k, { props: r.props ?? {} }]));
  const rendered = {};
  for (const [name, element] of Object.entries(resources)) {
    const magic = {
      ...common(),
      resources: props,
      components: {},
      that: { name, access: content.access, component: element.component, props: element.props },
    };
    magic.that.props = getInputs(element.props, magic);
    rendered[name] = getInputs(element, magic);
  }
  process.stdout.write(JSON.stringify({ vars: content.vars, resources: rendered }));
} catch (err) {
  process.stderr.write(String(err && err.message ? err.message : err));
  process.exit(1);
}
