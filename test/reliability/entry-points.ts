import { loadSYaml } from '../../lab/host/s-yaml';
import { controlRoutes } from '../../functions/control/routes';

/**
 * Where the reliability suite sends things, read from the deployment description rather than
 * listed by hand: the functions and their triggers from s.yaml, the control API's routes from
 * its router, and the alarm callback URL from one helper. A new function, trigger or route is
 * fuzzed without touching the suite.
 */

export interface EntryPoint {
  /** The s.yaml resource key (the local FC host's URL prefix). */
  fn: string;
  kind: 'http' | 'eventbridge' | 'timer' | 'log' | 'invoke';
  methods: string[];
}

export function entryPoints(sYamlPath = 's.yaml'): EntryPoint[] {
  const { spec } = loadSYaml(sYamlPath, { ...process.env, ALIBABA_CLOUD_ACCOUNT_ID: '0' });
  const out: EntryPoint[] = [];
  for (const [key, r] of Object.entries(spec.resources)) {
    for (const t of r.props.triggers ?? []) {
      if (t.triggerType === 'http') out.push({ fn: key, kind: 'http', methods: [...t.triggerConfig.methods] });
      // An SLS trigger delivers its event by invoking the function (the host's /_invoke/<fn>).
      else if (t.triggerType === 'log') out.push({ fn: key, kind: 'log', methods: ['POST'] });
      else out.push({ fn: key, kind: t.triggerType, methods: ['POST'] });
    }
    // Every function can be invoked directly (InvokeFunction); the local host serves it at /_invoke/<fn>.
    out.push({ fn: key, kind: 'invoke', methods: ['POST'] });
  }
  return out;
}

/** The control API's routes with path parameters filled in (a syntactically valid id). */
export function controlRouteList(): Array<{ method: string; path: string }> {
  return controlRoutes.map((r) => ({ method: r.method, path: r.pattern.replace(/\{[^}]+\}/g, 'ovr-1') }));
}

/**
 * The URL a CMS alarm callback (or an Alertmanager webhook) is configured with. Today the token
 * rides in the query and the callback names no region; when the callback URL names the region
 * (`/alarm/cms/<region>?token=…` or `?region=…`), this is the one place to change.
 */
export function alarmCallbackUrl(hostUrl: string, token: string, region = 'cn-hangzhou'): string {
  // CMS callbacks name no region: the operator's per-region callback URL does (infra/README.md).
  return `${hostUrl}/alarm/cms?region=${encodeURIComponent(region)}&token=${encodeURIComponent(token)}`;
}

/** Where the alarm function's HTTP trigger is, for requests that must not carry a valid token. */
export function alarmBaseUrl(hostUrl: string): string {
  return `${hostUrl}/alarm/cms`;
}
