import { deflateSync } from 'node:zlib';

/**
 * What the SLS twin puts on the wire for PullLogs:
 *
 * - the protobuf `LogGroupList` of SLS's "Data encoding" page (the only body format the PullLogs
 *   reference documents, `Accept: application/x-protobuf`):
 *     message Log      { required uint32 Time = 1; repeated Content Contents = 2; optional fixed32 Time_ns = 4;
 *                        message Content { required string Key = 1; required string Value = 2; } }
 *     message LogTag   { required string Key = 1; required string Value = 2; }
 *     message LogGroup { repeated Log Logs = 1; optional string Reserved = 2; optional string Topic = 3;
 *                        optional string Source = 4; repeated LogTag LogTags = 6; }
 *     message LogGroupList { repeated LogGroup logGroupList = 1; }
 * - the JSON the `@alicloud/sls20201230` 5.9.0 client asks for instead (`Accept: application/json`,
 *   `bodyType: "json"` in its `pullLogsWithOptions`), in the shape its models read
 *   (`LogGroupList.logGroupList[]`, `LogGroup.{LogItems, LogTags, Source, Topic}`,
 *   `LogItem.{Contents, Time}`, `LogContent.{Key, Value}`). The SLS reference does not document a
 *   JSON PullLogs body: this one follows the SDK's models only (see docs/cloud-contracts.md).
 *
 * Compression as the SDK's gateway (`@alicloud/gateway-sls` 0.3.2) decodes it: `x-log-compresstype`
 * `lz4` (an LZ4 block, raw size in `x-log-bodyrawsize`) or `deflate`/`gzip` (zlib's deflate stream,
 * which the gateway inflates for both names).
 */

export interface WireLog {
  /** Unix seconds. */
  time: number;
  contents: ReadonlyArray<readonly [string, string]>;
}

export interface WireLogGroup {
  topic: string;
  source: string;
  tags: ReadonlyArray<readonly [string, string]>;
  logs: readonly WireLog[];
}

function varint(out: number[], value: number): void {
  let v = value >>> 0;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
}

function lengthDelimited(out: number[], field: number, bytes: Uint8Array | number[]): void {
  varint(out, (field << 3) | 2);
  varint(out, bytes.length);
  for (const b of bytes) out.push(b);
}

function keyValue(key: string, value: string): number[] {
  const out: number[] = [];
  lengthDelimited(out, 1, Buffer.from(key, 'utf8'));
  lengthDelimited(out, 2, Buffer.from(value, 'utf8'));
  return out;
}

function encodeLog(log: WireLog): number[] {
  const out: number[] = [];
  varint(out, (1 << 3) | 0);
  varint(out, log.time);
  for (const [k, v] of log.contents) lengthDelimited(out, 2, keyValue(k, v));
  return out;
}

function encodeGroup(group: WireLogGroup): number[] {
  const out: number[] = [];
  for (const log of group.logs) lengthDelimited(out, 1, encodeLog(log));
  lengthDelimited(out, 3, Buffer.from(group.topic, 'utf8'));
  lengthDelimited(out, 4, Buffer.from(group.source, 'utf8'));
  for (const [k, v] of group.tags) lengthDelimited(out, 6, keyValue(k, v));
  return out;
}

export function encodeLogGroupList(groups: readonly WireLogGroup[]): Buffer {
  const out: number[] = [];
  for (const g of groups) lengthDelimited(out, 1, encodeGroup(g));
  return Buffer.from(out);
}

