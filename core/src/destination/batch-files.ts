import { createReadStream } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import { ProtocolError } from '../errors.js';
import { parseExactJson } from '../protocol/exact-json.js';
import type { BatchMessage, RecordData } from '../protocol/messages.js';
import { readLines } from '../protocol/reader.js';

const RECORDS_PER_GROUP = 5000;

/**
 * The directories a BATCH manifest may name files in: `batch_dir` when the config sets it, else only the
 * system temporary directory. A manifest comes from the source, so without this it could make a
 * destination read any file the process can (a key, another pipeline's state).
 */
export function batchDirectories(config: { batch_dir?: string }): string[] {
  return [config.batch_dir ? resolve(config.batch_dir) : tmpdir()];
}

function refused(message: BatchMessage, entry: string, why: string, hint: string): ProtocolError {
  return new ProtocolError('BATCH_LOCATION_REFUSED', `BATCH file ${entry} ${why}`, { stream: message.stream, hint });
}

/** The local path of a manifest entry, after checking it is a `file://` URL under an allowed directory. */
async function allowedPath(message: BatchMessage, entry: string, directories: readonly string[]): Promise<string> {
  const hint = `set batch_dir in the destination config to the directory the source writes its BATCH files to (now allowed: ${directories.join(', ')})`;
  if (!entry.startsWith('file://')) {
    throw refused(
      message,
      entry,
      /^[a-z][a-z0-9+.-]*:/i.test(entry) ? 'is not a local file (only file:// URLs are read)' : 'is not a file:// URL',
      hint,
    );
  }
  let path: string;
  try {
    path = fileURLToPath(entry);
  } catch (error) {
    throw refused(message, entry, `is not a valid file URL (${(error as Error).message})`, hint);
  }
  // Resolve symbolic links on both sides, so a link inside the directory cannot point outside it.
  const real = await realpath(path).catch(() => path);
  for (const directory of directories) {
    const base = await realpath(directory).catch(() => resolve(directory));
    const inside = relative(base, real);
    if (inside !== '' && !inside.startsWith('..') && !isAbsolute(inside)) return real;
  }
  throw refused(message, entry, `is outside the directories BATCH files may be read from`, hint);
}

/** The local paths of a BATCH message's files, each checked to be a `file://` URL under one of `directories`. */
export async function batchFilePaths(message: BatchMessage, directories: readonly string[]): Promise<string[]> {
  const paths: string[] = [];
  for (const entry of message.manifest) paths.push(await allowedPath(message, entry, directories));
  return paths;
}

/**
 * Throws BATCH_FORMAT_UNSUPPORTED (naming the stream and the format) unless the kit can read the message's files
 * itself (JSON Lines). Checked before the manifest, so a destination that cannot read Parquet says so rather than
 * complaining about where the files are.
 */
export function checkBatchFormat(message: BatchMessage): void {
  if (message.encoding?.format === 'jsonl') return;
  throw new ProtocolError(
    'BATCH_FORMAT_UNSUPPORTED',
    `BATCH format "${String(message.encoding?.format)}" is not supported by this destination (only jsonl)`,
    {
      stream: message.stream,
      hint: 'configure the source to write jsonl batches, or to emit RECORD messages',
    },
  );
}

/**
 * The records of a Singer BATCH message: JSON Lines files (optionally gzip) named by `file://` URLs under one
 * of `directories`, in groups that load like a RECORD_BATCH. Numbers stay exact (parseExactJson).
 */
export async function* readBatchRecords(message: BatchMessage, directories: readonly string[]): AsyncGenerator<RecordData[]> {
  checkBatchFormat(message);
  for (const entry of message.manifest) {
    const path = await allowedPath(message, entry, directories);
    const file = createReadStream(path);
    const input = message.encoding.compression === 'gzip' ? file.pipe(createGunzip()) : file;
    let records: RecordData[] = [];
    try {
      for await (const [line, lineNumber] of readLines(input)) {
        if (line.trim() === '') continue;
        let record: unknown;
        try {
          record = parseExactJson(line);
        } catch (error) {
          throw new ProtocolError('MALFORMED_JSON', `invalid JSON in BATCH file ${entry} (${(error as Error).message})`, {
            stream: message.stream,
            line: lineNumber,
          });
        }
        if (typeof record !== 'object' || record === null || Array.isArray(record)) {
          throw new ProtocolError('MALFORMED_MESSAGE', `BATCH file ${entry} holds a line that is not a JSON object`, {
            stream: message.stream,
            line: lineNumber,
          });
        }
        records.push(record as RecordData);
        if (records.length >= RECORDS_PER_GROUP) {
          yield records;
          records = [];
        }
      }
    } catch (error) {
      if (error instanceof ProtocolError) throw error;
      throw new ProtocolError('BATCH_FILE_UNREADABLE', `cannot read BATCH file ${entry}: ${(error as Error).message}`, {
        stream: message.stream,
        cause: error,
      });
    } finally {
      file.destroy();
    }
    if (records.length > 0) yield records;
  }
}
