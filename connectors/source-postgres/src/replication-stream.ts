import type pg from 'pg';
import { submitRaw, type RawQueryWire } from './pg-wire.js';

/** A message of the streaming replication protocol (inside CopyData). */
export type WalMessage =
  | { kind: 'xlog'; start: bigint; walEnd: bigint; data: Buffer }
  | { kind: 'keepalive'; walEnd: bigint; replyRequested: boolean };

const HIGH_WATER = 2000;
const LOW_WATER = 500;
/** Microseconds between the Unix epoch and PostgreSQL's (2000-01-01). */
const PG_EPOCH_MS = 946_684_800_000;

/**
 * START_REPLICATION on a client opened with `replication: 'database'`: the server answers with CopyBoth, and every
 * CopyData it sends is queued here. The socket is paused while the queue is long, so a slow consumer slows the
 * walsender instead of filling memory.
 */
export class ReplicationStream {
  private wire?: RawQueryWire;
  private readonly queue: Buffer[] = [];
  private head = 0;
  private paused = false;
  private error?: Error;
  private ended = false;
  private wake?: () => void;

  constructor(private readonly sql: string) {}

  /** Starts streaming on a client opened with `replication: 'database'`. */
  start(client: pg.Client): void {
    this.wire = submitRaw(client, this.sql, {
      onCopyData: (chunk) => this.push(chunk),
      onError: (error) => this.fail(error),
      onEnd: () => {
        this.ended = true;
        this.notify();
      },
    });
  }

  private push(chunk: Buffer): void {
    this.queue.push(chunk);
    if (!this.paused && this.queue.length - this.head > HIGH_WATER) {
      this.paused = true;
      this.wire?.pause();
    }
    this.notify();
  }

  /** Called when the connection closed underneath. */
  fail(error: Error): void {
    if (!this.error) this.error = error;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** The next message; `undefined` after `timeoutMs` without one; `null` when the stream ended. */
  async next(timeoutMs: number): Promise<WalMessage | null | undefined> {
    for (;;) {
      if (this.head < this.queue.length) {
        const chunk = this.queue[this.head]!;
        this.queue[this.head++] = undefined as unknown as Buffer;
        if (this.head > 4096 && this.head * 2 > this.queue.length) {
          this.queue.splice(0, this.head);
          this.head = 0;
        }
        if (this.paused && this.queue.length - this.head < LOW_WATER) {
          this.paused = false;
          this.wire?.resume();
        }
        return decodeWalMessage(chunk);
      }
      if (this.error) throw this.error;
      if (this.ended) return null;
      const timedOut = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          this.wake = undefined;
          resolve(true);
        }, timeoutMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve(false);
        };
      });
      if (timedOut && this.head >= this.queue.length && !this.error && !this.ended) return undefined;
    }
  }

  /** Standby status update: everything up to `flushed` is durably stored downstream. */
  sendStatus(flushed: bigint, replyRequested = false): void {
    if (!this.wire || this.ended || this.error) return;
    const buf = Buffer.alloc(34);
    buf.write('r', 0);
    buf.writeBigUInt64BE(flushed, 1); // written
    buf.writeBigUInt64BE(flushed, 9); // flushed
    buf.writeBigUInt64BE(flushed, 17); // applied
    buf.writeBigInt64BE(BigInt(Date.now() - PG_EPOCH_MS) * 1000n, 25);
    buf.writeUInt8(replyRequested ? 1 : 0, 33);
    this.wire.sendCopyData(buf);
  }
}

/** Decodes one CopyData body of a replication stream (XLogData or primary keepalive). */
export function decodeWalMessage(chunk: Buffer): WalMessage {
  const code = chunk[0];
  if (code === 0x77 /* w */) {
    return { kind: 'xlog', start: chunk.readBigUInt64BE(1), walEnd: chunk.readBigUInt64BE(9), data: chunk.subarray(25) };
  }
  if (code === 0x6b /* k */) {
    return { kind: 'keepalive', walEnd: chunk.readBigUInt64BE(1), replyRequested: chunk[17] === 1 };
  }
  throw new Error(`unexpected replication message 0x${(code ?? 0).toString(16)}`);
}
