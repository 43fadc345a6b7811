import type { JsonSchema } from '@mage-int/core';

/** Columns a file source adds to every record. */
export const SOURCE_FILE = '_sdc_source_file';
export const SOURCE_LINENO = '_sdc_source_lineno';
/** The file's last-modified time: the replication key of an INCREMENTAL file stream. */
export const SOURCE_LAST_MODIFIED = '_sdc_source_last_modified';

export const METADATA_PROPERTIES: Record<string, JsonSchema> = {
  [SOURCE_FILE]: { type: 'string' },
  [SOURCE_LINENO]: { type: 'integer' },
  [SOURCE_LAST_MODIFIED]: { type: 'string', format: 'date-time' },
};
