// The few parts of the PostgreSQL frontend/backend protocol (v3) the Redshift stand-in's proxy needs: framing of
// typed messages, and building the messages it sends itself (Query, CopyData, CopyDone, ErrorResponse,
// CommandComplete, ReadyForQuery). See https://www.postgresql.org/docs/current/protocol-message-formats.html.

/** A typed protocol message: its type byte, its body, and its bytes as they came (type + length + body). */
export interface WireMessage {
  type: string;
  body: Buffer;
  raw: Buffer;
}

/** Splits complete typed messages off the front of `buffer`; the rest (an incomplete message) is returned. */
export function splitMessages(buffer: Buffer): { messages: WireMessage[]; rest: Buffer } {
  const messages: WireMessage[] = [];
  let offset = 0;
  while (buffer.length - offset >= 5) {
    const length = buffer.readInt32BE(offset + 1);
    if (buffer.length - offset < 1 + length) break;
    const raw = buffer.subarray(offset, offset + 1 + length);
    messages.push({ type: String.fromCharCode(raw[0] as number), body: raw.subarray(5), raw });
    offset += 1 + length;
  }
  return { messages, rest: buffer.subarray(offset) };
}

/** A typed message from its type and body. */
export function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

const cstring = (text: string) => Buffer.concat([Buffer.from(text, 'utf8'), Buffer.from([0])]);

/** A simple-protocol Query. */
export const queryMessage = (sql: string): Buffer => message('Q', cstring(sql));
/** CopyData carrying `data`. */
export const copyData = (data: Buffer): Buffer => message('d', data);
/** CopyDone. */
export const copyDone = (): Buffer => message('c', Buffer.alloc(0));
/** CommandComplete with its tag (`COPY 3`, `UNLOAD`). */
export const commandComplete = (tag: string): Buffer => message('C', cstring(tag));
/** ReadyForQuery with the transaction status (`I` idle, `T` in a transaction, `E` in a failed one). */
export const readyForQuery = (status: string): Buffer => message('Z', Buffer.from(status, 'latin1'));

/** The NUL-terminated string at the start of a message body (a Query's SQL). */
export function readCString(body: Buffer, offset = 0): { text: string; end: number } {
  const end = body.indexOf(0, offset);
  return { text: body.toString('utf8', offset, end < 0 ? body.length : end), end: end < 0 ? body.length : end + 1 };
}

/** The fields of an ErrorResponse or NoticeResponse, by their one-letter codes (M message, C SQLSTATE …). */
export function errorFields(body: Buffer): Record<string, string> {
  const fields: Record<string, string> = {};
  let offset = 0;
  while (offset < body.length && body[offset] !== 0) {
    const code = String.fromCharCode(body[offset] as number);
    const { text, end } = readCString(body, offset + 1);
    fields[code] = text;
    offset = end;
  }
  return fields;
}

/** The values of a DataRow (text format): null or the column's text. */
export function dataRowValues(body: Buffer): (string | null)[] {
  const count = body.readInt16BE(0);
  const values: (string | null)[] = [];
  let offset = 2;
  for (let i = 0; i < count; i++) {
    const length = body.readInt32BE(offset);
    offset += 4;
    if (length < 0) values.push(null);
    else {
      values.push(body.toString('utf8', offset, offset + length));
      offset += length;
    }
  }
  return values;
}

/** A Parse message with its statement text replaced (name, parameter types kept). */
export function replaceParseQuery(body: Buffer, sql: string): Buffer {
  const name = readCString(body, 0);
  const query = readCString(body, name.end);
  return message('P', Buffer.concat([body.subarray(0, name.end), cstring(sql), body.subarray(query.end)]));
}

/** The column names of a RowDescription. */
export function rowDescriptionNames(body: Buffer): string[] {
  const count = body.readInt16BE(0);
  const names: string[] = [];
  let offset = 2;
  for (let i = 0; i < count; i++) {
    const name = readCString(body, offset);
    names.push(name.text);
    offset = name.end + 18;
  }
  return names;
}
