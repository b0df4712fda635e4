import { z } from 'zod';

/** Zod shapes of the events FC 3.0 hands a Node.js handler (platform facts: "Function Compute 3.0"). */

const headerValue = z.union([z.string(), z.array(z.string())]);

export const fcHttpEnvelopeSchema = z.object({
  version: z.string().optional(),
  rawPath: z.string().startsWith('/', 'must start with /'),
  headers: z.record(z.string(), headerValue).default({}),
  queryParameters: z.record(z.string(), headerValue).nullish(),
  body: z.string().nullish(),
  isBase64Encoded: z.boolean().default(false),
  requestContext: z.object({
    accountId: z.string().optional(),
    domainName: z.string().optional(),
    http: z.object({
      method: z.string().min(1, 'required'),
      path: z.string().optional(),
      protocol: z.string().optional(),
      sourceIp: z.string().optional(),
      userAgent: z.string().optional(),
    }),
    requestId: z.string().optional(),
    time: z.string().optional(),
    timeEpoch: z.string().optional(),
  }),
});

export const fcTimerEventSchema = z.object({
  triggerTime: z.string().min(1, 'required'),
  triggerName: z.string().min(1, 'required'),
  payload: z.string().optional(),
});

/** The CloudEvents attributes EventBridge sets; `data` stays opaque here (the signal parsers own it). */
export const cloudEventSchema = z
  .object({
    specversion: z.string().optional(),
    id: z.string().min(1, 'required'),
    source: z.string().min(1, 'required'),
    type: z.string().min(1, 'required'),
    subject: z.string().optional(),
    time: z.string().optional(),
    data: z.unknown().optional(),
  })
  .loose();
