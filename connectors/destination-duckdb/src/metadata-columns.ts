import { METADATA_COLUMNS, type MetadataColumn } from '@mage-int/core/sql';

export const DELETED_AT = '_sdc_deleted_at';
export const TABLE_VERSION = '_sdc_table_version';
export const BATCHED_AT = '_sdc_batched_at';

export function isMetadataColumn(name: string): name is MetadataColumn {
  return (METADATA_COLUMNS as readonly string[]).includes(name);
}

/** What a record's metadata values come from besides the record itself. */
export interface RecordContext {
  version?: number;
  timeExtracted?: string;
  receivedAt: string;
}

/** Source of `_sdc_sequence` when records carry none: microseconds since the epoch, strictly increasing. */
export class SequenceClock {
  private last = 0n;
  next(): bigint {
    const now = BigInt(Date.now()) * 1000n;
    this.last = now > this.last ? now : this.last + 1n;
    return this.last;
  }
}

/**
 * The value of a metadata column for one record. The message's own facts (version, extraction time) win over
 * same-named record fields; `_sdc_batched_at` is not staged: the merge sets it to the commit's time.
 */
export function metadataValue(
  name: MetadataColumn,
  record: Record<string, unknown>,
  context: RecordContext,
  clock: SequenceClock,
): unknown {
  switch (name) {
    case '_sdc_extracted_at':
      return context.timeExtracted ?? record[name];
    case '_sdc_received_at':
      return record[name] ?? context.receivedAt;
    case '_sdc_sequence':
      return record[name] ?? clock.next();
    case '_sdc_table_version':
      return context.version ?? record[name];
    case '_sdc_deleted_at':
    case '_sdc_batched_at':
      return record[name];
  }
}
