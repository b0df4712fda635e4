import middy, { type MiddlewareObj } from '@middy/core';
import { ValidationError } from '../../../shared/core/errors';
import { controlAuth, signRequest } from '../../../shared/http/auth';
import { fcHttpEvent } from '../../../shared/http/http-trigger-middleware';
import { jsonReply, type HttpReply } from '../../../shared/http/http-message';
import { eventErrors, httpErrors } from '../../../shared/http/http-errors';
import { injectRuntime } from '../../../shared/http/inject-runtime';
import { requestLog } from '../../../shared/http/request-log';
import type { FcContext } from '../../../shared/runtime/types';
import { CONTROL_SECRET, fakeRuntime, fcContext, httpEvent } from '../../support/fake-runtime';

/** Wraps a middleware so each hook records its name before running; the order is the assertion. */
function traced<E, R>(name: string, mw: MiddlewareObj<E, R, Error, FcContext>, trace: string[]): MiddlewareObj<E, R, Error, FcContext> {
  const out: MiddlewareObj<E, R, Error, FcContext> = {};
  for (const hook of ['before', 'after', 'onError'] as const) {
    const fn = mw[hook];
    if (fn)
      out[hook] = (request) => {
        trace.push(`${name}.${hook}`);
        return fn(request);
      };
  }
  return out;
}

const NOW = Date.UTC(2026, 10, 3, 2, 15, 30);

/** The same order as functions/control/handler.ts; the runtime is injected first so every log line reaches its log. */
function controlChain(
  trace: string[],
  runtime = fakeRuntime(),
  handler: () => Promise<HttpReply> = async () => jsonReply(200, { ok: true }),
) {
  return middy<unknown, HttpReply | undefined, Error, FcContext>({ timeoutEarlyInMillis: 0 })
    .use(traced('requestLog', requestLog({ functionName: 'control', trigger: 'http' }), trace))
    .use(traced('httpErrors', httpErrors(), trace))
    .use(
      traced(
        'injectRuntime',
        injectRuntime(async () => runtime),
        trace,
      ),
    )
    .use(traced('fcHttpEvent', fcHttpEvent(), trace))
    .use(traced('controlAuth', controlAuth(), trace))
    .handler(async () => {
      trace.push('handler');
      return handler();
    });
}

function signedStatus(secret = CONTROL_SECRET) {
  const { headers } = signRequest({ secret, method: 'GET', path: '/v1/status', timestamp: NOW / 1000, requestId: 'order-test-0001' });
  return httpEvent({ method: 'GET', path: '/v1/status', headers });
}

