import { ConfigError } from '../errors.js';
import type { JsonSchema } from '../protocol/json-schema.js';
import type { RecordBatchMessage, RecordData, SchemaMessage } from '../protocol/messages.js';
import { compileExpression, type Evaluator, type ExpressionEnv } from './expression.js';
import { ExpressionError } from './expression-parser.js';
import { truthy } from './expression-values.js';
import { recordRef, TransformError, type Transform } from './transform.js';

/** Meltano's `stream_maps`: stream name → its map, or null / "__NULL__" to drop it; `__else__: null` drops the rest. */
export type StreamMaps = Record<string, StreamMap | null | string>;
/** Property → expression (or null / "__NULL__" to remove it), plus the `__…__` operations. */
export type StreamMap = Record<string, unknown>;

const NULL_STRING = '__NULL__';
const SOURCE_METADATA_PREFIX = '_sdc_';
const OPERATIONS = new Set(['__alias__', '__source__', '__filter__', '__key_properties__', '__else__']);

const isNull = (v: unknown) => v === null || v === NULL_STRING;

interface OutputPlan {
  stream: string;
  filter?: Evaluator;
  /** Keep the input's properties not removed or computed (no `__else__: null`). */
  keepRest: boolean;
  /** `keepRest`, and no property is removed (only computed ones replaced). */
  copyAll: boolean;
  /** Input properties copied when `keepRest` is off (the key properties). */
  kept: string[];
  removed: Set<string>;
  computed: [string, Evaluator][];
  schema: SchemaMessage;
  keys: string[];
  expressions: Map<string, string>;
}

export interface StreamMapsOptions {
  name: string;
  /** `stream_map_config`: what expressions read as `config`. */
  config: Record<string, unknown>;
  /** The names a pipeline may use for a stream (its name and tap_stream_id). */
  names: (stream: string) => string[];
}

/** Checks a `stream_maps` value's shape (before any data): maps are objects, operations are known. */
function checkMaps(maps: StreamMaps, name: string): void {
  if (typeof maps !== 'object' || maps === null || Array.isArray(maps))
    throw new ConfigError('STREAM_MAPS_INVALID', `${name}: stream_maps must be an object of stream name → map`);
  for (const [stream, map] of Object.entries(maps)) {
    if (stream === '__else__') {
      if (!isNull(map))
        throw new ConfigError('STREAM_MAPS_INVALID', `${name}: __else__ may only be null (or "${NULL_STRING}")`, { stream });
      continue;
    }
    if (isNull(map)) continue;
    if (typeof map !== 'object' || Array.isArray(map)) {
      throw new ConfigError(
        'STREAM_MAPS_INVALID',
        `${name}: the map of a stream must be an object of property → expression, or null / "${NULL_STRING}" to drop it`,
        { stream },
      );
    }
    for (const [key, value] of Object.entries(map as StreamMap)) {
      if (key.startsWith('__') && key.endsWith('__') && !OPERATIONS.has(key)) {
        throw new ConfigError('STREAM_MAPS_INVALID', `${name}: unknown operation ${key} (known: ${[...OPERATIONS].join(', ')})`, {
          stream,
          field: key,
        });
      }
      const ok =
        key === '__key_properties__'
          ? isNull(value) || (Array.isArray(value) && value.every((v) => typeof v === 'string'))
          : key === '__else__'
            ? isNull(value)
            : key === '__alias__' || key === '__source__' || key === '__filter__'
              ? typeof value === 'string' && value !== ''
              : isNull(value) || ['string', 'number', 'boolean'].includes(typeof value);
      if (!ok)
        throw new ConfigError('STREAM_MAPS_INVALID', `${name}: ${key} has a value of the wrong kind (${JSON.stringify(value)})`, {
          stream,
          field: key,
        });
    }
  }
}

/** Stream maps as a runner transform (see docs/transforms.md for the vocabulary and the schema rules). */
export function streamMapsTransform(maps: StreamMaps, options: StreamMapsOptions): Transform {
  const { name, config, names } = options;
  checkMaps(maps, name);
  const entries = Object.entries(maps).filter(([k]) => k !== '__else__');
  const dropOthers = Object.hasOwn(maps, '__else__');
  const plans = new Map<string, { outputs: OutputPlan[]; keys: string[]; seen: number }>();

  return {
    name,
    schema(message: SchemaMessage): SchemaMessage[] {
      const known = names(message.stream);
      const primary = entries.find(([key, map]) => known.includes(key) && (isNull(map) || !(map as StreamMap)['__source__']));
      const maps: [string, StreamMap | null][] = [];
      if (primary) maps.push([message.stream, isNull(primary[1]) ? null : (primary[1] as StreamMap)]);
      else if (!dropOthers) maps.push([message.stream, {}]);
      for (const [key, map] of entries) {
        if (
          !isNull(map) &&
          typeof (map as StreamMap)['__source__'] === 'string' &&
          known.includes((map as StreamMap)['__source__'] as string)
        )
          maps.push([key, map as StreamMap]);
      }
      const outputs = maps
        .filter((m): m is [string, StreamMap] => m[1] !== null)
        .map(([stream, map]) => plan(stream, map, message, config, name));
      plans.set(message.stream, { outputs, keys: message.key_properties ?? [], seen: plans.get(message.stream)?.seen ?? 0 });
      return outputs.map((o) => o.schema);
    },

    records(batch: RecordBatchMessage): RecordBatchMessage[] {
      const entry = plans.get(batch.stream);
      if (!entry) return [batch];
      const start = entry.seen;
      entry.seen += batch.records.length;
      return entry.outputs.map((out) => {
        // Nothing to compute: the records go on as they are (renamed), keeping their native rows.
        if (!out.filter && out.keepRest && out.removed.size === 0 && out.computed.length === 0) return { ...batch, stream: out.stream };
        const env: ExpressionEnv = { record: {}, self: null, config };
        const records: RecordData[] = [];
        let field = '__filter__';
        let i = 0;
        try {
          for (; i < batch.records.length; i++) {
            const record = batch.records[i]!;
            env.record = record;
            env.self = null;
            field = '__filter__';
            if (out.filter && !truthy(out.filter(env))) continue;
            records.push(mapRecord(record, out, env, (f) => (field = f)));
          }
        } catch (error) {
          if (!(error instanceof ExpressionError)) throw error;
          throw new TransformError(
            name,
            'STREAM_MAP_EXPRESSION_FAILED',
            `${error.message} (in ${field}: ${out.expressions.get(field) ?? ''})`,
            {
              stream: batch.stream,
              record: recordRef(batch.records[i] ?? {}, entry.keys, start + i),
              field,
              hint: 'guard with a condition (x if x is not None else None) or convert with str(), int(), float()',
            },
          );
        }
        const { native: _native, ...rest } = batch;
        return { ...rest, stream: out.stream, records };
      });
    },
  };
}