/** The decoder of the same messages (tests read the protobuf body back with it). */
export function decodeLogGroupList(buf: Uint8Array): WireLogGroup[] {
  const fields = (bytes: Uint8Array): Array<{ field: number; value: number | Uint8Array }> => {
    const result: Array<{ field: number; value: number | Uint8Array }> = [];
    let i = 0;
    const readVarint = (): number => {
      let shift = 0;
      let v = 0;
      for (;;) {
        const b = bytes[i++];
        if (b === undefined) throw new Error('truncated varint');
        v += (b & 0x7f) * 2 ** shift;
        if (b < 0x80) return v;
        shift += 7;
      }
    };
    while (i < bytes.length) {
      const tag = readVarint();
      const wire = tag & 7;
      const field = tag >>> 3;
      if (wire === 0) result.push({ field, value: readVarint() });
      else if (wire === 2) {
        const len = readVarint();
        result.push({ field, value: bytes.subarray(i, i + len) });
        i += len;
      } else if (wire === 5) {
        result.push({ field, value: Buffer.from(bytes.subarray(i, i + 4)).readUInt32LE(0) });
        i += 4;
      } else throw new Error(`unsupported wire type ${wire}`);
    }
    return result;
  };
  const text = (v: number | Uint8Array) => Buffer.from(v as Uint8Array).toString('utf8');
  const pair = (v: number | Uint8Array): [string, string] => {
    let k = '';
    let val = '';
    for (const f of fields(v as Uint8Array)) {
      if (f.field === 1) k = text(f.value);
      if (f.field === 2) val = text(f.value);
    }
    return [k, val];
  };
  return fields(buf)
    .filter((f) => f.field === 1)
    .map((g) => {
      const group: { topic: string; source: string; tags: Array<[string, string]>; logs: WireLog[] } = {
        topic: '',
        source: '',
        tags: [],
        logs: [],
      };
      for (const f of fields(g.value as Uint8Array)) {
        if (f.field === 1) {
          const log: { time: number; contents: Array<[string, string]> } = { time: 0, contents: [] };
          for (const lf of fields(f.value as Uint8Array)) {
            if (lf.field === 1) log.time = lf.value as number;
            if (lf.field === 2) log.contents.push(pair(lf.value));
          }
          group.logs.push(log);
        }
        if (f.field === 3) group.topic = text(f.value);
        if (f.field === 4) group.source = text(f.value);
        if (f.field === 6) group.tags.push(pair(f.value));
      }
      return group;
    });
}

/** The JSON body in the shape of the SDK's `LogGroupList` model. */
export function logGroupListJson(groups: readonly WireLogGroup[]): string {
  return JSON.stringify({
    logGroupList: groups.map((g) => ({
      LogItems: g.logs.map((l) => ({ Time: l.time, Contents: l.contents.map(([Key, Value]) => ({ Key, Value })) })),
      LogTags: g.tags.map(([Key, Value]) => ({ Key, Value })),
      Source: g.source,
      Topic: g.topic,
    })),
  });
}

/**
 * An LZ4 block holding `raw` as one run of literals: a valid block every LZ4 decoder reads (the
 * last sequence of a block is literals only), without the matches a real compressor would find.
 * The lab needs the format, not the ratio.
 */
export function lz4LiteralBlock(raw: Uint8Array): Buffer {
  const n = raw.length;
  const head: number[] = [];
  if (n < 15) head.push(n << 4);
  else {
    head.push(0xf0);
    let rest = n - 15;
    while (rest >= 255) {
      head.push(255);
      rest -= 255;
    }
    head.push(rest);
  }
  return Buffer.concat([Buffer.from(head), Buffer.from(raw)]);
}

export type CompressType = 'lz4' | 'deflate';

/**
 * The compression to answer with for an `Accept-Encoding` value: the first the twin supports
 * (lz4, deflate; `gzip` read as deflate, as the SDK's gateway does), or none.
 */
export function chooseCompression(acceptEncoding: string | undefined): { header: string; type: CompressType } | null {
  for (const raw of (acceptEncoding ?? '').split(',')) {
    const name = raw.trim().toLowerCase();
    if (name === 'lz4') return { header: 'lz4', type: 'lz4' };
    if (name === 'deflate' || name === 'gzip') return { header: name, type: 'deflate' };
  }
  return null;
}

export function compress(raw: Buffer, type: CompressType): Buffer {
  return type === 'lz4' ? lz4LiteralBlock(raw) : deflateSync(raw);
}
