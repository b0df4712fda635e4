import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { commandBody, signalBody } from '../shared/core/command-schema';
import { RegionshiftError } from '../shared/core/errors';
import { formatIssues } from '../shared/core/policy';
import { duration } from '../shared/core/policy-schema';
import { rawPayloadKinds, urlPayloadKinds, type RawPayloadKind } from '../shared/signals/raw-input';

/**
 * What a `regionshift simulate` scenario may say (docs/cli.md): a start time, optional periodic
 * ticks, and timed inputs (signals, ticks, commands, raw payloads), each step with an optional
 * `expect`. Validated whole before anything runs; a problem names its path.
 */

const matrixSchema = z.record(z.string(), z.record(z.string(), z.number()));

const SCOPE_VALUE = 'must be default or a matrix { <source region>: { <region>: percent } }';

/**
 * A VirtualService as Istio writes it (`kubectl get virtualservice -o yaml`), for policy
 * `scopes.entryFrom`. Strict where a typo would silently change what the derivation sees: the
 * object's top level, `spec` (Istio's VirtualService fields), an http route's destinations and a
 * destination. `metadata` and an http rule's other fields (match, rewrite, timeout, …) are kept as
 * they are: the derivation does not read them, and Istio adds fields there from release to release.
 */
const requiredText = () => z.string({ error: (iss) => (iss.input === undefined ? 'required' : 'must be a string') }).min(1, 'required');
const destinationSchema = z.object({ host: requiredText(), subset: z.string().optional(), port: z.unknown().optional() }).strict();
const virtualServiceSchema = z
  .object({
    apiVersion: z.string().optional(),
    kind: z.literal('VirtualService').optional(),
    metadata: z.object({ name: requiredText(), namespace: z.string().min(1).optional() }).passthrough(),
    spec: z
      .object({
        hosts: z.array(z.string()).optional(),
        gateways: z.array(z.string()).optional(),
        http: z
          .array(
            z
              .object({
                route: z
                  .array(
                    z.object({ destination: destinationSchema, weight: z.number().optional(), headers: z.unknown().optional() }).strict(),
                  )
                  .optional(),
              })
              .passthrough(),
          )
          .optional(),
        tls: z.array(z.unknown()).optional(),
        tcp: z.array(z.unknown()).optional(),
        exportTo: z.array(z.string()).optional(),
      })
      .strict(),
    status: z.unknown().optional(),
  })
  .strict();

/** What the tick's read of the gateways' VirtualServices returns from a step on: these objects, or a failure. */
const entryReadSchema = z
  .object({
    virtualServices: z.array(virtualServiceSchema).optional(),
    error: z.string().min(1, 'the failure message, as the runtime would record it').optional(),
  })
  .strict()
  .refine((r) => (r.virtualServices === undefined) !== (r.error === undefined), {
    message: 'give either virtualServices (what the read returns) or error (the read fails), not both',
  });

export const expectSchema = z
  .object({
    mode: z.enum(['failover', 'distribute']).optional(),
    /** The default matrix: every host not routed apart by a scope. */
    matrix: matrixSchema.optional(),
    /**
     * Per host FQDN: the matrix its traffic follows (its own routing, or the default when it has
     * none), or `default` to state that it has no routing of its own.
     */
    scopes: z
      .record(
        z.string().min(1, 'a host FQDN'),
        z.union([z.literal('default', { message: SCOPE_VALUE }), matrixSchema], { message: SCOPE_VALUE }),
      )
      .optional(),
    health: z.record(z.string(), z.enum(['HEALTHY', 'DEGRADED', 'DOWN', 'RECOVERING'])).optional(),
    /**
     * The entry services (service scopes): `services` and `from` (VirtualServices, `namespace/name`)
     * as sets; `problem` a text the recorded problem contains, or null for none.
     */
    entry: z
      .object({
        services: z.array(z.string()).optional(),
        from: z.array(z.string()).optional(),
        problem: z.union([z.string().min(1), z.null()]).optional(),
      })
      .strict()
      .optional(),
    changed: z.boolean().optional(),
    refused: z.array(z.string()).optional(),
  })
  .strict();

const stepSchema = z
  .object({
    at: duration,
    signal: signalBody.optional(),
    tick: z.literal(true).optional(),
    command: commandBody.optional(),
    raw: z
      .object({
        kind: z.enum(rawPayloadKinds as [RawPayloadKind, ...RawPayloadKind[]]),
        body: z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())]).optional(),
        file: z.string().optional(),
        /** The region the callback URL names (`?region=`): CMS callbacks carry none in their body. */
        urlRegion: z.string().min(1, 'required').optional(),
      })
      .strict()
      .refine((r) => r.urlRegion === undefined || urlPayloadKinds.includes(r.kind), {
        message: `urlRegion: only ${urlPayloadKinds.join(' and ')} payloads arrive on a URL`,
      })
      .optional(),
    actor: z.string().default('scenario'),
    /** From this step on, what each tick's read of the gateways' VirtualServices returns (policy scopes.entryFrom). */
    entryRead: entryReadSchema.optional(),
    expect: expectSchema.optional(),
  })
  .strict()
  .refine((s) => [s.signal, s.tick, s.command, s.raw].filter((x) => x !== undefined).length === 1, {
    message: 'each step has exactly one of signal, tick, command, raw',
  });

export const scenarioSchema = z
  .object({
    name: z.string().optional(),
    start: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO time'),
    tickEvery: duration.optional(),
    /** Policy scopes.entryFrom: the VirtualServices each tick's read returns from the start (a step's entryRead changes it). */
    virtualServices: z.array(virtualServiceSchema).optional(),
    steps: z.array(stepSchema).min(1, 'a scenario needs at least one step'),
  })
  .strict();

export type Scenario = z.output<typeof scenarioSchema>;

export function loadScenario(text: string): Scenario {
  const parsed = scenarioSchema.safeParse(parseYaml(text));
  if (!parsed.success)
    throw new RegionshiftError('SCENARIO.INVALID', `invalid scenario:\n  ${formatIssues(parsed.error.issues).join('\n  ')}`);
  return parsed.data;
}
