import { createReadStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import { ProtocolError, readLines, type BatchMessage } from '@mage-int/core';

function manifestPath(entry: string, stream: string): string {
  if (entry.startsWith('file://')) return fileURLToPath(entry);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(entry)) {
    throw new ProtocolError('BATCH_URL_UNSUPPORTED', `BATCH manifest entry ${entry} is not a local file`, {
      stream,
      hint: 'destination-jsonl reads BATCH files from the local file system only (file:// URLs or paths)',
    });
  }
  return entry;
}

/**
 * The record lines of a Singer BATCH message's files (JSON Lines, optionally gzip), as they are: each line
 * is already one record's JSON, so copying it keeps its numbers exact without a parse.
 */
export async function* batchRecordLines(message: BatchMessage): AsyncGenerator<string> {
  if (message.encoding.format !== 'jsonl') {
    throw new ProtocolError('BATCH_FORMAT_UNSUPPORTED', `BATCH encoding format "${message.encoding.format}" is not supported`, {
      stream: message.stream,
      hint: 'destination-jsonl reads jsonl BATCH files; send RECORD messages or jsonl batches',
    });
  }
  for (const entry of message.manifest) {
    const path = manifestPath(entry, message.stream);
    const file = createReadStream(path);
    const input = message.encoding.compression === 'gzip' ? file.pipe(createGunzip()) : file;
    try {
      for await (const [line, number] of readLines(input)) {
        const text = line.trim();
        if (text === '') continue;
        if (!text.startsWith('{')) {
          throw new ProtocolError('BATCH_LINE_INVALID', `line ${number} of BATCH file ${path} is not a JSON object`, { stream: message.stream });
        }
        yield text;
      }
    } catch (error) {
      if (error instanceof ProtocolError) throw error;
      throw new ProtocolError('BATCH_FILE_UNREADABLE', `cannot read BATCH file ${path}: ${(error as Error).message}`, { stream: message.stream, cause: error });
    } finally {
      file.destroy();
    }
  }
}
