import { createReadStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import { parseExactJson, ProtocolError, readLines, type BatchMessage, type RecordData } from '@mage-int/core';

const RECORDS_PER_YIELD = 5000;

/**
 * Reads the records of a Singer BATCH message: JSON lines files (optionally gzip-compressed) named by
 * `file://` URLs or local paths in the manifest. Yields records in groups so they load like a RECORD_BATCH.
 */
export async function* readBatchRecords(message: BatchMessage): AsyncGenerator<RecordData[]> {
  if (message.encoding.format !== 'jsonl') {
    throw new ProtocolError('BATCH_FORMAT_UNSUPPORTED', `BATCH format "${message.encoding.format}" is not supported (only jsonl)`, {
      stream: message.stream,
      hint: 'configure the source to write jsonl batches, or to emit RECORD messages',
    });
  }
  for (const entry of message.manifest) {
    const path = entry.startsWith('file://') ? fileURLToPath(entry) : entry;
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) {
      throw new ProtocolError('BATCH_LOCATION_UNSUPPORTED', `BATCH file ${entry} is not a local file`, { stream: message.stream });
    }
    const file = createReadStream(path);
    const input = message.encoding.compression === 'gzip' ? file.pipe(createGunzip()) : file;
    let records: RecordData[] = [];
    for await (const [line, lineNumber] of readLines(input)) {
      if (line.trim() === '') continue;
      let record: unknown;
      try {
        record = parseExactJson(line);
      } catch (error) {
        throw new ProtocolError('MALFORMED_JSON', `invalid JSON in BATCH file ${entry} (${(error as Error).message})`, { stream: message.stream, line: lineNumber });
      }
      if (typeof record !== 'object' || record === null || Array.isArray(record)) {
        throw new ProtocolError('MALFORMED_MESSAGE', `BATCH file ${entry} holds a line that is not a JSON object`, { stream: message.stream, line: lineNumber });
      }
      records.push(record as RecordData);
      if (records.length >= RECORDS_PER_YIELD) {
        yield records;
        records = [];
      }
    }
    if (records.length > 0) yield records;
  }
}
