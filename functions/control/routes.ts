import type { z } from 'zod';
import { ValidationError } from '../../shared/core/errors';
import { boundedDetail } from '../../shared/core/limits';
import type { StoredEvent } from '../../shared/ports/state-store';
import { matrixProblems } from '../../shared/core/matrix';
import { parseWith } from '../../shared/http/envelope-decode';
import type { Policy } from '../../shared/core/policy';
import type { ControlCommand } from '../../shared/core/types';
import type { DecisionOutcome } from '../../shared/engine/api';
import { MethodNotAllowedError, NotFoundError } from '../../shared/http/errors';
import { jsonBodyOf as bodyOf } from '../../shared/http/http-trigger-middleware';
import { jsonReply, type HttpReply, type HttpRequest } from '../../shared/http/http-message';
import type { Runtime } from '../../shared/runtime/types';
import { renderDashboard } from './dashboard';
import {
  actorHeader,
  commandBody,
  drillBody,
  historyQuery,
  idParam,
  noQuery,
  overrideBody,
  pauseBody,
  resumeBody,
  timelineQuery,
  type CommandBody,
} from './schema';
import { readTimeline } from './timeline-route';
import { renderReport } from '../../shared/engine/report';

/** A history page is bounded by bytes as well as rows: events older than the audit bounds may hold megabytes. */
export const HISTORY_PAGE_BYTES = 1024 * 1024;
const HISTORY_DETAIL_MAX = 16 * 1024;

/** The events that fit HISTORY_PAGE_BYTES (at least one), each detail cut to an excerpt beyond HISTORY_DETAIL_MAX. */
function boundedPage(rows: StoredEvent[]): StoredEvent[] {
  const page: StoredEvent[] = [];
  let bytes = 0;
  for (const row of rows) {
    const event = { ...row, detail: boundedDetail(row.detail, HISTORY_DETAIL_MAX) };
    bytes += JSON.stringify(event).length;
    if (page.length > 0 && bytes > HISTORY_PAGE_BYTES) break;
    page.push(event);
  }
  return page;
}

type RouteRun = (req: HttpRequest, params: Record<string, string>, runtime: Runtime) => Promise<HttpReply>;
interface Route {
  method: string;
  pattern: string;
  /** The route's query parameters (strict); none when absent. */
  query?: z.ZodObject;
  run: RouteRun;
}

/**
 * The query through the route's strict schema. A parameter the route does not take, or one given
 * more than once, is a 400 naming it: ignoring either would answer a question nobody asked.
 */
function queryOf<S extends z.ZodObject>(schema: S, req: HttpRequest): z.output<S> {
  const allowed = Object.keys(schema.shape);
  const problems: string[] = [];
  for (const [name, values] of Object.entries(req.queryValues ?? {})) {
    if (values.length > 1) problems.push(`query.${name}: given more than once (each query parameter may appear once)`);
  }
  for (const name of Object.keys(req.query)) {
    if (!allowed.includes(name))
      problems.push(
        `query.${name}: unknown parameter (${allowed.length ? `this route takes ${allowed.join(', ')}` : 'this route takes none'})`,
      );
  }
  if (problems.length) throw new ValidationError(problems);
  return parseWith(schema, req.query, ['query']);
}

function actorOf(req: HttpRequest): string {
  return parseWith(actorHeader, req.headers['x-regionshift-actor'], ['header x-regionshift-actor']);
}

/** Region names are checked against the policy here, so a typo is a 400 naming the field, not a refused plan. */
function checkRegions(cmd: CommandBody, policy: Policy): void {
  const declared = policy.regionIds;
  const problems: string[] = [];
  if (cmd.kind === 'drill' && !declared.includes(cmd.region))
    problems.push(`body.region: unknown region ${cmd.region} (declared: ${declared.join(', ')})`);
  if (cmd.kind === 'override') {
    if (cmd.matrix) problems.push(...matrixProblems('body.matrix', cmd.matrix, declared));
    for (const [i, r] of (cmd.drain ?? []).entries()) {
      if (!declared.includes(r)) problems.push(`body.drain[${i}]: unknown region ${r} (declared: ${declared.join(', ')})`);
    }
  }
  if (problems.length) throw new ValidationError(problems);
}

/**
 * The command the engine is asked: every field of the body, `service` included (dropping it
 * turned a one-service override into a whole-region one). Whether the policy scopes that service
 * is the core's rule to answer (a 409 naming `service`), not the edge's.
 */
function toCommand(body: CommandBody, actor: string): ControlCommand {
  const { kind } = body;
  switch (kind) {
    case 'override': {
      const { matrix, drain, service, ttl, force, reason } = body;
      return {
        kind,
        actor,
        reason,
        ...(matrix && { matrix }),
        ...(drain && { drain }),
        ...(service !== undefined && { service }),
        ...(ttl !== undefined && { ttl }),
        ...(force !== undefined && { force }),
      };
    }
    case 'drill': {
      const { region, service, severity, duration, reason } = body;
      return {
        kind,
        actor,
        region,
        duration,
        ...(service !== undefined && { service }),
        ...(severity && { severity }),
        ...(reason && { reason }),
      };
    }
    case 'pause':
      return { kind, actor, reason: body.reason };
    case 'clearOverride':
    case 'abortDrill':
      return { kind, actor, ...(body.id && { id: body.id }) };
    case 'resume':
      return { kind, actor };
  }
}

