import { MageError, type MageErrorOptions } from '../errors.js';
import type { JsonSchema } from '../protocol/json-schema.js';
import type { RecordBatchMessage, RecordData, SchemaMessage } from '../protocol/messages.js';

/**
 * A step between the source and the destination, as the runner applies it. It sees the SCHEMA and the records of
 * the streams it applies to and may change both; it never sees STATE (the runner passes every STATE on untouched,
 * in order). Transforms hold nothing back: what a call returns is sent on before the next message is read.
 */
export interface Transform {
  /** Names the transform in errors and logs. */
  readonly name: string;
  /** A SCHEMA arrived: the SCHEMAs to send on instead (none drops the stream, several split it). */
  schema(message: SchemaMessage): SchemaMessage[] | Promise<SchemaMessage[]>;
  /**
   * Records of one stream (a RECORD becomes a batch of one): the batches to send on, each for a stream the last
   * `schema` call returned. Return `batch` itself when nothing changed (its `native` rows then stay usable).
   */
  records(batch: RecordBatchMessage): RecordBatchMessage[] | Promise<RecordBatchMessage[]>;
  /** The run ended (successfully or not): release what the transform holds. */
  close?(): Promise<void>;
}

/** A failure inside a transform: names the transform, the stream, the record (by key, else position) and the field. */
export class TransformError extends MageError {
  readonly transform: string;
  constructor(transform: string, code: string, message: string, options: MageErrorOptions = {}) {
    super(code, message, options);
    // The transform first: "transform mask: stream "orders", record id=5: …".
    this.message = `transform ${transform}: ${this.message}`;
    this.transform = transform;
  }
}

/** What a stream looks like to a transform: its name, JSON Schema and key. */
export interface StreamShape {
  stream: string;
  schema: JsonSchema;
  key_properties: string[];
  bookmark_properties?: string[];
}

/** A record sent to another stream than the one it came from (a split): one of the streams `schema` returned. */
export interface RoutedRecord<Out extends RecordData = RecordData> {
  stream: string;
  record: Out;
}

export interface TransformContext {
  /** The stream the records came from. */
  stream: string;
  /** The step's `config:` from the pipeline file (empty when none). */
  config: Record<string, unknown>;
}

/**
 * A transform written in TypeScript or JavaScript (a pipeline's `module:` step, or `transforms:` in code).
 * Every member is optional: without `schema` the stream keeps its shape, without `record`/`batch` its records.
 */
export interface TransformDefinition<In extends RecordData = RecordData, Out extends RecordData = RecordData> {
  /** Names it in errors (default: the module path). */
  name?: string;
  /**
   * The shape of the stream sent on: the input changed (fields added, removed or retyped, other key properties,
   * another name), `null` to drop the stream, or several shapes to split it (records then say where they go).
   */
  schema?(input: StreamShape, ctx: TransformContext): StreamShape | StreamShape[] | null;
  /**
   * One record: the record to send on (to the first stream `schema` returned), `null`/`undefined` to drop it,
   * or an array of `{stream, record}` to send it to one or more of the streams `schema` returned.
   */
  record?(record: In, ctx: TransformContext): Out | null | undefined | RoutedRecord<Out>[];
  /** A whole batch at once (used instead of `record` when both are given): the same results, as a list. */
  batch?(records: In[], ctx: TransformContext): (Out | RoutedRecord<Out>)[] | Promise<(Out | RoutedRecord<Out>)[]>;
  /**
   * Check each record sent on against the schema the transform declared (default true), so a wrong declaration
   * fails here, naming the transform, instead of in the destination.
   */
  validate?: boolean;
}

/** Gives a transform its types: `export default defineTransform<Order, MaskedOrder>({ schema, record })`. */
export function defineTransform<In extends RecordData = RecordData, Out extends RecordData = RecordData>(
  definition: TransformDefinition<In, Out>,
): TransformDefinition<In, Out> {
  return definition;
}

/** How errors name a record: its key when the stream has one, else its 0-based position in the stream. */
export function recordRef(record: RecordData, keys: readonly string[], index: number): number | string {
  if (keys.length === 0 || keys.some((k) => record[k] === undefined)) return index;
  return keys.map((k) => `${k}=${String(record[k])}`).join(', ');
}
