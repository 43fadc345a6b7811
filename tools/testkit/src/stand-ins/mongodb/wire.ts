// The framing of the MongoDB wire protocol as its reference documents it ("MongoDB Wire Protocol"): every message
// starts with a 16-byte header (int32 messageLength, requestID, responseTo, opCode, little-endian). Commands travel
// as OP_MSG (2013): uint32 flagBits, then sections — kind 0 one BSON body document, kind 1 an int32 size, a cstring
// identifier and a run of BSON documents (the driver sends `documents`/`updates`/`deletes` of bulk writes so).
// OP_QUERY (2004) on `<db>.$cmd` is kept only for the legacy handshake (`isMaster` before the driver knows the
// server speaks OP_MSG), answered with OP_REPLY (1). OP_COMPRESSED is not offered (hello answers no compression).
import { BSON, type Document } from 'bson';

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_MSG = 2013;
const HEADER = 16;
/** OP_MSG flag bits. */
export const CHECKSUM_PRESENT = 1 << 0;
export const MORE_TO_COME = 1 << 1;

/** A command as read from the wire, whatever the opcode. */
export interface WireCommand {
  requestId: number;
  opCode: typeof OP_MSG | typeof OP_QUERY;
  /** OP_MSG flags (0 for OP_QUERY). */
  flags: number;
  /** The body with kind-1 sections folded in under their identifiers, as the server treats them. */
  body: Document;
  /** OP_QUERY only: the full collection name (`admin.$cmd`). */
  fullCollectionName?: string;
}

/** Values kept as their BSON types (Int32, Double, Long), so the stand-in stores what the client sent. */
export const RAW_VALUES = { promoteValues: false, promoteBuffers: false, bsonRegExp: true } as const;

/** Splits complete messages off the front of `buffer`; returns them and the remainder. */
export function takeMessages(buffer: Buffer): { messages: Buffer[]; rest: Buffer } {
  const messages: Buffer[] = [];
  let offset = 0;
  while (buffer.length - offset >= 4) {
    const length = buffer.readInt32LE(offset);
    if (length < HEADER || length > 48_000_000) throw new Error(`invalid message length ${length}`);
    if (buffer.length - offset < length) break;
    messages.push(buffer.subarray(offset, offset + length));
    offset += length;
  }
  return { messages, rest: buffer.subarray(offset) };
}

function readCString(buffer: Buffer, offset: number): [string, number] {
  const end = buffer.indexOf(0, offset);
  if (end < 0) throw new Error('unterminated cstring');
  return [buffer.toString('utf8', offset, end), end + 1];
}

/** Parses one OP_MSG or OP_QUERY message; anything else is an error (the stand-in answers only these). */
export function parseMessage(message: Buffer): WireCommand {
  const requestId = message.readInt32LE(4);
  const opCode = message.readInt32LE(12);
  if (opCode === OP_MSG) {
    const flags = message.readUInt32LE(HEADER);
    const end = flags & CHECKSUM_PRESENT ? message.length - 4 : message.length;
    let offset = HEADER + 4;
    let body: Document | undefined;
    const sequences: Record<string, Document[]> = {};
    while (offset < end) {
      const kind = message[offset];
      offset += 1;
      if (kind === 0) {
        const size = message.readInt32LE(offset);
        body = BSON.deserialize(message.subarray(offset, offset + size), RAW_VALUES);
        offset += size;
      } else if (kind === 1) {
        const size = message.readInt32LE(offset);
        const sectionEnd = offset + size;
        const [identifier, docsStart] = readCString(message, offset + 4);
        const docs: Document[] = [];
        let at = docsStart;
        while (at < sectionEnd) {
          const docSize = message.readInt32LE(at);
          docs.push(BSON.deserialize(message.subarray(at, at + docSize), RAW_VALUES));
          at += docSize;
        }
        sequences[identifier] = docs;
        offset = sectionEnd;
      } else {
        throw new Error(`unknown OP_MSG section kind ${kind}`);
      }
    }
    if (!body) throw new Error('OP_MSG without a body section');
    return { requestId, opCode, flags, body: { ...body, ...sequences } };
  }
  if (opCode === OP_QUERY) {
    const [fullCollectionName, afterName] = readCString(message, HEADER + 4);
    const docStart = afterName + 8; // numberToSkip, numberToReturn
    const size = message.readInt32LE(docStart);
    let body = BSON.deserialize(message.subarray(docStart, docStart + size), RAW_VALUES);
    // A legacy command may wrap itself as {$query: {...}, $readPreference: ...}.
    if (body['$query'] && typeof body['$query'] === 'object') body = body['$query'] as Document;
    return { requestId, opCode, flags: 0, body, fullCollectionName };
  }
  throw new Error(`unsupported opCode ${opCode}`);
}

let nextRequestId = 1;

/** An OP_MSG answer (one kind-0 section) to request `responseTo`. */
export function opMsgReply(responseTo: number, document: Document): Buffer {
  const body = BSON.serialize(document);
  const header = Buffer.alloc(HEADER + 5);
  header.writeInt32LE(HEADER + 5 + body.length, 0);
  header.writeInt32LE(nextRequestId++, 4);
  header.writeInt32LE(responseTo, 8);
  header.writeInt32LE(OP_MSG, 12);
  header.writeUInt32LE(0, 16);
  header[20] = 0;
  return Buffer.concat([header, body]);
}

/** An OP_REPLY answer (the legacy handshake): responseFlags AwaitCapable, no cursor, one document. */
export function opReply(responseTo: number, document: Document): Buffer {
  const body = BSON.serialize(document);
  const header = Buffer.alloc(HEADER + 20);
  header.writeInt32LE(HEADER + 20 + body.length, 0);
  header.writeInt32LE(nextRequestId++, 4);
  header.writeInt32LE(responseTo, 8);
  header.writeInt32LE(OP_REPLY, 12);
  header.writeInt32LE(8, 16); // AwaitCapable
  header.writeBigInt64LE(0n, 20); // cursorID
  header.writeInt32LE(0, 28); // startingFrom
  header.writeInt32LE(1, 32); // numberReturned
  return Buffer.concat([header, body]);
}
