import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, MageError } from '../errors.js';
import type { RecordBatchMessage, RecordData, SchemaMessage } from '../protocol/messages.js';
import { RecordValidator } from '../protocol/record-validator.js';
import {
  recordRef,
  TransformError,
  type RoutedRecord,
  type StreamShape,
  type Transform,
  type TransformContext,
  type TransformDefinition,
} from './transform.js';

interface StreamPlan {
  /** Streams the input stream goes to; records returned plainly go to the first. */
  outputs: string[];
  keys: string[];
  validators: Map<string, RecordValidator>;
  seen: number;
}

/** Runs a `TransformDefinition` (a `module:` step, or one given in code) as a runner transform. */
export function definitionTransform(
  definition: TransformDefinition<never, RecordData>,
  name: string,
  config: Record<string, unknown> = {},
): Transform {
  const plans = new Map<string, StreamPlan>();
  const validate = definition.validate !== false;
  const record = definition.record as ((r: RecordData, ctx: TransformContext) => unknown) | undefined;
  const batchFn = definition.batch as ((r: RecordData[], ctx: TransformContext) => unknown[] | Promise<unknown[]>) | undefined;
  const schemaFn = definition.schema;

  return {
    name,
    schema(message: SchemaMessage): SchemaMessage[] {
      const ctx: TransformContext = { stream: message.stream, config };
      const input: StreamShape = {
        stream: message.stream,
        schema: message.schema,
        key_properties: message.key_properties ?? [],
        ...(message.bookmark_properties ? { bookmark_properties: message.bookmark_properties } : {}),
      };
      const result = schemaFn ? schemaFn(input, ctx) : input;
      const shapes = result === null || result === undefined ? [] : Array.isArray(result) ? result : [result];
      const out = shapes.map((shape) => checkShape(name, message.stream, shape));
      plans.set(message.stream, {
        outputs: out.map((s) => s.stream),
        keys: input.key_properties,
        validators: new Map(validate ? out.map((s) => [s.stream, new RecordValidator(s.stream, s.schema)]) : []),
        seen: plans.get(message.stream)?.seen ?? 0,
      });
      return out;
    },

    async records(batch: RecordBatchMessage): Promise<RecordBatchMessage[]> {
      const plan = plans.get(batch.stream);
      if (!plan || plan.outputs.length === 0) return [];
      const primary = plan.outputs[0]!;
      const ctx: TransformContext = { stream: batch.stream, config };
      const start = plan.seen;
      plan.seen += batch.records.length;
      if (!record && !batchFn) return [primary === batch.stream ? batch : { ...batch, stream: primary }];

      const grouped = new Map<string, RecordData[]>(plan.outputs.map((s) => [s, []]));
      const place = (result: unknown, i: number) => {
        const source = batch.records[i] ?? {};
        const ref = () => recordRef(source, plan.keys, start + i);
        if (result === null || result === undefined) return;
        const routed = Array.isArray(result) ? (result as RoutedRecord[]) : [{ stream: primary, record: result as RecordData }];
        for (const r of routed) {
          const target = grouped.get(r?.stream);
          if (!target || typeof r.record !== 'object' || r.record === null) {
            throw new TransformError(
              name,
              'TRANSFORM_ROUTE_UNKNOWN',
              `a routed record must be {stream, record} with stream one of ${plan.outputs.join(', ')} (got ${String(r?.stream)})`,
              {
                stream: batch.stream,
                record: ref(),
                hint: 'return the split streams from schema() first',
              },
            );
          }
          plan.validators.get(r.stream)?.validate(r.record, ref);
          target.push(r.record);
        }
      };

      if (batchFn) {
        let results: unknown[];
        try {
          results = await batchFn(batch.records, ctx);
        } catch (error) {
          throw failed(name, error, batch.stream);
        }
        if (!Array.isArray(results))
          throw new TransformError(name, 'TRANSFORM_RESULT_INVALID', 'batch() must return an array', { stream: batch.stream });
        // A batch result is in order but may be shorter (filtered): records are named by their output position.
        for (let i = 0; i < results.length; i++) place(results[i], i);
      } else {
        for (let i = 0; i < batch.records.length; i++) {
          let result: unknown;
          try {
            result = record!(batch.records[i]!, ctx);
          } catch (error) {
            throw failed(name, error, batch.stream, recordRef(batch.records[i]!, plan.keys, start + i));
          }
          place(result, i);
        }
      }
      const out: RecordBatchMessage[] = [];
      for (const [stream, records] of grouped) {
        const { native: _native, ...rest } = batch;
        if (records.length > 0) out.push({ ...rest, stream, records });
      }
      return out;
    },
  };
}

