import { exactNumber, parseExactJson, schemaTypes, type JsonSchema } from '@mage-int/core';
import { FileDataError } from './file-errors.js';

/** Turns one text value into its field's type, or returns undefined when it cannot. */
type TextConverter = (text: string) => unknown;

const INTEGER = /^[-+]?\d+$/;
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const TRUE = new Set(['true', 't', 'yes', 'y', '1']);
const FALSE = new Set(['false', 'f', 'no', 'n', '0']);

function number(text: string): unknown {
  const trimmed = text.trim().replace(/^\+/, '');
  return NUMBER.test(trimmed) ? exactNumber(trimmed, Number(trimmed)) : undefined;
}

function converterFor(schema: JsonSchema): TextConverter | undefined {
  const types = schemaTypes(schema).filter((t) => t !== 'null');
  if (types.length === 0 || types.includes('string')) return undefined;
  if (types.includes('integer') && !types.includes('number')) return (text) => (INTEGER.test(text.trim()) ? number(text) : undefined);
  if (types.includes('number')) return number;
  if (types.includes('boolean')) {
    return (text) => {
      const lower = text.trim().toLowerCase();
      return TRUE.has(lower) ? true : FALSE.has(lower) ? false : undefined;
    };
  }
  if (types.includes('object') || types.includes('array')) {
    return (text) => {
      try {
        return parseExactJson(text);
      } catch {
        return undefined;
      }
    };
  }
  return undefined;
}

/**
 * Shapes a file's rows into records of the stream's schema: only the schema's fields are kept, and text values of
 * non-text fields (every CSV value, and JSON strings where a number is declared) are converted exactly (integers
 * beyond 2^53 and long decimals keep every digit). A value that does not convert fails, naming the file, line
 * and field.
 */
export class RecordShaper {
  private readonly converters: [string, TextConverter | undefined][];

  constructor(
    private readonly properties: Record<string, JsonSchema>,
    private readonly stream: string,
    skip: ReadonlySet<string>,
  ) {
    this.converters = Object.entries(this.properties)
      .filter(([field]) => !skip.has(field))
      .map(([field, schema]) => [field, converterFor(schema)]);
  }

  shape(values: Record<string, unknown>, file: string, line: number, into: Record<string, unknown>): void {
    for (const [field, convert] of this.converters) {
      const value = values[field];
      if (value === undefined) continue;
      if (convert === undefined || typeof value !== 'string') {
        into[field] = value;
        continue;
      }
      const converted = convert(value);
      if (converted === undefined) {
        throw new FileDataError(
          'VALUE_NOT_OF_TYPE',
          `"${value.length > 80 ? `${value.slice(0, 80)}…` : value}" is not a valid ${schemaTypes(this.schemaOf(field))
            .filter((t) => t !== 'null')
            .join(' or ')}`,
          { stream: this.stream, file, line, field },
          {
            hint: "the schema was inferred from a sample of files or given in the stream's `schema`; widen the field's type there (for example to string), or fix the file",
          },
        );
      }
      into[field] = converted;
    }
  }

  private schemaOf(field: string): JsonSchema {
    return this.properties[field] ?? {};
  }
}
