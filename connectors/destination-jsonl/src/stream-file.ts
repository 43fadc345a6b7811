import { open, stat, truncate, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { Logger } from '@mage-int/core';
import type { Compression } from './file-names.js';

const gzip = promisify(gzipCallback);
const NEWLINE = 0x0a;
const TAIL_CHUNK = 64 * 1024;

/** fsync a directory, so a file just created in it survives a crash. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * A plain .jsonl file whose last line has no newline was cut by a crash mid-write: that line was never
 * covered by a committed STATE, so it is dropped before appending (the resumed run writes it again).
 * Returns the bytes dropped.
 */
export async function dropIncompleteLastLine(path: string): Promise<number> {
  const { size } = await stat(path);
  if (size === 0) return 0;
  const handle = await open(path, 'r');
  let keep = 0;
  try {
    const buffer = Buffer.alloc(TAIL_CHUNK);
    let end = size;
    let found = false;
    while (end > 0 && !found) {
      const start = Math.max(0, end - TAIL_CHUNK);
      const { bytesRead } = await handle.read(buffer, 0, end - start, start);
      if (end === size && buffer[bytesRead - 1] === NEWLINE) return 0;
      const at = buffer.subarray(0, bytesRead).lastIndexOf(NEWLINE);
      if (at !== -1) {
        keep = start + at + 1;
        found = true;
      }
      end = start;
    }
  } finally {
    await handle.close();
  }
  await truncate(path, keep);
  return size - keep;
}

async function writeFully(handle: FileHandle, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await handle.write(data, offset, data.length - offset);
    offset += bytesWritten;
  }
}

/** One stream's output file: lines are buffered in memory, then appended and fsync'ed on flush. */
export class StreamFile {
  private lines: string[] = [];
  private unsynced = false;

  private constructor(
    readonly stream: string,
    readonly path: string,
    private readonly handle: FileHandle,
    private readonly compression: Compression,
  ) {}

  /** Opens (creating or appending to) `<dir>/<name>`, after repairing a plain file cut by a crash. */
  static async open(dir: string, name: string, stream: string, compression: Compression, logger: Logger): Promise<StreamFile> {
    const path = join(dir, name);
    const existed = await stat(path).then(
      () => true,
      () => false,
    );
    if (existed && compression === 'none') {
      const dropped = await dropIncompleteLastLine(path);
      if (dropped > 0) logger.warn(`dropped ${dropped} bytes of an incomplete last line left in ${path} by an interrupted run`, { stream });
    }
    const handle = await open(path, 'a');
    if (!existed) await syncDirectory(dir);
    return new StreamFile(stream, path, handle, compression);
  }

  /** Buffers one JSON line (without its newline). */
  push(line: string): void {
    this.lines.push(line);
  }

  get buffered(): number {
    return this.lines.length;
  }

  /** Appends the buffered lines (gzip: as one gzip member). Durable only after `sync`. */
  async write(): Promise<void> {
    if (this.lines.length === 0) return;
    const text = Buffer.from(this.lines.join('\n') + '\n', 'utf8');
    this.lines = [];
    await writeFully(this.handle, this.compression === 'gzip' ? await gzip(text) : text);
    this.unsynced = true;
  }

  /** fsync: everything written so far is on disk when this resolves. */
  async sync(): Promise<void> {
    if (!this.unsynced) return;
    await this.handle.sync();
    this.unsynced = false;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
