import {
  buildCatalogStream,
  discoverProgress,
  formatError,
  type Catalog,
  type ConnectorContext,
  type DiscoverContext,
  type JsonSchema,
  type RecordData,
  type StreamSync,
} from '@mage-int/core';
import type { Config } from './generated/config.js';
import type { RestStream } from './rest-stream.js';
import { inferStreamSchema } from './schema-inference.js';

/** A FULL_TABLE sync of one stream for sampling (no catalog behind it). */
function sampleSync(stream: RestStream, ctx: ConnectorContext): StreamSync {
  const entry = buildCatalogStream({ stream: stream.name, schema: { type: 'object' } });
  return {
    entry,
    tapStreamId: stream.name,
    method: 'FULL_TABLE',
    keyProperties: stream.keyProperties ?? [],
    fields: [],
    bookmark: {},
    signal: ctx.signal,
    logger: ctx.logger,
  };
}

/** Up to `limit` records of a stream's first page (of its first partition, for a child). */
export async function sampleRecords(stream: RestStream, limit: number, ctx: ConnectorContext): Promise<RecordData[]> {
  let sync = sampleSync(stream, ctx);
  if (stream.partitions) {
    const partitions = stream.partitions(sync)[Symbol.asyncIterator]();
    const first = await partitions.next();
    await partitions.return?.(undefined);
    if (first.done) return [];
    sync = { ...sync, partition: first.value };
  }
  const pages = stream.read(sync)[Symbol.asyncIterator]();
  try {
    const first = await pages.next();
    return first.done ? [] : (Array.isArray(first.value) ? first.value : first.value.records).slice(0, limit);
  } finally {
    await pages.return?.(undefined);
  }
}

/**
 * The catalog: one stream per resource, keyed by primary_key (merge) or without key (append), INCREMENTAL by
 * the cursor_path when the resource has `incremental`. Schemas are the inline ones, or inferred from a sample of
 * the first page with the inline properties winning; a resource that cannot be sampled gets its inline schema (or
 * an open one) and a warning.
 */
export async function discoverCatalog(config: Config, streams: readonly RestStream[], ctx: DiscoverContext): Promise<Catalog> {
  const sampleSize = config.sample_size ?? 100;
  const entries = [];
  // Streams whose schema comes from a sample cost a request each: those are what progress counts.
  const step = discoverProgress(ctx, 'streams sampled', streams.filter((s) => s.resource.inferSchema).length);
  for (const stream of streams) {
    const { resource } = stream;
    let schema: JsonSchema = { type: 'object', ...resource.schema, properties: { ...resource.schema?.properties } };
    if (resource.inferSchema) {
      try {
        schema = inferStreamSchema(await sampleRecords(stream, sampleSize, ctx), resource.schema);
      } catch (error) {
        ctx.logger.warn(`could not sample records to infer the schema: ${formatError(error)}`, { stream: resource.name });
      }
      step(resource.name);
    }
    const incremental = resource.endpoint.incremental;
    entries.push(
      buildCatalogStream({
        stream: resource.name,
        schema,
        keyProperties: resource.primaryKey,
        replicationMethod: incremental ? 'INCREMENTAL' : 'FULL_TABLE',
        ...(incremental ? { replicationKey: incremental.cursor_path, validReplicationKeys: [incremental.cursor_path] } : {}),
        selectedByDefault: resource.selected,
        streamMetadata: {
          'write-disposition': resource.writeDisposition,
          ...(resource.parent ? { 'parent-stream': resource.parent.name } : {}),
        },
      }),
    );
  }
  return { streams: entries };
}
