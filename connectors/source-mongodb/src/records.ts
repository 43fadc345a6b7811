import type { JsonSchema, Logger, RecordData } from '@mage-int/core';
import type { Document } from 'mongodb';
import { recordValue, UnrepresentableValue } from './bson-values.js';

/**
 * Turns a collection's documents into records of its discovered schema: every top-level field the schema has, exactly
 * converted (bson-values.ts). A field the sample never saw is left out, with one warning naming it (discover again to
 * add it); a NaN or infinite number becomes null, with one warning per field.
 */
export class RecordConverter {
  private readonly fields: ReadonlySet<string>;
  private readonly warned = new Set<string>();

  constructor(
    private readonly stream: string,
    schema: JsonSchema,
    private readonly logger: Logger,
  ) {
    this.fields = new Set(Object.keys(schema.properties ?? {}));
  }

  record(doc: Document): RecordData {
    const record: RecordData = {};
    for (const [name, value] of Object.entries(doc)) {
      if (!this.fields.has(name)) {
        this.warnOnce(
          `unknown:${name}`,
          `${this.stream}: field "${name}" is not in the discovered schema and is left out; run discovery again (a larger sample_size) to read it`,
        );
        continue;
      }
      const converted = recordValue(value);
      if (converted instanceof UnrepresentableValue) {
        this.warnOnce(`nan:${name}`, `${this.stream}: field "${name}" holds ${converted.text}, which JSON cannot carry; written as null`);
        record[name] = null;
      } else record[name] = converted;
    }
    return record;
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.logger.warn(message);
  }
}
