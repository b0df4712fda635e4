/**
 * Tablestore's PlainBuffer row format, written from the format itself (tags, little-endian
 * lengths, CRC-8 checksums per cell and per row) rather than borrowed from the SDK: the SDK's
 * reader then checks the twin's checksums and the twin checks the SDK's, so a disagreement
 * about the wire format fails loudly on either side.
 */
export type CellValue =
  | { type: 'integer'; value: bigint }
  | { type: 'double'; value: number }
  | { type: 'boolean'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'blob'; value: Buffer };

export type PkValue =
  Extract<CellValue, { type: 'integer' | 'string' | 'blob' }> | { type: 'inf_min' } | { type: 'inf_max' } | { type: 'auto_increment' };

export interface PkColumn {
  name: string;
  value: PkValue;
}

export type CellOp = 'put' | 'delete_one_version' | 'delete_all_versions' | 'increment';

export interface CellChange {
  name: string;
  op: CellOp;
  value?: CellValue;
  timestamp?: number;
}

export interface RowChange {
  primaryKey: PkColumn[];
  cells: CellChange[];
  deleteRow: boolean;
}

export interface OutputRow {
  primaryKey: PkColumn[];
  cells: Array<{ name: string; value: CellValue; timestamp: number }>;
}

const HEADER = 0x75;
const TAG = {
  ROW_PK: 0x1,
  ROW_DATA: 0x2,
  CELL: 0x3,
  CELL_NAME: 0x4,
  CELL_VALUE: 0x5,
  CELL_TYPE: 0x6,
  CELL_TIMESTAMP: 0x7,
  DELETE_ROW_MARKER: 0x8,
  ROW_CHECKSUM: 0x9,
  CELL_CHECKSUM: 0xa,
} as const;
const VT = {
  INTEGER: 0x0,
  DOUBLE: 0x1,
  BOOLEAN: 0x2,
  STRING: 0x3,
  NULL: 0x6,
  BLOB: 0x7,
  INF_MIN: 0x9,
  INF_MAX: 0xa,
  AUTO_INCREMENT: 0xb,
} as const;
const OP_BY_BYTE: Record<number, CellOp> = { 0x1: 'delete_all_versions', 0x3: 'delete_one_version', 0x4: 'increment' };

export class PlainBufferError extends Error {}

// CRC-8, polynomial x^8 + x^2 + x + 1 (0x07), as PlainBuffer uses.
const CRC8_TABLE = Array.from({ length: 256 }, (_, i) => {
  let c = i;
  for (let bit = 0; bit < 8; bit++) c = c & 0x80 ? ((c << 1) ^ 0x07) & 0xff : (c << 1) & 0xff;
  return c;
});
export function crc8(crc: number, bytes: Uint8Array | number[]): number {
  for (const b of bytes) crc = CRC8_TABLE[(crc ^ b) & 0xff]!;
  return crc;
}
const crcByte = (crc: number, b: number): number => crc8(crc, [b & 0xff]);
const le32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
function le64(n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt.asIntN(64, n));
  return b;
}
function doubleBytes(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(n);
  return b;
}

/** The checksum contribution of a value: its type byte, then its payload (a length first for strings and blobs). */
function valueCrc(crc: number, value: PkValue | CellValue): number {
  switch (value.type) {
    case 'integer':
      return crc8(crcByte(crc, VT.INTEGER), le64(value.value));
    case 'double':
      return crc8(crcByte(crc, VT.DOUBLE), doubleBytes(value.value));
    case 'boolean':
      return crcByte(crcByte(crc, VT.BOOLEAN), value.value ? 1 : 0);
    case 'string': {
      const bytes = Buffer.from(value.value, 'utf8');
      return crc8(crc8(crcByte(crc, VT.STRING), le32(bytes.length)), bytes);
    }
    case 'blob':
      return crc8(crc8(crcByte(crc, VT.BLOB), le32(value.value.length)), value.value);
    case 'inf_min':
      return crcByte(crc, VT.INF_MIN);
    case 'inf_max':
      return crcByte(crc, VT.INF_MAX);
    case 'auto_increment':
      return crcByte(crc, VT.AUTO_INCREMENT);
  }
}

class Reader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}
  get atEnd(): boolean {
    return this.pos >= this.buf.length;
  }
  byte(): number {
    if (this.pos >= this.buf.length) throw new PlainBufferError('unexpected end of PlainBuffer');
    return this.buf[this.pos++]!;
  }
  peek(): number | undefined {
    return this.buf[this.pos];
  }
  u32(): number {
    if (this.pos + 4 > this.buf.length) throw new PlainBufferError('unexpected end of PlainBuffer');
    const n = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return n;
  }
  bytes(n: number): Buffer {
    if (this.pos + n > this.buf.length) throw new PlainBufferError('unexpected end of PlainBuffer');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return Buffer.from(out);
  }
  expect(tag: number, what: string): void {
    const got = this.byte();
    if (got !== tag) throw new PlainBufferError(`expected ${what} (tag ${tag}), got tag ${got}`);
  }
}

