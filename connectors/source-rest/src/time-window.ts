import { ConfigError } from '@mage-int/core';

export type ValueFormat = 'as_is' | 'iso' | 'epoch_seconds' | 'epoch_ms' | 'date';

/** An ISO-8601 duration (`P1D`, `PT6H`, `P1W`, `P1DT12H`) or a number of seconds, in ms. Months and years are refused (their length varies). */
export function stepMs(step: string | number, stream: string): number {
  if (typeof step === 'number') return step * 1000;
  const match = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(step);
  const ms = match
    ? (Number(match[1] ?? 0) * 7 * 86400 +
        Number(match[2] ?? 0) * 86400 +
        Number(match[3] ?? 0) * 3600 +
        Number(match[4] ?? 0) * 60 +
        Number(match[5] ?? 0)) *
      1000
    : 0;
  if (!match || ms <= 0) {
    throw new ConfigError('STEP_INVALID', `"${step}" is not a duration`, {
      stream,
      field: 'endpoint.incremental.step',
      hint: 'write an ISO-8601 duration in weeks, days, hours, minutes or seconds (P1D, PT6H, P1W) or a number of seconds',
    });
  }
  return ms;
}

/** A cursor value as an instant in ms: numbers are epoch seconds (epoch ms with that format), strings ISO dates. */
export function instantOf(value: unknown, format: ValueFormat | undefined): number | undefined {
  if (typeof value === 'number') return format === 'epoch_ms' ? value : value * 1000;
  if (typeof value === 'string') {
    if (/^\d+(\.\d+)?$/.test(value)) return instantOf(Number(value), format);
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/** An instant written like `like` (the initial value or bookmark): a number stays a number, a date a date. */
export function sameKind(ms: number, like: unknown, format: ValueFormat | undefined): unknown {
  if (typeof like === 'number') return format === 'epoch_ms' ? ms : Math.floor(ms / 1000);
  if (typeof like === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(like)) return new Date(ms).toISOString().slice(0, 10);
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** A start or end value as the API takes it (`value_format`). */
export function formatValue(value: unknown, format: ValueFormat | undefined): unknown {
  if (value === undefined || value === null || !format || format === 'as_is') return value;
  const ms = instantOf(value, undefined);
  if (ms === undefined) return value;
  switch (format) {
    case 'iso':
      return new Date(ms).toISOString().replace('.000Z', 'Z');
    case 'epoch_seconds':
      return Math.floor(ms / 1000);
    case 'epoch_ms':
      return ms;
    case 'date':
      return new Date(ms).toISOString().slice(0, 10);
  }
}

/** The windows [start, end) from `start` to `end`, `step` ms each. */
export function* windows(start: number, end: number, step: number): Generator<{ start: number; end: number }> {
  for (let from = start; from < end; from += step) yield { start: from, end: Math.min(from + step, end) };
}
