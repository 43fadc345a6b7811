import ZongJi, { type AnyBinlogEvent } from '@vlasky/zongji';
import type { ConnectionOptions } from 'mysql2';
import type { BinlogPosition } from './binlog-position.js';

/** Events buffered before the binlog connection is paused (backpressure), and resumed below half of it. */
const HIGH_WATER = 2_000;

/** What the reader needs to start. */
export interface BinlogReaderOptions {
  connection: ConnectionOptions;
  serverId: number;
  start: BinlogPosition;
  /** `database → tables` whose row events are decoded; others are skipped before decoding. */
  tables: Record<string, string[]>;
}

/**
 * The binlog from a position as zongji events taken one at a time (`next`), with backpressure: the binlog
 * connection is paused while too many events wait for the consumer. `next` throws once zongji reports an error.
 * The only place that touches zongji.
 */
export class BinlogReader {
  private readonly zongji: ZongJi;
  private readonly queue: AnyBinlogEvent[] = [];
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private paused = false;
  private stopped = false;

  constructor(private readonly options: BinlogReaderOptions) {
    // The connection options keep dates as text (microseconds kept), UTC, JSON as text: zongji's decoder reads them.
    this.zongji = new ZongJi(options.connection);
    this.zongji.on('binlog', (event: AnyBinlogEvent) => {
      this.queue.push(event);
      if (this.queue.length >= HIGH_WATER && !this.paused) {
        this.paused = true;
        this.binlogConnection()?.pause();
      }
      this.signal();
    });
    this.zongji.on('error', (error: unknown) => {
      this.failure ??= error instanceof Error ? error : new Error(String(error));
      this.signal();
    });
  }

  private binlogConnection(): { pause(): void; resume(): void } | undefined {
    return (this.zongji as unknown as { connection?: { pause(): void; resume(): void } }).connection ?? undefined;
  }

  private signal(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Starts streaming (events arrive through iteration). */
  start(): void {
    this.zongji.start({
      serverId: this.options.serverId,
      filename: this.options.start.file,
      position: this.options.start.pos,
      includeEvents: ['rotate', 'tablemap', 'writerows', 'updaterows', 'deleterows', 'xid', 'query', 'gtid', 'mariadbgtid'],
      includeSchema: this.options.tables,
    });
  }

  /** The next event, or undefined when `timeoutMs` passes first (or the reader was stopped). */
  async next(timeoutMs: number, signal: AbortSignal): Promise<AnyBinlogEvent | undefined> {
    for (;;) {
      if (this.failure) throw this.failure;
      const event = this.queue.shift();
      if (event) {
        if (this.paused && this.queue.length < HIGH_WATER / 2) {
          this.paused = false;
          this.binlogConnection()?.resume();
        }
        return event;
      }
      if (this.stopped || signal.aborted) return undefined;
      const woken = await new Promise<boolean>((resolve) => {
        const finish = (value: boolean) => {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          this.wake = undefined;
          resolve(value);
        };
        const timer = setTimeout(() => finish(false), timeoutMs);
        const onAbort = () => finish(false);
        signal.addEventListener('abort', onAbort, { once: true });
        this.wake = () => finish(true);
      });
      this.wake = undefined;
      if (!woken && this.queue.length === 0 && !this.failure) return undefined;
    }
  }

  /**
   * Where a reader could resume after everything received so far: zongji moves it past every event outside a
   * transaction, filtered ones included (binlog checkpoints, other tables' statements). Meaningful once the
   * consumer has taken every queued event.
   */
  resumePosition(): BinlogPosition | undefined {
    const { filename, position } = this.zongji.options;
    return typeof filename === 'string' && typeof position === 'number' && position > 0 ? { file: filename, pos: position } : undefined;
  }

  /** Stops streaming and closes both connections. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2_000);
      this.zongji.once('stopped', () => {
        clearTimeout(timer);
        resolve();
      });
      this.zongji.stop();
    });
    this.signal();
  }
}
