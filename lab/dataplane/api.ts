import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { parseDuration } from '../../shared/core/duration';
import { RegionshiftError } from '../../shared/core/errors';
import { issuePaths, type Topology } from '../topology/schema';
import type { LabDataPlane } from './engine';
import { faultSpecSchema, faultTargetProblems, type FaultBook } from './faults';

/**
 * The lab's data-plane API, under /lab/v1: send requests, send synthetic probes, inject and clear
 * faults (scale-to-zero ones are acted on by the lab host's listener), read traffic.
 * A node `http` handler that answers only its own paths (false otherwise), so the lab host can
 * chain it with the twin's other APIs on one server. Bad input is a 400 whose message names the
 * field; nothing unexpected ever leaves as a stack trace.
 */

export interface LabApiDeps {
  topology: Topology;
  dataPlane: LabDataPlane;
  faults: FaultBook;
  maxBodyBytes?: number;
  /** Told of unexpected errors (answered 500 without details); logs to stderr by default. */
  onError?: (err: unknown) => void;
}

const PREFIX = '/lab/v1/';
/** Most points one `traffic/series` answer holds per gateway. */
export const SERIES_MAX_POINTS = 600;
export const MAX_REQUESTS_PER_CALL = 100_000;

const sendSchema = z
  .object({
    gateway: z.string().min(1),
    count: z.number().int().min(1).max(MAX_REQUESTS_PER_CALL),
    headers: z.record(z.string(), z.string()).optional(),
    /** The request path (`/productpage` when omitted), which VirtualService `uri` matches read. */
    path: z.string().regex(/^\//, 'must start with /').max(2048).optional(),
  })
  .strict();

const probeSchema = z
  .object({
    service: z.string().min(1),
    region: z.string().min(1),
    count: z.number().int().min(1).max(MAX_REQUESTS_PER_CALL),
  })
  .strict();

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly problems: string[],
    readonly headers: Record<string, string> = {},
  ) {
    super(problems.join('; '));
  }
}

const invalid = (problems: string[]) => new HttpProblem(400, 'INPUT.INVALID', problems);

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpProblem(413, 'INPUT.TOO_LARGE', [`body: larger than ${limit} bytes`]);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw invalid(['body: required (a JSON object)']);
  try {
    return JSON.parse(text);
  } catch {
    throw invalid(['body: not valid JSON']);
  }
}

function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) throw invalid(issuePaths(r.error));
  return r.data;
}

/** The fault id from its path segment; broken percent-encoding (`%E0%A4%A`) is the caller's mistake, a 400. */
function faultIdOf(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw invalid([`path.id: not valid percent-encoding: ${JSON.stringify(segment)}`]);
  }
}

function methodNotAllowed(allowed: string[]): HttpProblem {
  return new HttpProblem(405, 'METHOD.NOT_ALLOWED', [`method: use ${allowed.join(' or ')}`], { allow: allowed.join(', ') });
}