/** Reads the SQLVariant after TAG_CELL_VALUE's length: a type byte and the payload. */
function readVariant(r: Reader): PkValue | CellValue {
  const type = r.byte();
  switch (type) {
    case VT.INTEGER:
      return { type: 'integer', value: r.bytes(8).readBigInt64LE() };
    case VT.DOUBLE:
      return { type: 'double', value: r.bytes(8).readDoubleLE() };
    case VT.BOOLEAN:
      return { type: 'boolean', value: r.byte() !== 0 };
    case VT.STRING:
      return { type: 'string', value: r.bytes(r.u32()).toString('utf8') };
    case VT.BLOB:
      return { type: 'blob', value: r.bytes(r.u32()) };
    case VT.INF_MIN:
      return { type: 'inf_min' };
    case VT.INF_MAX:
      return { type: 'inf_max' };
    case VT.AUTO_INCREMENT:
      return { type: 'auto_increment' };
    default:
      throw new PlainBufferError(`unsupported value type ${type}`);
  }
}

/** A bare SQLVariant (a column condition's value): type byte and payload, no tags, no checksum. */
export function decodeVariant(buf: Buffer): CellValue {
  const value = readVariant(new Reader(buf));
  if (value.type === 'inf_min' || value.type === 'inf_max' || value.type === 'auto_increment')
    throw new PlainBufferError(`${value.type} is not a column value`);
  return value;
}

function readCell(r: Reader): { name: string; value?: PkValue | CellValue; op?: CellOp; timestamp?: number; checksum: number } {
  r.expect(TAG.CELL, 'TAG_CELL');
  r.expect(TAG.CELL_NAME, 'TAG_CELL_NAME');
  const nameBytes = r.bytes(r.u32());
  let crc = crc8(0, nameBytes);
  let value: PkValue | CellValue | undefined;
  let op: CellOp | undefined;
  let opByte: number | undefined;
  let timestamp: bigint | undefined;
  for (;;) {
    const tag = r.byte();
    if (tag === TAG.CELL_VALUE) {
      r.u32();
      value = readVariant(r);
    } else if (tag === TAG.CELL_TYPE) {
      opByte = r.byte();
      op = OP_BY_BYTE[opByte];
      if (!op) throw new PlainBufferError(`unknown cell type ${opByte}`);
    } else if (tag === TAG.CELL_TIMESTAMP) {
      timestamp = r.bytes(8).readBigInt64LE();
    } else if (tag === TAG.CELL_CHECKSUM) {
      // The checksum covers name, value, timestamp, then cell type, whatever order the tags came in.
      if (value) crc = valueCrc(crc, value);
      if (timestamp !== undefined) crc = crc8(crc, le64(timestamp));
      if (opByte !== undefined) crc = crcByte(crc, opByte);
      const sent = r.byte();
      if (sent !== crc) throw new PlainBufferError(`cell checksum mismatch: sent ${sent}, computed ${crc}`);
      return {
        name: nameBytes.toString('utf8'),
        value,
        op,
        timestamp: timestamp === undefined ? undefined : Number(timestamp),
        checksum: crc,
      };
    } else {
      throw new PlainBufferError(`unexpected tag ${tag} in a cell`);
    }
  }
}