function mapRecord(record: RecordData, out: OutputPlan, env: ExpressionEnv, at: (field: string) => void): RecordData {
  let result: RecordData;
  if (out.copyAll) {
    // Nothing removed: V8 clones a record by spread faster than key by key; computed fields are then overwritten.
    result = { ...record };
  } else if (out.keepRest) {
    result = {};
    for (const key in record) if (!out.removed.has(key)) result[key] = record[key];
  } else {
    result = {};
    for (const key of out.kept) result[key] = record[key];
    // Source metadata (a CDC delete's _sdc_deleted_at) stays, as with `fields:`: without it a delete would load as a row.
    for (const key in record) if (key.startsWith(SOURCE_METADATA_PREFIX) && !out.removed.has(key)) result[key] = record[key];
  }
  for (const [field, evaluate] of out.computed) {
    at(field);
    env.self = record[field] ?? null;
    result[field] = evaluate(env);
  }
  return result;
}

/** Compiles one output stream of an input stream: its filter, properties and schema. */
function plan(stream: string, map: StreamMap, input: SchemaMessage, _config: Record<string, unknown>, name: string): OutputPlan {
  const inputProps = input.schema.properties ?? {};
  const outStream = typeof map['__alias__'] === 'string' ? map['__alias__'] : stream;
  const keepRest = !Object.hasOwn(map, '__else__');
  const overrideKeys = Object.hasOwn(map, '__key_properties__');
  const keys = overrideKeys ? ((map['__key_properties__'] as string[] | null) ?? []) : (input.key_properties ?? []);
  const expressions = new Map<string, string>();
  const compile = (field: string, text: string) => {
    expressions.set(field, text);
    try {
      return compileExpression(text, { properties: inputProps, current: field });
    } catch (error) {
      if (!(error instanceof ExpressionError)) throw error;
      throw new TransformError(name, 'STREAM_MAP_INVALID', `${error.message} (in ${field}: ${text})`, { stream: input.stream, field });
    }
  };

  const removed = new Set<string>();
  const computed: [string, Evaluator][] = [];
  const properties: Record<string, JsonSchema> = {};
  const metadata = Object.keys(inputProps).filter((k) => k.startsWith(SOURCE_METADATA_PREFIX));
  const kept = keepRest ? [] : [...(overrideKeys ? [] : keys.filter((k) => Object.hasOwn(inputProps, k))), ...metadata];
  if (keepRest) Object.assign(properties, inputProps);
  else for (const k of kept) properties[k] = inputProps[k]!;
  let filter: Evaluator | undefined;
  for (const [field, value] of Object.entries(map)) {
    if (field === '__filter__') filter = compile(field, value as string).evaluate;
    if (OPERATIONS.has(field)) continue;
    if (isNull(value)) {
      removed.add(field);
      delete properties[field];
      continue;
    }
    const { evaluate, schema } =
      typeof value === 'string'
        ? compile(field, value)
        : {
            evaluate: () => value,
            schema: { type: typeof value === 'boolean' ? 'boolean' : Number.isInteger(value) ? 'integer' : 'number' },
          };
    computed.push([field, evaluate]);
    removed.add(field);
    properties[field] = schema;
  }
  // A key the map removed must be replaced by __key_properties__, or the destination could not merge on it.
  for (const key of keys) {
    if (!Object.hasOwn(properties, key)) {
      throw new TransformError(name, 'STREAM_MAP_KEY_REMOVED', `key property "${key}" is not in the mapped stream "${outStream}"`, {
        stream: input.stream,
        field: key,
        hint: 'keep it, or set __key_properties__ to the properties that identify a record now (null for none)',
      });
    }
  }
  const required = input.schema.required?.filter((r) => Object.hasOwn(properties, r) && !computed.some(([f]) => f === r));
  const schema: JsonSchema = { ...input.schema, properties, ...(required ? { required } : {}) };
  const bookmarks = input.bookmark_properties?.filter((b) => Object.hasOwn(properties, b));
  return {
    stream: outStream,
    ...(filter ? { filter } : {}),
    keepRest,
    copyAll: keepRest && [...removed].every((field) => computed.some(([f]) => f === field)),
    kept,
    removed,
    computed,
    keys,
    expressions,
    schema: {
      type: 'SCHEMA',
      stream: outStream,
      schema,
      key_properties: [...keys],
      ...(bookmarks && bookmarks.length > 0 ? { bookmark_properties: bookmarks } : {}),
    },
  };
}
