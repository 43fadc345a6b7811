import { ConnectorError } from '@mage-int/core';

export type Compression = 'none' | 'gzip';

/**
 * A stream name made safe as a file name: letters, digits, `.`, `_` and `-` stay, anything else
 * (`/`, spaces, quotes…) becomes `_`, and a leading dot becomes `_` so no file is hidden or walks up.
 */
export function safeFileStem(stream: string): string {
  const stem = stream.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\./, '_');
  return stem.length > 0 ? stem.slice(0, 200) : '_';
}

/** `-YYYYMMDDTHHMMSS` (UTC) for `do_timestamp_file`. */
export function timestampSuffix(at: Date): string {
  return `-${at.toISOString().slice(0, 19).replace(/[-:]/g, '')}`;
}

/** The file name of a stream: `<stream><suffix>.jsonl` or `.jsonl.gz`. */
export function fileNameFor(stream: string, compression: Compression, suffix: string): string {
  return `${safeFileStem(stream)}${suffix}.jsonl${compression === 'gzip' ? '.gz' : ''}`;
}

/** Hands out file names per stream and refuses two streams that would share one file. */
export class FileNames {
  private readonly owners = new Map<string, string>();

  constructor(
    private readonly compression: Compression,
    private readonly suffix: string,
  ) {}

  forStream(stream: string): string {
    const name = fileNameFor(stream, this.compression, this.suffix);
    const owner = this.owners.get(name);
    if (owner !== undefined && owner !== stream) {
      throw new ConnectorError('STREAM_FILE_COLLISION', `streams "${owner}" and "${stream}" would both be written to ${name}`, {
        stream,
        hint: 'characters other than letters, digits, ".", "_" and "-" become "_" in file names; rename one stream (stream maps) or write them to different directories',
      });
    }
    this.owners.set(name, stream);
    return name;
  }
}
