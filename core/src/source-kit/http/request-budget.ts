import { sleep } from './retry-timing.js';

/**
 * A request budget: at most `perSecond` requests start in any second, spaced evenly, across every stream that
 * shares the client (concurrent callers queue for their slots).
 */
export class RequestBudget {
  private readonly intervalMs: number;
  private nextSlot = 0;

  constructor(perSecond: number) {
    this.intervalMs = perSecond > 0 && Number.isFinite(perSecond) ? 1000 / perSecond : 0;
  }

  /** Waits for the next free slot. */
  async take(signal: AbortSignal): Promise<void> {
    const now = performance.now();
    if (this.intervalMs === 0 && this.nextSlot <= now) return;
    const at = Math.max(now, this.nextSlot);
    this.nextSlot = at + this.intervalMs;
    if (at > now) await sleep(at - now, signal);
  }

  /** Holds every request back for `ms` (the API said its quota is spent until then). */
  pause(ms: number): void {
    this.nextSlot = Math.max(this.nextSlot, performance.now() + ms);
  }
}
