import { PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';

const YOUNG_FLAGS = /--(max|min)-semi-space-size|--max-heap-size|--semi-space-growth-factor|--scavenger-max-new-space-capacity/;
const TASK_FLAGS = /--(no-)?minor-gc-task/;
const GROWING_FLAGS = /--heap-growing-percent|--max-old-space-size/;

function userFlags(): string {
  return `${process.execArgv.join(' ')} ${process.env['NODE_OPTIONS'] ?? ''}`;
}

/** The size of V8's new space (both semi-spaces), in bytes. */
export function youngGenerationSize(): number {
  return v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

/**
 * Tunes V8's garbage collector for a process that streams rows in batches (a tap or target bin, `mage-int
 * run`), whose live data is a few batches and their serialised text, so that its memory follows the batch
 * size and not the table size. Called by the Singer executables and the CLI, never by library code.
 * Flags the user gave node (command line or NODE_OPTIONS) win: the matching setting is left alone.
 *
 * - The young generation stops growing at `youngBytes` (both semi-spaces). V8 doubles it whenever the
 *   bytes surviving its scavenges add up to its size, up to 2×64 MB on a 64-bit machine with a large heap
 *   limit; a reader always has a batch in flight, so in a long copy it ends at that maximum, most of the
 *   RSS. Its maximum can only be set when node starts (`--max-semi-space-size`), which a bin cannot do for
 *   itself, but the growth factor is read each time it grows: set to 1 once the space has reached
 *   `youngBytes` (checked after every GC), it stays there.
 * - No minor GC in idle time (`--no-minor-gc-task`). The process is idle while its output drains, which is
 *   exactly when a batch's serialised text (megabytes, in V8's large object space) is alive: a scavenge then
 *   moves it to the old generation, where it waits for a full GC. Measured on a pipe, that is 30-60 MB.
 * - The old generation's limit is twice its live size after each full GC (`--heap-growing-percent=100`), not
 *   V8's own factor, which rises towards 4× as a process runs: records that outlive a scavenge pile up there
 *   until the next full GC, so a long load held ever more garbage. faker → PostgreSQL, 1M → 4M rows: 147 → 198 MB
 *   peak RSS, with the setting 162 → 163 MB; the record path PostgreSQL → PostgreSQL 255–318 → 197–207 MB, its
 *   wall time within 2% (CPU +0.2–0.4 s of ~4 s: more full GCs). At 50% the CPU rose more; at 200% memory grew
 *   again from 1M to 4M rows (+17%).
 */
export function tuneHeapForStreaming(youngBytes = 32 * 1024 * 1024): void {
  const flags = userFlags();
  if (!TASK_FLAGS.test(flags)) v8.setFlagsFromString('--no-minor-gc-task');
  if (!GROWING_FLAGS.test(flags)) v8.setFlagsFromString('--heap-growing-percent=100');
  if (YOUNG_FLAGS.test(flags)) return;
  const capped = (): boolean => {
    if (youngGenerationSize() < youngBytes) return false;
    v8.setFlagsFromString('--semi-space-growth-factor=1');
    uncapped = undefined;
    return true;
  };
  if (capped()) return;
  const observer = new PerformanceObserver(() => {
    if (capped()) observer.disconnect();
  });
  observer.observe({ entryTypes: ['gc'] });
  uncapped = () => {
    if (capped()) observer.disconnect();
  };
}

/** Set while tuneHeapForStreaming waits for the young generation to reach its size. */
let uncapped: (() => void) | undefined;

/**
 * Checks now whether the young generation has reached the size tuneHeapForStreaming stops it at, for a reader to
 * call as it takes each chunk of input: the GC observer that checks it otherwise runs only when the event loop
 * turns, and a reader working through chunks already queued can go a long time without (a Singer target's young
 * generation was seen to double twice past the size meanwhile, +150 MB RSS).
 */
export function checkYoungGeneration(): void {
  uncapped?.();
}
