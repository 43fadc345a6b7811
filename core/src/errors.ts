/** Where in the data an error happened: the stream, the record (by position or key) and the field. */
export interface ErrorLocation {
  stream?: string;
  /** 1-based line number of the input, for wire (Singer) input. */
  line?: number;
  /** 0-based index of the record within its stream, or its key, whichever identifies it best. */
  record?: number | string;
  field?: string;
}

export interface MageErrorOptions extends ErrorLocation {
  /** What the user can do about it. */
  hint?: string;
  cause?: unknown;
}

/** Base class of every error mage-int raises on purpose. `code` is stable; the message is for people. */
export class MageError extends Error {
  readonly code: string;
  readonly stream?: string;
  readonly line?: number;
  readonly record?: number | string;
  readonly field?: string;
  readonly hint?: string;

  constructor(code: string, message: string, options: MageErrorOptions = {}) {
    super(describe(message, options), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.stream = options.stream;
    this.line = options.line;
    this.record = options.record;
    this.field = options.field;
    this.hint = options.hint;
  }
}

function describe(message: string, where: ErrorLocation): string {
  const parts: string[] = [];
  if (where.line !== undefined) parts.push(`line ${where.line}`);
  if (where.stream !== undefined) parts.push(`stream "${where.stream}"`);
  if (where.record !== undefined) parts.push(`record ${typeof where.record === 'number' ? `#${where.record}` : where.record}`);
  if (where.field !== undefined) parts.push(`field "${where.field}"`);
  return parts.length > 0 ? `${parts.join(', ')}: ${message}` : message;
}

/** Input that breaks the Singer protocol: malformed JSON, a RECORD before its SCHEMA, a missing key. */
export class ProtocolError extends MageError {}

/** A record whose values do not match its stream's schema. */
export class RecordValidationError extends MageError {}

/** Configuration that does not match a connector's spec or a pipeline file's schema. */
export class ConfigError extends MageError {}

/** A connector failed while talking to its system. */
export class ConnectorError extends MageError {}

/** Formats an error for a person: the message, then the hint when there is one. */
export function formatError(error: unknown): string {
  if (error instanceof MageError) return error.hint ? `${error.message}\n  hint: ${error.hint}` : error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
