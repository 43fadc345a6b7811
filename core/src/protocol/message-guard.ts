import { ProtocolError } from '../errors.js';
import type { JsonSchema } from './json-schema.js';
import type { RecordData, SchemaMessage, SourceMessage } from './messages.js';
import { RecordValidator } from './record-validator.js';
import { stringifyExactJson } from './exact-json.js';

export interface StreamSchema {
  schema: JsonSchema;
  keyProperties: string[];
  validator?: RecordValidator;
  signature: string;
  records: number;
}

export interface MessageGuardOptions {
  /** Validate every record against its stream's schema (default true). */
  validateRecords?: boolean;
}

export type GuardVerdict = 'pass' | 'skip';

/**
 * Enforces the Singer rules a reader must: no RECORD before its stream's SCHEMA, no SCHEMA without
 * `properties`, no record missing a key property, records matching their schema. A repeated identical
 * SCHEMA is reported as 'skip' so it can be dropped; a changed one replaces the old (schema evolution).
 * Used on wire input and, identically, on in-process source output.
 */
export class MessageGuard {
  private readonly streams = new Map<string, StreamSchema>();
  private readonly validate: boolean;

  constructor(options: MessageGuardOptions = {}) {
    this.validate = options.validateRecords ?? true;
  }

  /** The current schema of a stream, if one was seen. */
  schemaOf(stream: string): StreamSchema | undefined {
    return this.streams.get(stream);
  }

  /** Checks one message; `line` is the input line number for wire input. Throws ProtocolError. */
  check(message: SourceMessage, line?: number): GuardVerdict {
    switch (message.type) {
      case 'SCHEMA':
        return this.checkSchema(message, line);
      case 'RECORD':
        this.checkRecord(message.stream, message.record, line);
        return 'pass';
      case 'RECORD_BATCH': {
        // RECORD lines are checked as their records are read (see `recordChecker`).
        if (message.lines) return 'pass';
        // Records decoded from native rows only when read: the rows' filled fields say the keys are there.
        const filled = message.native?.filledFields;
        const known = this.validate ? undefined : this.streams.get(message.stream);
        if (filled && known?.keyProperties.every((key) => filled.includes(key))) {
          known.records += message.records.length;
          return 'pass';
        }
        for (const record of message.records) this.checkRecord(message.stream, record, line);
        return 'pass';
      }
      default:
        return 'pass';
    }
  }

  private checkSchema(message: SchemaMessage, line?: number): GuardVerdict {
    const { stream, schema } = message;
    if (typeof schema.properties !== 'object' || schema.properties === null || Array.isArray(schema.properties)) {
      throw new ProtocolError('SCHEMA_WITHOUT_PROPERTIES', 'SCHEMA has no "properties" object', {
        stream,
        line,
        hint: 'a Singer SCHEMA must describe the record fields under schema.properties',
      });
    }
    const signature = stringifyExactJson([schema, message.key_properties ?? [], message.bookmark_properties ?? []]);
    const previous = this.streams.get(stream);
    if (previous?.signature === signature) return 'skip';
    this.streams.set(stream, {
      schema,
      keyProperties: message.key_properties ?? [],
      validator: this.validate ? new RecordValidator(stream, schema) : undefined,
      signature,
      records: previous?.records ?? 0,
    });
    return 'pass';
  }

  /**
   * The checks of `count` records of `stream` to come, under its current schema even if another replaces it before
   * they are read: `check(record, k, line)` checks the k-th of them as `check` would have checked a RECORD message
   * then. Undefined before the stream's first SCHEMA (a RECORD then is an error `check` reports).
   */
  recordChecker(stream: string, count: number): ((record: RecordData, k: number, line?: number) => void) | undefined {
    const known = this.streams.get(stream);
    if (!known) return undefined;
    const first = known.records;
    known.records += count;
    return (record, k, line) => checkKnownRecord(stream, known, record, first + k, line);
  }

  private checkRecord(stream: string, record: RecordData, line?: number): void {
    const known = this.streams.get(stream);
    if (!known) {
      throw new ProtocolError('RECORD_BEFORE_SCHEMA', 'RECORD arrived before any SCHEMA for its stream', {
        stream,
        line,
        hint: 'a source must emit a SCHEMA message for a stream before its first RECORD',
      });
    }
    checkKnownRecord(stream, known, record, known.records++, line);
  }
}

/** The checks of the `index`-th record of a stream whose schema is known. */
function checkKnownRecord(stream: string, known: StreamSchema, record: RecordData, index: number, line?: number): void {
  for (const key of known.keyProperties) {
    if (record[key] === undefined || record[key] === null) {
      throw new ProtocolError('MISSING_KEY_PROPERTY', `key property "${key}" is missing`, {
        stream,
        line,
        record: index,
        field: key,
        hint: `every record of "${stream}" must carry its key properties (${known.keyProperties.join(', ')})`,
      });
    }
  }
  known.validator?.validate(record, () => recordRef(record, known.keyProperties, index), line);
}

/** How an error names a record: by its key when the stream has one, else by its position. */
function recordRef(record: RecordData, keys: string[], index: number): number | string {
  if (keys.length === 0) return index;
  return stringifyExactJson(Object.fromEntries(keys.map((k) => [k, record[k]])));
}
