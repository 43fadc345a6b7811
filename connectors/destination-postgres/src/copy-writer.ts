import type pg from 'pg';
import { from as copyFrom, type CopyStreamQuery } from 'pg-copy-streams';

/**
 * One `COPY … FROM STDIN` as promises. Each chunk is awaited before the next is written, so at most one chunk
 * sits in the stream at a time: backpressure comes from the socket, and a server error (a bad value, a key
 * conflict) surfaces on the next `write` or on `end` instead of as a stray event.
 */
export class CopyWriter {
  private failure: Error | undefined;
  private readonly stream: CopyStreamQuery;
  private waiters: ((error: Error) => void)[] = [];
  /** Bytes written. */
  written = 0;

  constructor(client: pg.Client, sql: string) {
    this.stream = client.query(copyFrom(sql));
    this.stream.on('error', (error: Error) => {
      this.failure ??= error;
      for (const wake of this.waiters.splice(0)) wake(error);
    });
  }

  /** The server's error, once the COPY failed. */
  get error(): Error | undefined {
    return this.failure;
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    this.written += chunk.length;
    await new Promise<void>((resolve, reject) => {
      this.waiters.push(reject);
      this.stream.write(chunk, (error) => {
        this.waiters = this.waiters.filter((w) => w !== reject);
        if (error) reject(error);
        else resolve();
      });
    });
    if (this.failure) throw this.failure;
  }

  /** Ends the COPY and resolves with the number of rows loaded once the server has them. */
  async end(): Promise<number> {
    if (this.failure) throw this.failure;
    await new Promise<void>((resolve, reject) => {
      this.waiters.push(reject);
      this.stream.end(() => {
        this.waiters = this.waiters.filter((w) => w !== reject);
        resolve();
      });
    });
    if (this.failure) throw this.failure;
    return this.stream.rowCount;
  }
}
