/**
 * What the telemetry path costs per month: the SLS read traffic of the telemetry function's
 * PullLogs and the Function Compute invocations of its SLS trigger, at the benchmark's request
 * rate and the trigger's interval. Computed, not typed: the inputs are the lab's traffic (the
 * benchmark measures entries per request), a representative access-log entry in ASM's default
 * format (its bytes counted, then compressed as a pull's body is), and public prices (below, each
 * with its source).
 */

/** A public price and where it comes from. */
export interface Price {
  usd: number;
  unit: string;
  source: string;
}

/**
 * Simple Log Service, pay-by-feature. "Read and write traffic" is billed on the compressed bytes
 * (the billing examples: 18.6 GB of raw logs → 3.72 GB of traffic at 5:1, "USD 0.045 per GB";
 * subscription reads by a consumer count the same as writes).
 */
export const SLS_READ_TRAFFIC: Price = {
  usd: 0.045,
  unit: 'GB of compressed read traffic',
  source:
    'Alibaba Cloud, Simple Log Service "Billing examples" (pay-by-feature, example 2: read and write traffic USD 0.045 per GB), https://www.alibabacloud.com/help/en/sls/product-overview/billing-examples',
};

/** The SLS monthly free quotas that apply (pay-by-feature). */
export const SLS_FREE = {
  trafficGb: 0.5,
  operations: 1_000_000,
  source:
    'Alibaba Cloud, Simple Log Service "Pay-by-feature", free quotas: read and write traffic 500 MB per month, read and write operations 1 million per month, https://www.alibabacloud.com/help/doc-detail/48220.html',
};

/**
 * Function Compute 3.0, pay-as-you-go: every billable item converts to CU (invocations 75 CU per
 * 10,000, active vCPU 1 CU per vCPU-second, memory 0.15 CU per GB-second); tier 1 (up to 100
 * million CU a month) USD 0.000020 per CU.
 */
export const FC_CU: Price = {
  usd: 0.00002,
  unit: 'CU (tier 1, up to 100 million CU a month)',
  source:
    'Alibaba Cloud, Function Compute 3.0 "Pay-as-you-go" (CU prices and conversion factors), https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/product-overview/pay-as-you-go-billing-method-1',
};
export const FC_CU_PER_10K_INVOCATIONS = 75;
export const FC_CU_PER_VCPU_S = 1;
export const FC_CU_PER_GB_S = 0.15;

/**
 * One access-log entry as SLS stores it: ASM's default access-log fields (ASM docs "Customize
 * access logs on the data plane": the JSON fields the istio-proxy prints by default, each an
 * Envoy command operator) with values as a Bookinfo hop in the lab has them, plus the Kubernetes
 * fields the collector adds that the telemetry contract reads (`_pod_name_`, `_namespace_`,
 * `_container_name_`, `_container_ip_`: the product's access-log module lists them with their
 * sources). Logtail adds a few more (time, source, image); leaving them out makes the read
 * traffic a little lower than a real deployment's. The values are representative (lengths as a
 * real hop's), not a record of one.
 */
export const SAMPLE_ENTRY: Readonly<Record<string, string>> = {
  authority_for: 'reviews:9080',
  bytes_received: '0',
  bytes_sent: '358',
  downstream_local_address: '172.16.12.7:9080',
  downstream_remote_address: '172.16.10.34:51862',
  duration: '6',
  istio_policy_status: '-',
  method: 'GET',
  path: '/reviews/0',
  protocol: 'HTTP/1.1',
  request_id: '3f2b9a1e-6c0d-9b8e-a4f1-2d7c5e8b0a13',
  requested_server_name: 'outbound_.9080_.v1_.reviews.default.svc.cluster.local',
  response_code: '200',
  response_flags: '-',
  route_name: 'default',
  start_time: '2026-11-03T03:02:35.412Z',
  trace_id: '4bf92f3577b34da6',
  upstream_cluster: 'outbound|9080|v1|reviews.default.svc.cluster.local',
  upstream_host: '172.16.12.7:9080',
  upstream_local_address: '172.16.10.34:40934',
  upstream_service_time: '5',
  upstream_transport_failure_reason: '-',
  user_agent: 'python-requests/2.31.0',
  x_forwarded_for: '-',
  _container_name_: 'istio-proxy',
  _pod_name_: 'productpage-v1-5b7c8d9f6b-x7k2p',
  _namespace_: 'default',
  _container_ip_: '172.16.10.34',
};

