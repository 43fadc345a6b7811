import { isUtf8 } from 'node:buffer';
import { Decimal, JsonText, lazyRecords, type NativeRows, type RecordData } from '@mage-int/core';
import type { PlanColumn } from './table-plan.js';
import { isZeroDate } from './type-map.js';

/**
 * PostgreSQL COPY text written straight from the bytes of MySQL's text-protocol row packets, and the records decoded
 * from it: a batch's records are decoded only when something reads them (`lazyRecords`), so a destination that loads
 * the text unchanged (destination-postgres, `NativeRows`) gets rows no driver parsed and no record encoded. Every
 * value is written so that it decodes to exactly the record value the driver's row would have converted to
 * (`convertRow`); a batch goes out as native rows only when PostgreSQL also reads each value back as that record
 * (not with a NUL byte in text, a time beyond 24 h, an unsigned bigint beyond int8, a float with more digits than its
 * record keeps, text that is not UTF-8): such a batch carries its records alone.
 */

/** How one column's MySQL text becomes COPY text. */
enum Write {
  /** Digits, decimals, doubles, years, uuids: the bytes as they are. */
  Verbatim,
  /** float: as it is; loadable when it has at most the 6 significant digits the record keeps of it. */
  Float,
  /** Text: backslash, tab, newline and carriage return escaped; a NUL byte (kept) makes the batch records only. */
  Text,
  /** JSON text: escaped as text; a `\u0000` escape (which PostgreSQL's json types treat apart) is not loadable. */
  Json,
  /** tinyint(1): `0` is false, any other number true (as the record's boolean). */
  TinyBool,
  /** bit(1): any bit set is true. */
  BitBool,
  /** bit(n): the bits as an unsigned integer. */
  Bits,
  /** Bytes as bytea's hex input (`\\x00ff`, its backslash escaped for COPY). */
  Bytes,
  /** date/datetime/timestamp: as they are, a zero date as NULL (after the plan's zero-date rule: warn or fail). */
  Temporal,
  /** time: as it is; loadable when it is a time of day (PostgreSQL's `time`), not negative or beyond 24 h. */
  Time,
  /** bigint unsigned: as it is; loadable up to int8's maximum. */
  UnsignedBigint,
}

/** A column of the native rows: how it is written, the PostgreSQL type of its text, and how it reads back. */
interface NativeColumn {
  name: string;
  write: Write;
  type: string;
  decode: (text: string) => unknown;
  /** Reads the value from its bytes without a string first (integers, booleans). */
  fromBytes?: (buf: Buffer, start: number, end: number) => unknown;
  /** Applies the plan's zero-date rule (a warning, or a thrown error under `zero_dates: error`). */
  zero?: () => void;
}

/** `2024-01-02 03:04:05.123456` → `2024-01-02T03:04:05.123456`, as the record converter makes it. */
const isoDateTime = (text: string) => (text.length > 10 && text.charCodeAt(10) === 32 ? `${text.slice(0, 10)}T${text.slice(11)}` : text);

function integer(text: string): number | bigint {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : BigInt(text);
}

/** An integer's digits (`-` first, at most 15 digits: exact as a number) read from bytes, else as `integer` reads its text. */
function integerFromBytes(buf: Buffer, start: number, end: number): number | bigint {
  if (end - start > 15) return integer(buf.toString('latin1', start, end));
  const negative = buf[start] === 45;
  let n = 0;
  for (let i = negative ? start + 1 : start; i < end; i++) n = n * 10 + (buf[i] as number) - 48;
  return negative ? -n : n;
}

/**
 * The PostgreSQL type a column's COPY text is written for — the type destination-postgres creates from the column's
 * `sql-datatype` (see the README's type table), so its rows load unchanged — with how the text is written and read
 * back; undefined for a column without such a form (its stream's batches then carry records only).
 */
