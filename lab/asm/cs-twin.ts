import type { Clock } from '../../shared/ports/clock';
import { FaultQueue } from '../twin-common/fault-queue';
import type { TwinReply, TwinRequest } from '../twin-common/http-io';
import { PopError, type PopAuthenticator } from './pop-auth';
import { messageForCode, requestId, rpcError, statusForCode } from './pop-errors';

/**
 * The ACK (Container Service, `cs` 2015-12-15, ROA style) call that hands out a cluster's
 * kubeconfig: `GET /k8s/{ClusterId}/user_config`. Gateway failures (signature, throttling) use
 * the POP envelope; CS's own errors use its lowercase `{code, message, requestId}` body.
 */

export const CS_API_VERSION = '2015-12-15';
const HOST = 'cs.aliyuncs.com';

export interface CsTwinOptions {
  clock: Clock;
  clusterIds: string[];
  authenticator: PopAuthenticator;
  kubeconfig: (clusterId: string) => string;
}

function headerRecord(req: TwinRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
  return out;
}

export class CsTwin {
  readonly calls: Array<{ at: number; path: string; code: string }> = [];
  private readonly faults = new FaultQueue<{ code: string; httpStatus: number }, string>();

  constructor(private readonly opts: CsTwinOptions) {}

  failNext(times: number, code = 'Throttling.User', httpStatus = statusForCode(code)): void {
    this.faults.add(times, { code, httpStatus });
  }

  handle(req: TwinRequest): TwinReply {
    const reply = this.dispatch(req);
    const body = reply.body as { Code?: string; code?: string };
    this.calls.push({ at: this.opts.clock.now(), path: req.path, code: body.Code ?? body.code ?? 'OK' });
    return reply;
  }

  private dispatch(req: TwinRequest): TwinReply {
    const query = Object.fromEntries(req.query);
    try {
      this.opts.authenticator.verifyRoa(req.method, req.path, headerRecord(req), query);
      if (req.headers['x-acs-version'] !== CS_API_VERSION)
        throw new PopError('InvalidVersion', 400, 'Specified parameter Version is not valid.');
      const fault = this.faults.take(req.path);
      if (fault) throw new PopError(fault.code, fault.httpStatus, messageForCode(fault.code));
    } catch (e) {
      if (e instanceof PopError) return rpcError(e.code, e.message, e.httpStatus, HOST);
      throw e;
    }
    const match = /^\/k8s\/([^/]+)\/user_config$/.exec(req.path);
    if (!match || req.method !== 'GET')
      return rpcError('InvalidAction.NotFound', 'Specified api is not found, please check your url and method.', 404, HOST);
    const clusterId = decodeURIComponent(match[1]!);
    if (!this.opts.clusterIds.includes(clusterId)) {
      return { status: 404, body: { code: 'ErrorClusterNotFound', message: `cluster ${clusterId} not found`, requestId: requestId() } };
    }
    const minutes = query.TemporaryDurationMinutes === undefined ? 4320 : Number(query.TemporaryDurationMinutes);
    if (!Number.isInteger(minutes) || minutes < 15 || minutes > 4320) {
      return {
        status: 400,
        body: { code: 'ErrorParameterInvalid', message: 'TemporaryDurationMinutes must be an integer in 15..4320', requestId: requestId() },
      };
    }
    const expiration = new Date(this.opts.clock.now() + minutes * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    return { status: 200, body: { config: this.opts.kubeconfig(clusterId), expiration } };
  }
}