/**
 * Bytes of one entry in a LogGroup (protobuf `Log { uint32 Time = 1; repeated Content { string
 * Key = 1; string Value = 2; } }`): per content, 1 tag + 1 length byte each for key and value and
 * 1 tag + 1 length for the content itself (values here are < 128 bytes), plus the time.
 */
export function entryBytes(entry: Readonly<Record<string, string>> = SAMPLE_ENTRY): number {
  let n = 1 + 5; // Time: tag + varint of a 2026 epoch second
  for (const [k, v] of Object.entries(entry)) n += 2 + (2 + Buffer.byteLength(k)) + (2 + Buffer.byteLength(v));
  return n + 2; // the Log message's own tag and length
}

/**
 * Compressed over raw bytes. SLS documents a compression ratio of 5:1 to 10:1 for collected logs
 * and bills read traffic on the compressed bytes; the least favourable end (5:1) is used, as the
 * docs' own billing example does. (A gzip of synthetic entries compresses far better, because
 * their values repeat more than real ones: not a figure to bill on.)
 */
export const SLS_COMPRESSION = {
  ratio: 0.2,
  source:
    'Alibaba Cloud, Simple Log Service "Billable items of pay-by-feature": "the compression ratio ranges from 10:1 to 5:1" (5:1 taken), https://www.alibabacloud.com/help/en/sls/product-overview/billable-items',
};

export interface TelemetryCostInput {
  /** Client requests per second across the regions (the benchmark's gateways' load). */
  requestsPerS: number;
  /** Access-log entries per client request (two per hop: the caller's outbound entry, the server's inbound one). */
  entriesPerRequest: number;
  /** The SLS trigger's interval (s). */
  intervalS: number;
  /** Shards the trigger reads (one logstore per cluster, one shard each in the lab). */
  shards: number;
  /** The telemetry function's size and time per invocation (s.yaml; duration as measured or assumed). */
  vcpu: number;
  memoryGb: number;
  durationS: number;
}

export interface TelemetryCost {
  input: TelemetryCostInput;
  entryBytes: number;
  compression: number;
  entriesPerMonth: number;
  rawGbPerMonth: number;
  readGbPerMonth: number;
  readUsd: number;
  pullsPerMonth: number;
  invocationsPerMonth: number;
  cuPerMonth: { invocations: number; vcpu: number; memory: number };
  fcUsd: number;
  totalUsd: number;
}

const MONTH_S = 30 * 86_400;

/** The month's figures (30 days), free quotas deducted, every billable item at tier-1 prices. */
export function telemetryCost(input: TelemetryCostInput): TelemetryCost {
  const bytes = entryBytes();
  const entriesPerS = input.requestsPerS * input.entriesPerRequest;
  const compression = SLS_COMPRESSION.ratio;
  const entriesPerMonth = entriesPerS * MONTH_S;
  const rawGb = (entriesPerMonth * bytes) / 1e9;
  const readGb = rawGb * compression;
  const invocations = (MONTH_S / input.intervalS) * input.shards;
  // Each invocation pulls its cursor range: at least one PullLogs (more when its range spans more log groups than one page holds).
  const pulls = invocations;
  const cu = {
    invocations: (invocations / 10_000) * FC_CU_PER_10K_INVOCATIONS,
    vcpu: invocations * input.durationS * input.vcpu * FC_CU_PER_VCPU_S,
    memory: invocations * input.durationS * input.memoryGb * FC_CU_PER_GB_S,
  };
  const readUsd = Math.max(0, readGb - SLS_FREE.trafficGb) * SLS_READ_TRAFFIC.usd;
  const fcUsd = (cu.invocations + cu.vcpu + cu.memory) * FC_CU.usd;
  return {
    input,
    entryBytes: bytes,
    compression,
    entriesPerMonth,
    rawGbPerMonth: rawGb,
    readGbPerMonth: readGb,
    readUsd,
    pullsPerMonth: pulls,
    invocationsPerMonth: invocations,
    cuPerMonth: cu,
    fcUsd,
    totalUsd: readUsd + fcUsd,
  };
}

