import { runSimulate } from './simulate';

/** The `regionshift` command. Each subcommand returns its exit code. */
type Out = { log(s: string): void; error(s: string): void };
type Command = (args: string[], out: Out, env: Record<string, string | undefined>) => Promise<number>;

const commands: Record<string, () => Promise<Command>> = {
  validate: async () => (await import('./validate')).runValidate,
  simulate: async () => runSimulate,
};

const USAGE = `usage: regionshift <command> [options]
  validate <policy.yaml>                                   check a policy; every problem with its path
  simulate --policy <p.yaml> --scenario <s.yaml> [--json]  replay a scenario through the decision core`;

export async function main(argv: string[], out: Out, env: Record<string, string | undefined>): Promise<number> {
  const [name, ...rest] = argv;
  const load = name ? commands[name] : undefined;
  if (!load) {
    out.error(USAGE);
    return 2;
  }
  return (await load())(rest, out, env);
}