describe('middleware hook order (control function chain)', () => {
  test('success: befores in use() order, handler, afters in reverse', async () => {
    const trace: string[] = [];
    const runtime = fakeRuntime();
    const reply = await controlChain(trace, runtime)(signedStatus(), fcContext());
    expect(reply?.statusCode).toBe(200);
    expect(trace).toEqual([
      'requestLog.before',
      'injectRuntime.before',
      'fcHttpEvent.before',
      'controlAuth.before',
      'handler',
      'fcHttpEvent.after',
      'requestLog.after',
    ]);
    expect(runtime.lines).toEqual([
      {
        function: 'control',
        requestId: 'req-1',
        trigger: 'http',
        method: 'GET',
        path: '/v1/status',
        status: 200,
        outcome: 'ok',
        durationMs: expect.any(Number),
      },
    ]);
  });

  test('when the runtime cannot be built the line still goes out, to stdout, and the reply is a generic 500', async () => {
    const trace: string[] = [];
    const written: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string) => {
      written.push(chunk);
      return true;
    }) as typeof process.stdout.write;
    let reply: HttpReply | undefined;
    try {
      reply = await middy<unknown, HttpReply | undefined, Error, FcContext>({ timeoutEarlyInMillis: 0 })
        .use(traced('requestLog', requestLog({ functionName: 'control', trigger: 'http' }), trace))
        .use(traced('httpErrors', httpErrors(), trace))
        .use(
          traced(
            'injectRuntime',
            injectRuntime(async () => {
              throw new Error('REGIONSHIFT_POLICY: not set');
            }),
            trace,
          ),
        )
        .handler(async () => jsonReply(200, {}))(signedStatus(), fcContext());
    } finally {
      process.stdout.write = write;
    }
    expect(trace).toEqual(['requestLog.before', 'injectRuntime.before', 'httpErrors.onError', 'requestLog.onError']);
    expect(reply?.statusCode).toBe(500);
    expect(reply?.body).not.toContain('REGIONSHIFT_POLICY');
    expect(written.map((w) => JSON.parse(w))).toEqual([
      expect.objectContaining({
        function: 'control',
        status: 500,
        outcome: 'error',
        error: { name: 'Error', message: 'REGIONSHIFT_POLICY: not set' },
      }),
    ]);
  });

  test('auth failure: the handler and after hooks are skipped; httpErrors maps before requestLog logs', async () => {
    const trace: string[] = [];
    const runtime = fakeRuntime();
    const reply = await controlChain(trace, runtime)(signedStatus('wrong-secret'), fcContext());
    expect(trace).toEqual([
      'requestLog.before',
      'injectRuntime.before',
      'fcHttpEvent.before',
      'controlAuth.before',
      'httpErrors.onError',
      'requestLog.onError',
    ]);
    expect(reply?.statusCode).toBe(401);
    expect(runtime.lines).toHaveLength(1);
    expect(runtime.lines[0]).toMatchObject({ function: 'control', status: 401, outcome: 'rejected', method: 'GET', path: '/v1/status' });
  });

  test('a malformed envelope fails in fcHttpEvent: nothing after it runs, the reply is a 400', async () => {
    const trace: string[] = [];
    const reply = await controlChain(trace)(Buffer.from('{"rawPath": 5}'), fcContext());
    expect(trace).toEqual(['requestLog.before', 'injectRuntime.before', 'fcHttpEvent.before', 'httpErrors.onError', 'requestLog.onError']);
    expect(reply?.statusCode).toBe(400);
    expect(JSON.parse(reply?.body ?? '{}').error.problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/^\(event\)\.rawPath: /)]),
    );
  });

  test('event chain: bad input is answered by eventErrors, other errors are logged then rethrown', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const build = (fail: Error) => {
      const trace: string[] = [];
      const h = middy<unknown, unknown, Error, FcContext>({ timeoutEarlyInMillis: 0 })
        .use(traced('requestLog', requestLog({ functionName: 'scheduler', trigger: 'event', log: (l) => lines.push(l) }), trace))
        .use(traced('eventErrors', eventErrors(), trace))
        .handler(async () => {
          trace.push('handler');
          throw fail;
        });
      return { h, trace };
    };
    const bad = build(new ValidationError(['payload.task: must be "tick"']));
    await expect(bad.h(Buffer.from('{}'), fcContext())).resolves.toEqual({
      accepted: false,
      error: { code: 'INPUT.INVALID', message: 'payload.task: must be "tick"', problems: ['payload.task: must be "tick"'] },
    });
    expect(bad.trace).toEqual(['requestLog.before', 'handler', 'eventErrors.onError', 'requestLog.onError']);

    const boom = build(new Error('tablestore unreachable'));
    await expect(boom.h(Buffer.from('{}'), fcContext())).rejects.toThrow('tablestore unreachable');
    expect(boom.trace).toEqual(['requestLog.before', 'handler', 'eventErrors.onError', 'requestLog.onError']);

    expect(lines.map((l) => l.outcome)).toEqual(['rejected', 'error']);
    expect(lines[1]).toMatchObject({
      function: 'scheduler',
      requestId: 'req-1',
      trigger: 'event',
      error: { name: 'Error', message: 'tablestore unreachable' },
    });
  });
});