function nativeColumn(column: PlanColumn): NativeColumn | undefined {
  const declared = column.columnType.toLowerCase();
  const unsigned = /\bunsigned\b/.test(declared);
  const type = column.dataType.toLowerCase();
  const name = column.name;
  // The column's converter applies the zero-date rule to a zero date.
  const zero = () => void column.convert('0000-00-00');
  switch (column.kind) {
    case 'boolean':
      return {
        name,
        write: type === 'bit' ? Write.BitBool : Write.TinyBool,
        type: 'boolean',
        decode: (t) => t === 't',
        fromBytes: (buf, start) => buf[start] === 116,
      };
    case 'bit': {
      const bits = Number(/\((\d+)\)/.exec(declared)?.[1] ?? 1);
      return bits <= 63 ? { name, write: Write.Bits, type: 'bigint', decode: integer, fromBytes: integerFromBytes } : undefined;
    }
    case 'integer':
      // Signed smallint/mediumint/int name PostgreSQL types of their width; tinyint and unsigned ones are bigint there.
      return {
        name,
        write: Write.Verbatim,
        type: unsigned || type === 'tinyint' ? 'bigint' : type === 'smallint' ? 'smallint' : 'integer',
        decode: Number,
        fromBytes: integerFromBytes,
      };
    case 'bigint':
      return {
        name,
        write: unsigned ? Write.UnsignedBigint : Write.Verbatim,
        type: 'bigint',
        decode: integer,
        fromBytes: integerFromBytes,
      };
    case 'year':
      return { name, write: Write.Verbatim, type: 'bigint', decode: integer, fromBytes: integerFromBytes };
    case 'decimal': {
      const m = /^(?:decimal|numeric)\((\d+),(\d+)\)$/.exec(declared);
      return { name, write: Write.Verbatim, type: m ? `numeric(${m[1]},${m[2]})` : 'numeric', decode: (t) => new Decimal(t) };
    }
    case 'float': {
      // `float` is a double in PostgreSQL's reading of the name, `float(p,s)` with p ≤ 24 a real; unsigned is neither.
      if (unsigned) return undefined;
      const p = /^float\((\d+)/.exec(declared)?.[1];
      const decode = (t: string) => Number(Number(t).toPrecision(6));
      return { name, write: Write.Float, type: p !== undefined && Number(p) <= 24 ? 'real' : 'double precision', decode };
    }
    case 'double':
      return declared === 'double' || declared === 'real'
        ? { name, write: Write.Verbatim, type: 'double precision', decode: Number }
        : undefined;
    case 'date':
      return { name, write: Write.Temporal, type: 'date', decode: (t) => t, zero };
    case 'datetime':
      return { name, write: Write.Temporal, type: 'timestamp without time zone', decode: isoDateTime, zero };
    case 'timestamp':
      // MySQL's TIMESTAMP, read in UTC, is PostgreSQL's timestamp holding the UTC value (the record's `+00:00` is
      // ignored by that type).
      return { name, write: Write.Temporal, type: 'timestamp without time zone', decode: (t) => `${isoDateTime(t)}+00:00`, zero };
    case 'time':
      return { name, write: Write.Time, type: 'time without time zone', decode: (t) => t };
    case 'text': {
      const length = /^(var)?char\((\d+)\)$/.exec(declared);
      const pgType = length
        ? length[1]
          ? `character varying(${length[2]})`
          : `character(${length[2]})`
        : type === 'uuid'
          ? 'uuid'
          : 'text';
      return { name, write: type === 'uuid' ? Write.Verbatim : Write.Text, type: pgType, decode: (t) => t };
    }
    case 'geometry':
      return { name, write: Write.Text, type: 'text', decode: (t) => t };
    case 'binary':
      return { name, write: Write.Bytes, type: 'bytea', decode: (t) => t.slice(2) };
    case 'json':
      return { name, write: Write.Json, type: 'json', decode: (t) => new JsonText(t) };
    default:
      return undefined;
  }
}

/** The part of a row packet this reads: mysql2's Packet (payload from `offset` to `end` in `buffer`). */
export interface RowPacket {
  buffer: Buffer;
  offset: number;
  end: number;
}

const HEX = Buffer.from('0123456789abcdef', 'latin1');
/** int8's maximum, the largest bigint unsigned value PostgreSQL's bigint holds. */
const INT8_MAX_TEXT = Buffer.from('9223372036854775807', 'latin1');
const INITIAL_BYTES = 1 << 16;

/** A batch's records (decoded from its text when read) and, when PostgreSQL reads every value back as them, the text. */
export interface NativeBatch {
  records: RecordData[];
  native?: NativeRows;
}

/**
 * Writes a query's rows as COPY text, a batch at a time: `row` takes each row packet as the driver receives it (in
 * place of the driver's own row parser; the packet is not moved), `take` ends the batch.
 */
export class NativeRowsWriter {
  private out = Buffer.allocUnsafe(INITIAL_BYTES);
  private pos = 0;
  private usable = true;
  /** Where each row of the batch starts in `out`. */
  private starts: number[] = [];
  /** Columns that held a NULL in the batch. */
  private readonly nulls: Uint8Array;
  private readonly writes: Int8Array;
  private readonly fields: string[];
  private readonly types: string[];
  readonly decode: (data: Buffer) => RecordData[];

  private constructor(private readonly columns: readonly NativeColumn[]) {
    this.writes = Int8Array.from(columns, (c) => c.write);
    this.nulls = new Uint8Array(columns.length);
    this.fields = columns.map((c) => c.name);
    this.types = columns.map((c) => c.type);
    this.decode = (data) => decodeRows(columns, data, 0, data.length);
  }

  /** Rows written since the last `take`. */
  get rows(): number {
    return this.starts.length;
  }

  /** A writer for the plan's columns in SELECT order, or undefined when one of them has no COPY form. */
  static forColumns(columns: readonly PlanColumn[]): NativeRowsWriter | undefined {
    const native: NativeColumn[] = [];
    for (const column of columns) {
      const c = nativeColumn(column);
      if (!c) return undefined;
      native.push(c);
    }
    return native.length > 0 ? new NativeRowsWriter(native) : undefined;
  }

  /** Makes room for `bytes` more bytes. */
  private reserve(bytes: number): Buffer {
    if (this.pos + bytes > this.out.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.out.length * 2, this.pos + bytes));
      this.out.copy(bigger, 0, 0, this.pos);
      this.out = bigger;
    }
    return this.out;
  }

  /**
   * Appends one row packet's values as a COPY text line. Throws only what the plan's zero-date rule throws; a value
   * PostgreSQL would not read back as its record makes the batch records only.
   */
  row(packet: RowPacket): void {
    const buf = packet.buffer;
    const writes = this.writes;
    const columns = writes.length;
    // The most a row's text can take: every byte escaped (two), a bytea's `\\x` and a bit(n)'s digits, a tab each.
    const out = this.reserve(2 * (packet.end - packet.offset) + 24 * columns + 1);
    let pos = this.pos;
    this.starts.push(pos);
    let at = packet.offset;
    for (let c = 0; c < columns; c++) {
      if (c > 0) out[pos++] = 9;
      // A length-coded string: one byte below 251, else 0xfb (NULL) or a 2-, 3- or 8-byte length.
      let len = buf[at++] as number;
      if (len === 0xfb) {
        out[pos++] = 92;
        out[pos++] = 78;
        this.nulls[c] = 1;
        continue;
      }
      if (len >= 0xfc) {
        if (len === 0xfc) {
          len = buf.readUInt16LE(at);
          at += 2;
        } else if (len === 0xfd) {
          len = buf.readUIntLE(at, 3);
          at += 3;
        } else {
          len = buf.readUIntLE(at, 6);
          at += 8;
        }
      }
      const start = at;
      const end = at + len;
      at = end;
      const write = writes[c] as Write;
      switch (write) {
        case Write.Verbatim:
          pos = copyBytes(buf, start, end, out, pos);
          break;
        case Write.Text:
        case Write.Json:
          for (let i = start; i < end; i++) {
            const b = buf[i] as number;
            if (b > 92) out[pos++] = b;
            else if (b === 92) {
              // `\u0000` in JSON text (an escaped backslash before it is rare enough to treat alike).
              if (write === Write.Json && i + 6 <= end && buf[i + 1] === 117 && buf.readUInt32BE(i + 2) === 0x30303030) this.usable = false;
              out[pos++] = 92;
              out[pos++] = 92;
            } else if (b > 13) out[pos++] = b;
            else if (b === 9) {
              out[pos++] = 92;
              out[pos++] = 116;
            } else if (b === 10) {
              out[pos++] = 92;
              out[pos++] = 110;
            } else if (b === 13) {
              out[pos++] = 92;
              out[pos++] = 114;
            } else {
              // A NUL byte is kept for the records; PostgreSQL's text cannot hold it.
              if (b === 0) this.usable = false;
              out[pos++] = b;
            }
          }
          break;
        case Write.Float: {
          let digits = 0;
          for (let i = start; i < end; i++) {
            const b = buf[i] as number;
            if (b === 101 || b === 69) break;
            if (b >= 49 || (b === 48 && digits > 0)) digits++;
          }
          if (digits > 6) this.usable = false;
          pos = copyBytes(buf, start, end, out, pos);
          break;
        }
        case Write.TinyBool:
          out[pos++] = len === 1 && buf[start] === 48 ? 102 : 116;
          break;
        case Write.BitBool: {
          let set = false;
          for (let i = start; i < end; i++) if (buf[i] !== 0) set = true;
          out[pos++] = set ? 116 : 102;
          break;
        }
        case Write.Bits: {
          let n = 0n;
          for (let i = start; i < end; i++) n = (n << 8n) | BigInt(buf[i] as number);
          if (n > 0x7fffffffffffffffn) this.usable = false;
          pos += out.write(n.toString(), pos, 'latin1');
          break;
        }
        case Write.Bytes:
          out[pos++] = 92;
          out[pos++] = 92;
          out[pos++] = 120;
          for (let i = start; i < end; i++) {
            const b = buf[i] as number;
            out[pos++] = HEX[b >> 4] as number;
            out[pos++] = HEX[b & 15] as number;
          }
          break;
        case Write.Temporal:
          if (isZeroDateBytes(buf, start, len)) {
            this.columns[c]?.zero?.();
            out[pos++] = 92;
            out[pos++] = 78;
            this.nulls[c] = 1;
          } else pos = copyBytes(buf, start, end, out, pos);
          break;
        case Write.Time:
          if (!isTimeOfDay(buf, start, len)) this.usable = false;
          pos = copyBytes(buf, start, end, out, pos);
          break;
        case Write.UnsignedBigint:
          if (len > 19 || (len === 19 && buf.compare(INT8_MAX_TEXT, 0, 19, start, end) < 0)) this.usable = false;
          pos = copyBytes(buf, start, end, out, pos);
          break;
      }
    }
    out[pos++] = 10;
    this.pos = pos;
  }

  /**
   * Ends the batch: its records, decoded from its text when read, with the text as native rows when PostgreSQL reads
   * every value of it back as the record (else the records are decoded now and go alone).
   */
  take(): NativeBatch {
    const data = Buffer.from(this.out.subarray(0, this.pos));
    const starts = this.starts;
    const count = starts.length;
    // Text PostgreSQL would refuse as UTF-8 (the driver would have read it with replacement characters) stays out.
    const usable = this.usable && isUtf8(data);
    const filledFields = this.fields.filter((_, c) => this.nulls[c] === 0);
    this.pos = 0;
    this.usable = true;
    this.starts = [];
    this.nulls.fill(0);
    if (!usable) return { records: this.decode(data) };
    const columns = this.columns;
    const records = lazyRecords(
      count,
      () => this.decode(data),
      (index) =>
        decodeRows(
          columns,
          data,
          starts[index] as number,
          index + 1 < count ? (starts[index + 1] as number) : data.length,
        )[0] as RecordData,
    );
    return {
      records,
      native: { format: 'postgresql-copy-text', fields: this.fields, types: this.types, data, decode: this.decode, filledFields },
    };
  }
}