/** A refused command changed nothing: 409 with the refusals. Anything committed (or a no-op) is 200. */
function outcomeReply(outcome: DecisionOutcome): HttpReply {
  if (!outcome.committed && outcome.plan.refused.length > 0) {
    const message = outcome.plan.refused.map((r) => `${r.rule}: ${r.message}`).join('; ');
    return jsonReply(409, { error: { code: 'COMMAND.REFUSED', message, refused: outcome.plan.refused }, outcome });
  }
  return jsonReply(200, outcome);
}

async function runCommand(body: CommandBody, req: HttpRequest, runtime: Runtime): Promise<HttpReply> {
  checkRegions(body, runtime.policy);
  return outcomeReply(await runtime.engine.command(toCommand(body, actorOf(req)), { dryRun: false }));
}

const routes: Route[] = [
  {
    method: 'GET',
    pattern: '/',
    run: async () => ({
      statusCode: 200,
      headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
      body: renderDashboard(),
    }),
  },
  { method: 'GET', pattern: '/v1/status', run: async (_req, _p, rt) => jsonReply(200, await rt.engine.status()) },
  {
    method: 'GET',
    pattern: '/v1/readiness',
    run: async (_req, _p, rt) => {
      if (!rt.readiness) throw new NotFoundError('readiness checks are not wired in this runtime');
      // 200 whatever the rows say: the report is the answer; a failing check is not a failed request.
      return jsonReply(200, await rt.readiness());
    },
  },
  {
    method: 'GET',
    pattern: '/v1/history',
    query: historyQuery,
    run: async (req, _p, rt) => {
      const q = queryOf(historyQuery, req);
      const rows = await rt.engine.history({ limit: q.limit, ...(q.before !== undefined && { before: q.before }) });
      const events = boundedPage(rows);
      const last = events[events.length - 1];
      const more = events.length < rows.length || rows.length === q.limit;
      return jsonReply(200, { events, next: more && last ? last.seq : null });
    },
  },
  {
    method: 'GET',
    pattern: '/v1/timeline',
    query: timelineQuery,
    run: async (req, _p, rt) => {
      const q = queryOf(timelineQuery, req);
      return jsonReply(200, await readTimeline(rt, q.from, q.to));
    },
  },
  {
    method: 'GET',
    pattern: '/v1/report',
    query: timelineQuery,
    run: async (req, _p, rt) => {
      const q = queryOf(timelineQuery, req);
      const report = renderReport(await readTimeline(rt, q.from, q.to), { image: 'inline' });
      return {
        statusCode: 200,
        headers: { 'content-type': 'text/markdown; charset=utf-8', 'cache-control': 'no-store' },
        body: report.markdown,
      };
    },
  },
  {
    method: 'POST',
    pattern: '/v1/plan',
    run: async (req, _p, rt) => {
      const body = bodyOf(commandBody, req);
      checkRegions(body, rt.policy);
      return jsonReply(200, { dryRun: true, ...(await rt.engine.command(toCommand(body, actorOf(req)), { dryRun: true })) });
    },
  },
  {
    method: 'POST',
    pattern: '/v1/overrides',
    run: (req, _p, rt) => runCommand({ kind: 'override', ...bodyOf(overrideBody, req) }, req, rt),
  },
  { method: 'DELETE', pattern: '/v1/overrides/{id}', run: (req, p, rt) => runCommand({ kind: 'clearOverride', id: p.id }, req, rt) },
  { method: 'POST', pattern: '/v1/drills', run: (req, _p, rt) => runCommand({ kind: 'drill', ...bodyOf(drillBody, req) }, req, rt) },
  { method: 'DELETE', pattern: '/v1/drills/{id}', run: (req, p, rt) => runCommand({ kind: 'abortDrill', id: p.id }, req, rt) },
  { method: 'POST', pattern: '/v1/pause', run: (req, _p, rt) => runCommand({ kind: 'pause', ...bodyOf(pauseBody, req) }, req, rt) },
  {
    method: 'POST',
    pattern: '/v1/resume',
    run: (req, _p, rt) => {
      bodyOf(resumeBody, req, true);
      return runCommand({ kind: 'resume' }, req, rt);
    },
  },
];

/** The routes' methods and patterns, for tools that walk every route (the reliability suite's fuzzer). */
export const controlRoutes: ReadonlyArray<Pick<Route, 'method' | 'pattern'>> = routes;

function matchPattern(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/');
  const got = (path.length > 1 ? path.replace(/\/+$/, '') : path).split('/');
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (const [i, seg] of want.entries()) {
    const actual = got[i] ?? '';
    if (seg.startsWith('{') && seg.endsWith('}')) {
      const name = seg.slice(1, -1);
      let decoded: string;
      try {
        decoded = decodeURIComponent(actual);
      } catch {
        throw new ValidationError([`path.${name}: not valid percent-encoding`]);
      }
      params[name] = parseWith(idParam, decoded, [`path.${name}`]);
    } else if (seg !== actual) return null;
  }
  return params;
}

/** Finds the route: an unknown path is 404, a known path with another method 405 (with `allow`). */
export async function routeControlRequest(req: HttpRequest, runtime: Runtime): Promise<HttpReply> {
  const allowed: string[] = [];
  for (const route of routes) {
    const params = matchPattern(route.pattern, req.path);
    if (!params) continue;
    if (route.method === req.method) {
      queryOf(route.query ?? noQuery, req);
      return route.run(req, params, runtime);
    }
    allowed.push(route.method);
  }
  if (allowed.length) throw new MethodNotAllowedError(req.method, req.path, allowed);
  throw new NotFoundError(`no route ${req.method} ${req.path} (see docs/api.md)`);
}
