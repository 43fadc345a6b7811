import type { DiscoverProgress, RunProgress } from '@mage-int/core';
import { formatDiscoverProgress } from './discover-progress-display.js';
import { formatCount, formatDuration, formatRate } from './format.js';
import { streamStats } from './stream-stats.js';

export type ProgressMode = 'live' | 'plain' | 'none';

/** Shows a running pipeline's progress on stderr, and prints log lines without tearing it. */
export interface ProgressDisplay {
  update(progress: RunProgress): void;
  /** How far the run's discovery has got (before any stream is read). */
  discovering(progress: DiscoverProgress): void;
  log(line: string): void;
  /** Removes the live block (the summary replaces it) and stops timers. */
  stop(): void;
}

export interface ProgressOptions {
  mode: ProgressMode;
  title: string;
  /** Seconds between plain progress lines. */
  intervalSeconds?: number;
  output?: NodeJS.WriteStream;
}

/** `auto` resolves to live redraws on a terminal and plain periodic lines otherwise. */
export function resolveProgressMode(mode: string, output: NodeJS.WriteStream = process.stderr): ProgressMode {
  if (mode === 'auto') return output.isTTY && process.env['TERM'] !== 'dumb' && !process.env['CI'] ? 'live' : 'plain';
  return mode as ProgressMode;
}

export function createProgressDisplay(options: ProgressOptions): ProgressDisplay {
  const output = options.output ?? process.stderr;
  switch (options.mode) {
    case 'live':
      return new LiveProgress(output, options.title);
    case 'plain':
      return new PlainProgress(output, options.title, (options.intervalSeconds ?? 5) * 1000);
    default:
      return { update() {}, discovering() {}, log: (line) => output.write(line + '\n'), stop() {} };
  }
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** Redraws one line per stream in place, at most every 100 ms (and every 500 ms when nothing arrives). */
class LiveProgress implements ProgressDisplay {
  private drawnLines = 0;
  private latest: RunProgress | undefined;
  private discover: DiscoverProgress | undefined;
  private lastDraw = 0;
  private frame = 0;
  private readonly startedAt = Date.now();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly output: NodeJS.WriteStream,
    private readonly title: string,
  ) {
    this.timer = setInterval(() => this.draw(), 500);
    this.timer.unref();
    this.draw();
  }

  update(progress: RunProgress): void {
    this.latest = progress;
    if (Date.now() - this.lastDraw >= 100) this.draw();
  }

  discovering(progress: DiscoverProgress): void {
    this.discover = progress;
    if (Date.now() - this.lastDraw >= 100) this.draw();
  }

  log(line: string): void {
    this.erase();
    this.output.write(line + '\n');
    this.draw();
  }

  stop(): void {
    clearInterval(this.timer);
    this.erase();
  }

  private erase(): void {
    if (this.drawnLines > 0) this.output.write(`\x1b[${this.drawnLines}F\x1b[0J`);
    this.drawnLines = 0;
  }

  private draw(): void {
    const now = Date.now();
    this.lastDraw = now;
    const width = Math.max(20, (this.output.columns ?? 100) - 1);
    const progress = this.latest;
    const spinner = SPINNER[this.frame++ % SPINNER.length] ?? '';
    const header = `${spinner} ${this.title} · ${formatDuration(now - (progress?.startedAt ?? this.startedAt))}${progress ? ` · ${progress.committedStates} state${progress.committedStates === 1 ? '' : 's'} committed` : ` · discovering${this.discover ? `: ${formatDiscoverProgress(this.discover)}` : ''}`}`;
    const lines = [header];
    if (progress) {
      const stats = streamStats(progress, now);
      const nameWidth = Math.max(0, ...stats.map((s) => s.stream.length));
      const rowsWidth = Math.max(0, ...stats.map((s) => formatCount(s.rows).length));
      for (const s of stats) {
        lines.push(
          `  ${s.active ? '›' : ' '} ${s.stream.padEnd(nameWidth)}  ${formatCount(s.rows).padStart(rowsWidth)} rows  ${formatRate(s.rows, s.elapsedMs)} rows/s`,
        );
      }
    }
    const text = lines.map((l) => (l.length > width ? l.slice(0, width - 1) + '…' : l)).join('\n') + '\n';
    this.erase();
    this.output.write(text);
    this.drawnLines = lines.length;
  }
}

/** For logs and pipes: a line when a stream starts, then one summary line every interval. */
class PlainProgress implements ProgressDisplay {
  private latest: RunProgress | undefined;
  private readonly seen = new Set<string>();
  private discoverTenth = -1;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly output: NodeJS.WriteStream,
    private readonly title: string,
    intervalMs: number,
  ) {
    this.timer = setInterval(() => this.print(), intervalMs);
    this.timer.unref();
  }

  update(progress: RunProgress): void {
    this.latest = progress;
    for (const stream of Object.keys(progress.streams)) {
      if (!this.seen.has(stream)) {
        this.seen.add(stream);
        this.output.write(`${this.title}: stream ${stream} started\n`);
      }
    }
  }

  /** A line per tenth of the discovery (when the source says how much there is). */
  discovering(progress: DiscoverProgress): void {
    if (!progress.total) return;
    const tenth = Math.floor((progress.done / progress.total) * 10);
    if (tenth === this.discoverTenth) return;
    this.discoverTenth = tenth;
    this.output.write(`${this.title}: discovering: ${formatDiscoverProgress(progress)}\n`);
  }

  log(line: string): void {
    this.output.write(line + '\n');
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private print(): void {
    const progress = this.latest;
    if (!progress) return;
    const now = Date.now();
    const parts = streamStats(progress, now).map(
      (s) => `${s.stream} ${formatCount(s.rows)} rows (${formatRate(s.rows, s.elapsedMs)} rows/s)`,
    );
    this.output.write(
      `${this.title}: ${formatDuration(now - progress.startedAt)} · ${parts.join(' · ') || 'no records yet'} · ${progress.committedStates} state${progress.committedStates === 1 ? '' : 's'} committed\n`,
    );
  }
}
