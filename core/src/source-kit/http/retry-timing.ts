/** How long to wait before a retry, and why (logged with the wait). */
export interface RetryWait {
  ms: number;
  reason: string;
}

/** The wait a `Retry-After` header asks for: delay-seconds or an HTTP date. */
export function retryAfterMs(headers: Headers, now: number = Date.now()): number | undefined {
  const header = headers.get('retry-after')?.trim();
  if (!header) return undefined;
  if (/^\d+(\.\d+)?$/.test(header)) return Number(header) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The wait a rate-limit reset header asks for. `RateLimit-Reset` (IETF draft) counts seconds from now;
 * `X-RateLimit-Reset` is epoch seconds at GitHub and most APIs, seconds from now at some: a value past
 * 2001-09-09 (1e9) is read as an instant, a smaller one as a delay. HubSpot's rolling window
 * (`X-HubSpot-RateLimit-Remaining: 0` with `-Interval-Milliseconds`) waits one window.
 */
export function rateLimitResetMs(headers: Headers, now: number = Date.now()): number | undefined {
  for (const name of ['ratelimit-reset', 'x-ratelimit-reset', 'x-rate-limit-reset']) {
    const value = Number(headers.get(name)?.trim() || Number.NaN);
    if (!Number.isFinite(value) || value < 0) continue;
    if (value >= 1e12) return Math.max(0, value - now);
    if (value >= 1e9) return Math.max(0, value * 1000 - now);
    return value * 1000;
  }
  // HubSpot counts requests in a rolling window and says only its length: with none left, wait one window.
  const interval = Number(headers.get('x-hubspot-ratelimit-interval-milliseconds')?.trim() || Number.NaN);
  if (headers.get('x-hubspot-ratelimit-remaining')?.trim() === '0' && Number.isFinite(interval) && interval > 0) return interval;
  return undefined;
}

/** True when a rate-limit header says no request is left in the current window. */
export function quotaSpent(headers: Headers): boolean {
  for (const name of ['ratelimit-remaining', 'x-ratelimit-remaining', 'x-rate-limit-remaining', 'x-hubspot-ratelimit-remaining']) {
    const value = headers.get(name)?.trim();
    if (value !== undefined && value !== '') return Number(value) <= 0;
  }
  return false;
}

/** The wait the server asked for, if any: Retry-After first, then a rate-limit reset header. */
export function serverWait(headers: Headers, now: number = Date.now()): RetryWait | undefined {
  const retryAfter = retryAfterMs(headers, now);
  if (retryAfter !== undefined) return { ms: retryAfter, reason: 'Retry-After' };
  const reset = rateLimitResetMs(headers, now);
  if (reset !== undefined) return { ms: reset, reason: 'rate-limit reset' };
  return undefined;
}

/**
 * Exponential backoff with jitter before retry `attempt` (1-based): `base·2^(attempt-1)` capped at `max`, drawn
 * from the upper half of that, so concurrent clients spread out without waiting much less than the schedule.
 */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return ceiling / 2 + random() * (ceiling / 2);
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
