import type { DiscoverProgress } from '@mage-int/core';
import type { ProgressMode } from './progress-display.js';

/** Shows how far a discovery has got on stderr: one line redrawn in place (live), or a line per tenth (plain). */
export interface DiscoverProgressDisplay {
  update(progress: DiscoverProgress): void;
  /** Keeps log lines from tearing the live line. */
  log(line: string): void;
  stop(): void;
}

/** `120/800 tables (15%) · public.orders`; without a total, `120 tables`. */
export function formatDiscoverProgress(p: DiscoverProgress): string {
  const count =
    p.total !== undefined && p.total > 0
      ? `${p.done}/${p.total} ${p.unit} (${Math.floor((p.done / p.total) * 100)}%)`
      : `${p.done} ${p.unit}`;
  return p.current ? `${count} · ${p.current}` : count;
}

/** `auto` is live on a terminal and nothing otherwise (a pipe gets the table alone); `plain` prints lines anywhere. */
export function resolveDiscoverProgressMode(mode: string, output: NodeJS.WriteStream = process.stderr): ProgressMode {
  if (mode === 'auto') return output.isTTY && process.env['TERM'] !== 'dumb' && !process.env['CI'] ? 'live' : 'none';
  return mode as ProgressMode;
}

export function createDiscoverProgressDisplay(
  mode: ProgressMode,
  title: string,
  output: NodeJS.WriteStream = process.stderr,
): DiscoverProgressDisplay {
  if (mode === 'none') return { update() {}, log: (line) => output.write(line + '\n'), stop() {} };
  if (mode === 'plain') {
    let lastTenth = -1;
    let lastDone = -1;
    return {
      update(p) {
        // A line when another tenth is done (or at each step when the total is unknown), and at the end.
        const tenth = p.total ? Math.floor((p.done / p.total) * 10) : p.done;
        if (p.done === lastDone || (tenth === lastTenth && p.done !== p.total)) return;
        lastTenth = tenth;
        lastDone = p.done;
        output.write(`${title}: discovering: ${formatDiscoverProgress(p)}\n`);
      },
      log: (line) => output.write(line + '\n'),
      stop() {},
    };
  }
  let drawn = false;
  let latest: DiscoverProgress | undefined;
  let lastDraw = 0;
  const draw = () => {
    if (!latest) return;
    lastDraw = Date.now();
    const width = Math.max(20, (output.columns ?? 100) - 1);
    const text = `${title}: discovering: ${formatDiscoverProgress(latest)}`;
    output.write(`\r\x1b[2K${text.length > width ? text.slice(0, width - 1) + '…' : text}`);
    drawn = true;
  };
  const erase = () => {
    if (drawn) output.write('\r\x1b[2K');
    drawn = false;
  };
  return {
    update(p) {
      latest = p;
      if (Date.now() - lastDraw >= 100 || p.done === p.total) draw();
    },
    log(line) {
      erase();
      output.write(line + '\n');
      draw();
    },
    stop: erase,
  };
}
