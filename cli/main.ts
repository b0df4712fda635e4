/** The `regionshift` command. Each subcommand returns its exit code. */
type Out = { log(s: string): void; error(s: string): void };
type Command = (args: string[], out: Out, env: Record<string, string | undefined>) => Promise<number>;

const commands: Record<string, () => Promise<Command>> = {
  validate: async () => (await import('./validate')).runValidate,
  simulate: async () => (await import('./simulate')).runSimulate,
  doctor: async () => (await import('./doctor')).runDoctor,
  alarms: async () => (await import('./alarms')).runAlarms,
  status: async () => (await import('./control/status')).runStatus,
  history: async () => (await import('./control/history')).runHistory,
  plan: async () => (await import('./control/plan')).runPlan,
  override: async () => (await import('./control/override')).runOverride,
  drill: async () => (await import('./control/drill')).runDrill,
  pause: async () => (await import('./control/pause')).runPause,
  resume: async () => (await import('./control/pause')).runResume,
  report: async () => (await import('./control/report')).runReport,
};

const USAGE = `usage: regionshift <command> [options]
  validate <policy.yaml>                                   check a policy; every problem with its path
  simulate --policy <p.yaml> --scenario <s.yaml> [--json]  replay a scenario through the decision core
  doctor --policy <p.yaml> [--json]                        readiness checks against the cloud the env points at (read-only); exit 1 on a fail
  alarms apply --region <r> [--set Name=value …] [--dry-run]  apply the CloudMonitor alarm rules (infra/cms/alarm-templates.json)

control API (signed; docs/cli.md):
  status [--watch [seconds]]                               health per region, mode, matrix, override, drill, plans;
                                                           --watch redraws it (every 5 s by default) until Ctrl-C
  history [--limit N] [--before SEQ]                       the audit log, newest first
  plan '<command json>' | plan --drain <region> …          what a command would do (dry run, nothing committed)
  override --drain <region> … | --matrix '<json>' [--ttl 30m] [--force] --reason "…"
  override clear <id>                                      clear the active override
  drill --region <region> [--severity down|degraded] --duration 15m [--reason "…"]
  drill abort <id>                                         end the drill and revert
  pause --reason "…"                                       pause automation
  resume                                                   resume automation
  report --from <time> --to <time> [--out report.md]       incident postmortem: Markdown + SVG timeline
  every control command takes --endpoint <url> (REGIONSHIFT_ENDPOINT), --secret <secret>
  (REGIONSHIFT_CONTROL_SECRET), --actor <name> (REGIONSHIFT_ACTOR), --json, --help
exit codes: 0 ok, 1 refused by the API (4xx), 2 usage, 3 unreachable or server error (5xx)`;

/**
 * A line writer for stdout or stderr. When the reader goes away (`regionshift history | head`),
 * writing fails with EPIPE: the reader wanted no more, which is not an error of the command, so
 * later lines are dropped and the command ends with its own exit code, without a stack trace.
 * Any other write error is thrown.
 */
export function lineWriter(stream: NodeJS.WriteStream): (s: string) => void {
  let readerGone = false;
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    readerGone = true;
  });
  return (s) => {
    if (!readerGone) stream.write(`${s}\n`);
  };
}

export async function main(argv: string[], out: Out, env: Record<string, string | undefined>): Promise<number> {
  const [name, ...rest] = argv;
  if (name === 'help' || name === '--help' || name === '-h') {
    out.log(USAGE);
    return 0;
  }
  const load = name ? commands[name] : undefined;
  if (!load) {
    out.error(USAGE);
    return 2;
  }
  return (await load())(rest, out, env);
}
