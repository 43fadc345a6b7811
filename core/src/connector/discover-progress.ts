import type { ConnectorContext } from './contract.js';

/** How far a discovery has got: `done` of `total` units inspected (`total` when the source knows it). */
export interface DiscoverProgress {
  /** What is counted: `tables`, `streams`, `schemas`. */
  unit: string;
  done: number;
  total?: number;
  /** The item just inspected (a table, a stream), for display. */
  current?: string;
}

/**
 * What `discover` receives: the connector context plus, optionally, where to report progress. Both sides are
 * optional: a source that reports nothing still works, and a caller that does not listen gets nothing.
 */
export interface DiscoverContext extends ConnectorContext {
  onProgress?: (progress: DiscoverProgress) => void;
}

/**
 * A counter a source's discovery ticks as it inspects each unit: `const step = discoverProgress(ctx, 'tables', n)`,
 * then `step(name)` (or `step(name, k)` for k at once). Reports `0 of total` at once so a caller can draw the bar.
 * Does nothing when the caller does not listen.
 */
export function discoverProgress(
  ctx: DiscoverContext | ConnectorContext,
  unit: string,
  total?: number,
): (current?: string, count?: number) => void {
  const report = (ctx as DiscoverContext).onProgress;
  if (!report) return () => {};
  let done = 0;
  report({ unit, done, ...(total !== undefined ? { total } : {}) });
  return (current, count = 1) => {
    done += count;
    report({ unit, done, ...(total !== undefined ? { total } : {}), ...(current !== undefined ? { current } : {}) });
  };
}