/** Copies `buf[start, end)` to `out` at `pos`, returning the new `pos` (a loop for the short values of most fields). */
function copyBytes(buf: Buffer, start: number, end: number, out: Buffer, pos: number): number {
  if (end - start > 64) return pos + buf.copy(out, pos, start, end);
  for (let i = start; i < end; i++) out[pos++] = buf[i] as number;
  return pos;
}

/** A zero date in bytes, as `isZeroDate` tells it of text: year 0000, month 00 or day 00. */
function isZeroDateBytes(buf: Buffer, start: number, len: number): boolean {
  if (len < 10) return len > 0 && isZeroDate(buf.toString('latin1', start, start + len));
  return (
    (buf[start] === 48 && buf[start + 1] === 48 && buf[start + 2] === 48 && buf[start + 3] === 48) ||
    (buf[start + 5] === 48 && buf[start + 6] === 48) ||
    (buf[start + 8] === 48 && buf[start + 9] === 48)
  );
}

/** `HH:MM:SS[.f]` from 00:00:00 to 24:00:00: what PostgreSQL's `time` accepts. */
function isTimeOfDay(buf: Buffer, start: number, len: number): boolean {
  if (len < 8 || buf[start + 2] !== 58) return false;
  const hours = ((buf[start] as number) - 48) * 10 + ((buf[start + 1] as number) - 48);
  if (hours < 0 || hours > 24) return false;
  if (hours < 24) return true;
  for (let i = start + 3; i < start + len; i++) if (buf[i] !== 48 && buf[i] !== 58 && buf[i] !== 46) return false;
  return true;
}

