import {
  JsonText,
  RecordValidationError,
  stringifyExactJson,
  type DestinationSession,
  type RecordBatch,
  type RecordData,
  type StreamInfo,
} from '@mage-int/core';

/** `nul_characters`: what happens to U+0000 in strings and JSON (Redshift VARCHAR and SUPER cannot hold it). */
export type NulPolicy = 'reject' | 'strip';

const hasNul = (text: string) => text.includes('\0');

/** A value without NUL characters (strings, and the strings and keys inside objects and arrays), or the same value. */
function stripValue(value: unknown): unknown {
  if (value instanceof JsonText) return hasNul(value.text) ? stripValue(value.value) : value;
  if (typeof value === 'string') return hasNul(value) ? value.replaceAll('\0', '') : value;
  if (Array.isArray(value)) return value.map(stripValue);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.replaceAll('\0', ''), stripValue(v)]));
  return value;
}

function containsNul(value: unknown): boolean {
  if (typeof value === 'string') return hasNul(value);
  if (Array.isArray(value)) return value.some(containsNul);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype)
    return Object.entries(value).some(([k, v]) => hasNul(k) || containsNul(v));
  if (value !== null && typeof value === 'object' && 'text' in value && typeof (value as { text: unknown }).text === 'string')
    return hasNul((value as { text: string }).text);
  return false;
}

/**
 * A session in front of another that refuses (naming stream, record and field) or strips NUL characters before the
 * records reach the load files, where an unquoted NUL marks NULL.
 */
export class NulGuardSession implements DestinationSession {
  private readonly keys = new Map<string, string[]>();
  private readonly records = new Map<string, number>();
  readonly activateVersion?: (stream: string, version: number) => Promise<void>;
  readonly uncommittedBytes?: () => number;

  constructor(
    private readonly inner: DestinationSession,
    private readonly policy: NulPolicy,
  ) {
    if (inner.activateVersion) this.activateVersion = (stream, version) => inner.activateVersion?.(stream, version) as Promise<void>;
    if (inner.uncommittedBytes) this.uncommittedBytes = () => inner.uncommittedBytes?.() ?? 0;
  }

  openStream(stream: StreamInfo): Promise<void> {
    this.keys.set(stream.name, stream.keyProperties);
    return this.inner.openStream(stream);
  }

  write(batch: RecordBatch): Promise<void> {
    const count = this.records.get(batch.stream) ?? 0;
    this.records.set(batch.stream, count + batch.records.length);
    let records: RecordData[] | undefined;
    batch.records.forEach((record, index) => {
      for (const [field, value] of Object.entries(record)) {
        if (!containsNul(value) && !hasNul(field)) continue;
        if (this.policy === 'reject') throw this.error(batch.stream, record, count + index + 1, field);
        records ??= [...batch.records];
        records[index] = stripValue(record) as RecordData;
        break;
      }
    });
    const { native: _native, ...rest } = batch;
    return this.inner.write(records ? { ...rest, records } : batch);
  }

  private error(stream: string, record: RecordData, position: number, field: string): RecordValidationError {
    const keys = this.keys.get(stream) ?? [];
    const ref = keys.length === 0 ? position : stringifyExactJson(Object.fromEntries(keys.map((k) => [k, record[k]])));
    return new RecordValidationError('NUL_CHARACTER', 'contains a NUL character (U+0000), which Redshift VARCHAR and SUPER cannot store', {
      stream,
      record: ref,
      field,
      hint: 'set nul_characters: strip in the destination config to remove NUL characters, or clean the source data',
    });
  }

  commit(): Promise<void> {
    return this.inner.commit();
  }

  close(failed: boolean): Promise<void> {
    return this.inner.close(failed);
  }
}
