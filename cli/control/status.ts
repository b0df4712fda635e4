import type { StatusView } from '../../shared/engine/api';
import { UsageError, noPositional } from '../control-args';
import { renderStatus, type Out } from '../control-render';
import { EXIT, invoke, prepare, send, shaped, usageFailure, type Env, type Invocation, type Prepared } from './invoke';

/** `regionshift status [--watch [seconds]]` (GET /v1/status), once or redrawn until Ctrl-C. */

const statusInvocation: Invocation = {
  name: 'status',
  usage: 'status [--watch [seconds]]',
  flags: {},
  request: (p) => {
    noPositional(p);
    return { method: 'GET', path: '/v1/status' };
  },
  render: (json, o) => {
    shaped(json, { health: 'object' });
    renderStatus(json as StatusView, o);
  },
};

export const WATCH_DEFAULT_SECONDS = 5;
const WATCH_MAX_SECONDS = 3600;

/**
 * `--watch`, `--watch 10` or `--watch=10`: the flag parser has no optional values, so it is taken
 * out here. A number right after `--watch` is its interval (status takes no positional argument,
 * so nothing else could be meant by it).
 */
export function takeWatch(args: string[]): { seconds: number | null; rest: string[] } {
  const rest: string[] = [];
  let seconds: number | null = null;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') {
      rest.push(...args.slice(i));
      break;
    }
    if (arg !== '--watch' && !arg.startsWith('--watch=')) {
      rest.push(arg);
      continue;
    }
    if (seconds !== null) throw new UsageError('--watch: given more than once');
    let text: string | undefined;
    if (arg.startsWith('--watch=')) text = arg.slice('--watch='.length);
    else if (args[i + 1] !== undefined && /^\d+(\.\d+)?$/.test(args[i + 1] as string)) text = args[++i];
    seconds = text === undefined ? WATCH_DEFAULT_SECONDS : Number(text);
    if (!/^\d+(\.\d+)?$/.test(text ?? '5') || !(seconds >= 1 && seconds <= WATCH_MAX_SECONDS)) {
      throw new UsageError(`--watch: the interval is a number of seconds from 1 to ${WATCH_MAX_SECONDS} (got ${JSON.stringify(text)})`);
    }
  }
  return { seconds, rest };
}

export interface WatchOptions {
  /** Stops the watch (Ctrl-C); default: the process's SIGINT and SIGTERM. */
  stop?: AbortSignal;
  /** Clear the screen before each redraw; default: when stdout is a terminal. */
  clear?: boolean;
  /** Wall clock for the heading (the CLI is a shell: it may read the time). */
  now?: () => number;
}

/** `regionshift status [--watch [seconds]]` */
export const runStatus = async (args: string[], out: Out, env: Env, opts: WatchOptions = {}): Promise<number> => {
  let watch: { seconds: number | null; rest: string[] };
  try {
    watch = takeWatch(args);
  } catch (err) {
    return usageFailure(statusInvocation, err, out);
  }
  if (watch.seconds === null) return invoke(statusInvocation, watch.rest, out, env);
  const p = prepare(statusInvocation, watch.rest, out, env);
  if (typeof p === 'number') return p;
  return watchStatus(p, watch.seconds * 1000, out, opts);
};

/**
 * Redraws the status every `intervalMs` until interrupted, then exits 0: Ctrl-C is how a watch
 * ends, not a failure. A refusal (4xx: a wrong secret, a bad endpoint path) ends it with that
 * exit code, since asking again will not change the answer; an unreachable API or a 5xx is shown
 * and asked again at the next redraw, as an on-call watching through an outage needs.
 */
async function watchStatus(p: Prepared, intervalMs: number, out: Out, opts: WatchOptions): Promise<number> {
  // One listener on each stop source for the whole watch, and a fresh signal per redraw: a
  // listener added per redraw (the wait's, the request's) would pile up on one long-lived
  // signal and warn MaxListenersExceeded after ten redraws.
  let round = new AbortController();
  let stopped = false;
  const onSignal = () => {
    stopped = true;
    round.abort();
  };
  // The reader of a pipe went away (`status --watch | head -3`): the watch has no one to show
  // anything to. Noticed at the first write after it (the next redraw): a pipe tells nothing sooner.
  const onStdoutError = (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') onSignal();
  };
  if (opts.stop) opts.stop.addEventListener('abort', onSignal, { once: true });
  else {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    process.stdout.on('error', onStdoutError);
  }
  const clear = opts.clear ?? process.stdout.isTTY === true;
  const now = opts.now ?? Date.now;
  try {
    while (!stopped) {
      // On a terminal each redraw replaces the last (clear screen, cursor home); piped, they follow one another.
      out.log(
        `${clear ? '\x1b[2J\x1b[H' : ''}regionshift status at ${new Date(now()).toISOString()}, every ${intervalMs / 1000}s (Ctrl-C to stop)`,
      );
      const code = await send(statusInvocation, p, out, round.signal);
      if (stopped) break;
      if (code === EXIT.refused || code === EXIT.usage) return code;
      out.log('');
      const wait = round.signal;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, intervalMs);
        wait.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      });
      if (!stopped) round = new AbortController();
    }
    return EXIT.ok;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    process.stdout.removeListener('error', onStdoutError);
    opts.stop?.removeEventListener('abort', onSignal);
  }
}