/** The byte after a backslash in COPY text, to the byte it stands for. */
const UNESCAPE = new Uint8Array(256).map((_, b) => b);
UNESCAPE[116] = 9;
UNESCAPE[110] = 10;
UNESCAPE[114] = 13;
UNESCAPE[98] = 8;
UNESCAPE[102] = 12;
UNESCAPE[118] = 11;
let scratch = Buffer.allocUnsafe(1 << 16);

/**
 * COPY text lines (`data` from `start` to `end`) of the written columns back to the records they were written from,
 * reading the bytes: fields are found with `indexOf`, numbers and booleans read without a string, text unescaped only
 * when it holds a backslash.
 */
function decodeRows(columns: readonly NativeColumn[], data: Buffer, start: number, end: number): RecordData[] {
  const records: RecordData[] = [];
  const last = columns.length - 1;
  let pos = start;
  // The next backslash at or after `pos` (Infinity: none left).
  let backslash = -1;
  while (pos < end) {
    const record: RecordData = {};
    for (let c = 0; c <= last; c++) {
      const column = columns[c] as NativeColumn;
      let stop = data.indexOf(c < last ? 9 : 10, pos);
      if (stop < 0 || stop > end) {
        if (c < last) throw new Error(`a COPY text row has fewer than ${columns.length} fields`);
        stop = end;
      }
      const from = pos;
      pos = stop + 1;
      if (backslash < from) {
        backslash = data.indexOf(92, from);
        if (backslash < 0) backslash = Infinity;
      }
      const escaped = backslash < stop;
      if (escaped && stop - from === 2 && data[from] === 92 && data[from + 1] === 78) {
        record[column.name] = null;
        continue;
      }
      if (!escaped && column.fromBytes) {
        record[column.name] = column.fromBytes(data, from, stop);
        continue;
      }
      let text: string;
      if (!escaped) text = data.toString('utf8', from, stop);
      else {
        if (scratch.length < stop - from) scratch = Buffer.allocUnsafe(2 * (stop - from));
        let n = 0;
        for (let j = from; j < stop; j++) {
          const b = data[j] as number;
          scratch[n++] = b === 92 ? (UNESCAPE[data[++j] as number] as number) : b;
        }
        text = scratch.toString('utf8', 0, n);
      }
      record[column.name] = column.decode(text);
    }
    records.push(record);
  }
  return records;
}