export function labApiHandler(deps: LabApiDeps): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const limit = deps.maxBodyBytes ?? 64 * 1024;
  const retention = deps.dataPlane.metrics.retentionMs;

  async function route(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
    const method = req.method ?? 'GET';
    if (path === 'requests') {
      if (method !== 'POST') throw methodNotAllowed(['POST']);
      const body = parse(sendSchema, await readJson(req, limit));
      if (!deps.topology.gateways.some((g) => g.name === body.gateway)) {
        throw invalid([`gateway: unknown gateway ${body.gateway} (known: ${deps.topology.gateways.map((g) => g.name).join(', ')})`]);
      }
      return reply(res, 200, deps.dataPlane.send(body.gateway, body.count, body.headers, body.path));
    }
    if (path === 'probes') {
      if (method !== 'POST') throw methodNotAllowed(['POST']);
      const body = parse(probeSchema, await readJson(req, limit));
      const problems: string[] = [];
      if (!deps.topology.services.some((s) => s.name === body.service)) problems.push(`service: unknown service ${body.service}`);
      if (!deps.topology.regions.some((r) => r.name === body.region)) problems.push(`region: unknown region ${body.region}`);
      if (problems.length > 0) throw invalid(problems);
      return reply(res, 200, deps.dataPlane.probe(body.service, body.region, body.count));
    }
    if (path === 'faults') {
      if (method === 'GET') return reply(res, 200, { faults: deps.faults.list() });
      if (method !== 'POST') throw methodNotAllowed(['GET', 'POST']);
      const spec = parse(faultSpecSchema, await readJson(req, limit));
      const problems = faultTargetProblems(deps.topology, spec);
      if (problems.length > 0) throw invalid(problems);
      const fault = deps.faults.inject(spec);
      return reply(res, 201, { id: fault.id, fault }, { location: `${PREFIX}faults/${fault.id}` });
    }
    if (path.startsWith('faults/')) {
      if (method !== 'DELETE') throw methodNotAllowed(['DELETE']);
      const id = faultIdOf(path.slice('faults/'.length));
      const fault = deps.faults.delete(id);
      if (!fault) throw new HttpProblem(404, 'NOT_FOUND', [`fault ${id}: no such fault (it may have expired)`]);
      return reply(res, 200, { deleted: fault });
    }
    if (path === 'traffic') {
      if (method !== 'GET') throw methodNotAllowed(['GET']);
      const raw = query.get('window') ?? '60s';
      const windowMs = parseDuration(raw);
      if (windowMs === null || windowMs <= 0) throw invalid([`window: not a positive duration: ${JSON.stringify(raw)} (use 60s, 5m)`]);
      if (windowMs > retention) throw invalid([`window: at most ${retention / 1000}s of traffic is kept (got ${raw})`]);
      return reply(res, 200, deps.dataPlane.trafficSnapshot(windowMs));
    }
    if (path === 'traffic/series') {
      if (method !== 'GET') throw methodNotAllowed(['GET']);
      const rawWindow = query.get('window') ?? '5m';
      const rawStep = query.get('step') ?? '5s';
      const windowMs = parseDuration(rawWindow);
      const stepMs = parseDuration(rawStep);
      const problems: string[] = [];
      if (windowMs === null || windowMs <= 0) problems.push(`window: not a positive duration: ${JSON.stringify(rawWindow)} (use 60s, 5m)`);
      else if (windowMs > retention) problems.push(`window: at most ${retention / 1000}s of traffic is kept (got ${rawWindow})`);
      const bucketMs = deps.dataPlane.metrics.bucketMs;
      if (stepMs === null || stepMs <= 0) problems.push(`step: not a positive duration: ${JSON.stringify(rawStep)} (use 5s)`);
      else if (stepMs % bucketMs !== 0) problems.push(`step: a whole number of ${bucketMs / 1000}s buckets (got ${rawStep})`);
      // Bounded so one page poll stays small: the chart needs a few hundred points at most.
      else if (windowMs !== null && windowMs > 0 && windowMs / stepMs > SERIES_MAX_POINTS)
        problems.push(`step: at most ${SERIES_MAX_POINTS} points per series (window/step = ${Math.ceil(windowMs / stepMs)})`);
      if (problems.length > 0) throw invalid(problems);
      return reply(res, 200, deps.dataPlane.gatewaySeries(windowMs as number, stepMs as number));
    }
    throw new HttpProblem(404, 'NOT_FOUND', [`path: no lab API at ${PREFIX}${path}`]);
  }

  return async function handleLabApi(req, res) {
    const url = new URL(req.url ?? '/', 'http://lab.local');
    if (!url.pathname.startsWith(PREFIX)) return false;
    try {
      await route(req, res, url.pathname.slice(PREFIX.length).replace(/\/+$/, ''), url.searchParams);
    } catch (err) {
      if (err instanceof HttpProblem) {
        reply(res, err.status, { error: { code: err.code, message: err.message, problems: err.problems } }, err.headers);
      } else if (err instanceof RegionshiftError && err.code === 'INPUT.INVALID') {
        reply(res, 400, { error: { code: err.code, message: err.message, problems: [err.message] } });
      } else {
        (deps.onError ?? ((e) => console.error('lab data plane API:', e)))(err);
        if (!res.headersSent)
          reply(res, 500, { error: { code: 'INTERNAL', message: 'internal error in the lab data plane', problems: [] } });
      }
    }
    return true;
  };
}
