import { ConfigError } from '@mage-int/core';

export type PartitionGrain = 'year' | 'month' | 'day' | 'hour';

/** `partition_by: created_at:day` → the field and the grain; without a grain the value itself names the folder. */
export interface PartitionBy {
  field: string;
  grain?: PartitionGrain;
  /** The folder's column name when it is not `field` / `field_grain` (column_header_format's case). */
  name?: string;
}

const GRAINS: Record<PartitionGrain, number> = { year: 4, month: 7, day: 10, hour: 13 };
/** Hive's folder for a NULL partition value. */
export const NULL_PARTITION = '__HIVE_DEFAULT_PARTITION__';

export function parsePartitionBy(setting: string | undefined): PartitionBy | undefined {
  if (setting === undefined || setting === '') return undefined;
  const at = setting.lastIndexOf(':');
  if (at === -1) return { field: setting };
  const grain = setting.slice(at + 1);
  if (!(grain in GRAINS)) {
    throw new ConfigError('PARTITION_BY_INVALID', `unknown grain "${grain}"`, {
      field: 'partition_by',
      hint: 'write field:year, field:month, field:day or field:hour, or just the field',
    });
  }
  return { field: setting.slice(0, at), grain: grain as PartitionGrain };
}

/** The column a partition folder names: `created_at_day` with a grain, the field itself without. */
export function partitionColumn(by: PartitionBy): string {
  return by.grain ? `${by.field}_${by.grain}` : by.field;
}

/**
 * The Hive folder of a record: `created_at_day=2024-01-31/` with a grain (UTC for timestamps with an offset; the
 * folder is not named after the field, whose full value stays in the file), `region=eu/` without one.
 */
export function partitionFolder(by: PartitionBy, value: unknown): string {
  const name = by.name ?? partitionColumn(by);
  if (value === null || value === undefined || value === '') return `${name}=${NULL_PARTITION}/`;
  let text = typeof value === 'string' ? value : String(value);
  if (by.grain) {
    // A timestamp with an offset is grouped by its UTC date; a plain date or local timestamp by its own digits.
    if (/[T ]\d{2}:\d{2}.*([zZ]|[+-]\d{2}:?\d{2})$/.test(text)) {
      const at = new Date(text);
      if (!Number.isNaN(at.getTime())) text = at.toISOString();
    }
    text = text.replace(' ', 'T').slice(0, GRAINS[by.grain]);
  }
  return `${name}=${encodeURIComponent(text)}/`;
}

/** A time in UTC by a strftime format (Mage's date_partition_format): `%Y %m %d %H %M %S %y %j %F %%`. */
export function strftimeUtc(format: string, at: Date): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const dayOfYear = Math.floor((at.getTime() - Date.UTC(at.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
  const parts: Record<string, string> = {
    Y: String(at.getUTCFullYear()),
    y: pad(at.getUTCFullYear() % 100),
    m: pad(at.getUTCMonth() + 1),
    d: pad(at.getUTCDate()),
    H: pad(at.getUTCHours()),
    M: pad(at.getUTCMinutes()),
    S: pad(at.getUTCSeconds()),
    j: pad(dayOfYear, 3),
    F: at.toISOString().slice(0, 10),
    '%': '%',
  };
  return format.replace(/%(.)/g, (whole, code: string) => parts[code] ?? whole);
}
