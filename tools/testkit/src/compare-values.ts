import { schemaTypes, type JsonSchema } from '@mage-int/core';

/** Ordering of replication-key values: the source kit's own, so the suite judges bookmarks as sources keep them. */
export { compareBookmarkValues } from '@mage-int/core';

/** A replication-key value later than any real data, for a field of this schema; undefined when there is none. */
export function farFutureValue(schema: JsonSchema | undefined): unknown {
  if (!schema) return undefined;
  const types = schemaTypes(schema);
  if (types.includes('integer') || types.includes('number')) return Number.MAX_SAFE_INTEGER;
  if (types.includes('string')) {
    if (schema.format === 'date-time') return '9999-12-31T23:59:59.999999Z';
    if (schema.format === 'date') return '9999-12-31';
  }
  return undefined;
}