function failed(name: string, error: unknown, stream: string, record?: number | string): TransformError {
  if (error instanceof TransformError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new TransformError(name, error instanceof MageError ? error.code : 'TRANSFORM_THREW', message, {
    stream,
    ...(record !== undefined ? { record } : {}),
    cause: error,
  });
}

/** A shape the transform returned, checked: a name, `properties`, and key properties among them. */
function checkShape(name: string, stream: string, shape: StreamShape): SchemaMessage {
  if (
    typeof shape?.stream !== 'string' ||
    shape.stream === '' ||
    typeof shape.schema?.properties !== 'object' ||
    shape.schema.properties === null
  ) {
    throw new TransformError(
      name,
      'TRANSFORM_SCHEMA_INVALID',
      'schema() must return {stream, schema: {properties}, key_properties} (or null, or a list)',
      { stream },
    );
  }
  const keys = shape.key_properties ?? [];
  for (const key of keys) {
    if (!(key in shape.schema.properties)) {
      throw new TransformError(name, 'TRANSFORM_KEY_UNKNOWN', `key property "${key}" is not a property of the schema it declares`, {
        stream: shape.stream,
        field: key,
        hint: 'keep the key field, or declare other key_properties',
      });
    }
  }
  return {
    type: 'SCHEMA',
    stream: shape.stream,
    schema: shape.schema,
    key_properties: [...keys],
    ...(shape.bookmark_properties ? { bookmark_properties: shape.bookmark_properties.filter((p) => p in shape.schema.properties!) } : {}),
  };
}

/**
 * Imports a transform module (its default export, or an export named `transform`): a `defineTransform({…})`
 * object or a plain function, which is taken as `record`. `.ts` files load through Node's own type stripping
 * (on by default from Node 22.18 and 23.6).
 */
export async function loadTransformModule(path: string, shownAs: string): Promise<TransformDefinition<never, RecordData>> {
  if (!existsSync(path))
    throw new ConfigError('TRANSFORM_MODULE_MISSING', `transform module ${shownAs} does not exist (${path})`, {
      hint: 'module: paths are relative to the pipeline file',
    });
  const ts = ['.ts', '.mts', '.cts'].includes(extname(path));
  if (ts && !(process.features as { typescript?: unknown }).typescript) {
    throw new ConfigError(
      'TRANSFORM_MODULE_NEEDS_TYPE_STRIPPING',
      `transform module ${shownAs} is TypeScript, and Node ${process.version} does not strip types`,
      {
        hint: 'run on Node 24 (or 22.18 and later), where type stripping is on by default, or write the module in JavaScript (.js/.mjs)',
      },
    );
  }
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    const message = (error as Error).message;
    throw new ConfigError('TRANSFORM_MODULE_UNLOADABLE', `transform module ${shownAs} cannot be loaded: ${message}`, {
      cause: error,
      hint: ts
        ? "TypeScript modules load through Node's type stripping (Node >= 22.18 or 23.6): only erasable syntax (no enum, namespace or parameter properties), type-only imports written `import type`"
        : 'check the module for syntax errors and that its imports are installed',
    });
  }
  const exported = loaded['default'] ?? loaded['transform'];
  if (typeof exported === 'function') return { record: exported as (r: RecordData) => RecordData };
  if (typeof exported === 'object' && exported !== null) {
    const def = exported as TransformDefinition<never, RecordData>;
    for (const key of ['schema', 'record', 'batch'] as const) {
      if (def[key] !== undefined && typeof def[key] !== 'function') {
        throw new ConfigError('TRANSFORM_MODULE_INVALID', `transform module ${shownAs}: ${key} must be a function`);
      }
    }
    return def;
  }
  throw new ConfigError('TRANSFORM_MODULE_INVALID', `transform module ${shownAs} exports no transform`, {
    hint: 'export default defineTransform({ schema, record }) (from @mage-int/core), or export default a function of a record',
  });
}