/** One row as a request carries it (GetRow's key, PutRow's row, UpdateRow's change, DeleteRow's key). */
export function decodeRow(buf: Buffer): RowChange {
  const r = new Reader(buf);
  if (r.u32() !== HEADER) throw new PlainBufferError('bad PlainBuffer header');
  r.expect(TAG.ROW_PK, 'TAG_ROW_PK');
  let rowCrc = 0;
  const primaryKey: PkColumn[] = [];
  while (r.peek() === TAG.CELL) {
    const cell = readCell(r);
    if (!cell.value || cell.op) throw new PlainBufferError(`primary key column ${cell.name} needs a plain value`);
    const value = cell.value;
    if (value.type === 'double' || value.type === 'boolean')
      throw new PlainBufferError(`primary key column ${cell.name} cannot be ${value.type}`);
    primaryKey.push({ name: cell.name, value });
    rowCrc = crcByte(rowCrc, cell.checksum);
  }
  const cells: CellChange[] = [];
  if (r.peek() === TAG.ROW_DATA) {
    r.byte();
    while (r.peek() === TAG.CELL) {
      const cell = readCell(r);
      const value = cell.value;
      if (value && (value.type === 'inf_min' || value.type === 'inf_max' || value.type === 'auto_increment')) {
        throw new PlainBufferError(`attribute column ${cell.name} cannot be ${value.type}`);
      }
      const op = cell.op ?? 'put';
      if ((op === 'put' || op === 'increment') && !value) throw new PlainBufferError(`attribute column ${cell.name} has no value`);
      cells.push({
        name: cell.name,
        op,
        ...(value ? { value } : {}),
        ...(cell.timestamp === undefined ? {} : { timestamp: cell.timestamp }),
      });
      rowCrc = crcByte(rowCrc, cell.checksum);
    }
  }
  let deleteRow = false;
  if (r.peek() === TAG.DELETE_ROW_MARKER) {
    r.byte();
    deleteRow = true;
  }
  rowCrc = crcByte(rowCrc, deleteRow ? 1 : 0);
  r.expect(TAG.ROW_CHECKSUM, 'TAG_ROW_CHECKSUM');
  const sent = r.byte();
  if (sent !== rowCrc) throw new PlainBufferError(`row checksum mismatch: sent ${sent}, computed ${rowCrc}`);
  // The SDK sizes its buffer before writing and over-counts INF_MIN/INF_MAX by a byte each,
  // so range keys arrive with zero padding after the checksum; the service ignores it.
  while (!r.atEnd) if (r.byte() !== 0) throw new PlainBufferError('trailing bytes after the row');
  return { primaryKey, cells, deleteRow };
}

// ---- writing ---------------------------------------------------------------------------------

class Writer {
  private readonly parts: Buffer[] = [];
  raw(bytes: Uint8Array | number[]): void {
    this.parts.push(Buffer.from(bytes));
  }
  byte(b: number): void {
    this.raw([b]);
  }
  u32(n: number): void {
    this.raw(le32(n));
  }
  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function variantBytes(value: PkValue | CellValue): Buffer {
  switch (value.type) {
    case 'integer':
      return Buffer.concat([Buffer.from([VT.INTEGER]), le64(value.value)]);
    case 'double':
      return Buffer.concat([Buffer.from([VT.DOUBLE]), doubleBytes(value.value)]);
    case 'boolean':
      return Buffer.from([VT.BOOLEAN, value.value ? 1 : 0]);
    case 'string': {
      const bytes = Buffer.from(value.value, 'utf8');
      return Buffer.concat([Buffer.from([VT.STRING, ...le32(bytes.length)]), bytes]);
    }
    case 'blob':
      return Buffer.concat([Buffer.from([VT.BLOB, ...le32(value.value.length)]), value.value]);
    case 'inf_min':
      return Buffer.from([VT.INF_MIN]);
    case 'inf_max':
      return Buffer.from([VT.INF_MAX]);
    case 'auto_increment':
      return Buffer.from([VT.AUTO_INCREMENT]);
  }
}

function writeCell(w: Writer, name: string, value: PkValue | CellValue, timestamp?: number): number {
  const nameBytes = Buffer.from(name, 'utf8');
  w.byte(TAG.CELL);
  w.byte(TAG.CELL_NAME);
  w.u32(nameBytes.length);
  w.raw(nameBytes);
  const variant = variantBytes(value);
  w.byte(TAG.CELL_VALUE);
  w.u32(variant.length);
  w.raw(variant);
  let crc = valueCrc(crc8(0, nameBytes), value);
  if (timestamp !== undefined) {
    w.byte(TAG.CELL_TIMESTAMP);
    w.raw(le64(BigInt(timestamp)));
    crc = crc8(crc, le64(BigInt(timestamp)));
  }
  w.byte(TAG.CELL_CHECKSUM);
  w.byte(crc);
  return crc;
}

function writeRowBody(w: Writer, row: OutputRow): void {
  let rowCrc = 0;
  w.byte(TAG.ROW_PK);
  for (const pk of row.primaryKey) rowCrc = crcByte(rowCrc, writeCell(w, pk.name, pk.value));
  if (row.cells.length > 0) {
    w.byte(TAG.ROW_DATA);
    for (const cell of row.cells) rowCrc = crcByte(rowCrc, writeCell(w, cell.name, cell.value, cell.timestamp));
  }
  w.byte(TAG.ROW_CHECKSUM);
  w.byte(crcByte(rowCrc, 0));
}

/** Rows as responses carry them: one header, then the rows back to back (GetRange); empty when there are none. */
export function encodeRows(rows: OutputRow[]): Buffer {
  if (rows.length === 0) return Buffer.alloc(0);
  const w = new Writer();
  w.u32(HEADER);
  for (const row of rows) writeRowBody(w, row);
  return w.finish();
}