const usd = (x: number) => `USD ${x < 10 ? x.toFixed(2) : x.toFixed(0)}`;
const big = (x: number) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} million` : x.toFixed(0));

/** The report's section. */
export function telemetryCostSection(c: TelemetryCost): string {
  const i = c.input;
  return [
    `## What the telemetry path costs per month (SLS trigger every ${i.intervalS} s)`,
    '',
    `At the benchmark's load (${i.requestsPerS} client requests/s, ${i.entriesPerRequest.toFixed(2)} access-log entries per request, measured in the warm-up), ${i.shards} shards (one logstore per cluster),`,
    `a 30-day month. One entry in ASM's default access-log format with Logtail's container fields is ${c.entryBytes} bytes in a LogGroup; read traffic is billed compressed, at ${(100 * c.compression).toFixed(0)} % of that (5:1).`,
    '',
    '| item | per month | price | cost |',
    '|---|---:|---|---:|',
    `| access-log entries read | ${big(c.entriesPerMonth)} (${c.rawGbPerMonth.toFixed(1)} GB raw) | — | — |`,
    `| SLS read traffic (compressed) | ${c.readGbPerMonth.toFixed(2)} GB | USD ${SLS_READ_TRAFFIC.usd} per GB, ${SLS_FREE.trafficGb * 1000} MB free | ${usd(c.readUsd)} |`,
    `| SLS read operations (PullLogs, at least) | ${big(c.pullsPerMonth)} | not priced here (see below) | — |`,
    `| FC invocations | ${big(c.invocationsPerMonth)} | ${FC_CU_PER_10K_INVOCATIONS} CU per 10,000 | ${usd(c.cuPerMonth.invocations * FC_CU.usd)} |`,
    `| FC active vCPU (${i.vcpu} vCPU × ${i.durationS} s per invocation) | ${big(c.cuPerMonth.vcpu)} CU | ${FC_CU_PER_VCPU_S} CU per vCPU-s | ${usd(c.cuPerMonth.vcpu * FC_CU.usd)} |`,
    `| FC memory (${i.memoryGb} GB × ${i.durationS} s) | ${big(c.cuPerMonth.memory)} CU | ${FC_CU_PER_GB_S} CU per GB-s | ${usd(c.cuPerMonth.memory * FC_CU.usd)} |`,
    `| **total** | | | **${usd(c.totalUsd)}** |`,
    '',
    'Sources of the prices:',
    `- SLS read traffic: ${SLS_READ_TRAFFIC.source}.`,
    `- SLS free quotas: ${SLS_FREE.source}.`,
    `- Compression: ${SLS_COMPRESSION.source}.`,
    `- FC: ${FC_CU.source} (tier 1: USD ${FC_CU.usd} per CU).`,
    '',
    "Not in the total, and why: the read operations' unit price (the PullLogs count is above; the first",
    `${big(SLS_FREE.operations)} a month are free, and the sources read for this report give no per-operation price); read traffic over the`,
    'Internet (a function reading a logstore of another region through its public endpoint is billed',
    'Internet read traffic on top, whose price the sources read here do not give: keep the function in',
    "each logstore's region or read over the internal endpoint); the ingestion, index and storage of the",
    'access logs themselves (ASM ships them to SLS whether or not regionshift reads them). The',
    `per-invocation time (${i.durationS} s) is an assumption (a PullLogs round trip and the aggregation of a`,
    `${i.intervalS}-s batch), not a measurement: the cost scales with it.`,
    '',
  ].join('\n');
}
