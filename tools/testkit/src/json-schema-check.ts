import { Ajv } from 'ajv';
import type { Catalog, JsonSchema } from '@mage-int/core';
import { getMetadata, keyProperties } from '@mage-int/core';
import { ConformanceError, expectThat } from './check.js';

// draft-07 is ajv's default meta-schema; `secret` and other annotations are allowed by strict: false.
const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: true, allowUnionTypes: true, validateFormats: false });

/** Throws unless `schema` is a valid JSON Schema (checked against the draft-07 meta-schema and compiled). */
export function assertValidJsonSchema(schema: unknown, what: string): void {
  expectThat(typeof schema === 'object' && schema !== null && !Array.isArray(schema), `${what} is not a JSON object`);
  if (!ajv.validateSchema(schema as object)) {
    throw new ConformanceError(`${what} is not a valid JSON Schema: ${ajv.errorsText(ajv.errors, { dataVar: what })}`);
  }
  try {
    ajv.compile(schema as object);
  } catch (error) {
    throw new ConformanceError(`${what} does not compile: ${(error as Error).message}`);
  }
}

/** Throws unless a connector spec is an object schema describing its settings under `properties`. */
export function assertValidSpec(spec: JsonSchema): void {
  assertValidJsonSchema(spec, 'spec');
  expectThat(spec.type === 'object', `spec must have "type": "object" (got ${JSON.stringify(spec.type)})`);
  expectThat(typeof spec.properties === 'object' && spec.properties !== null, 'spec must describe its settings under "properties"');
  for (const required of spec.required ?? []) {
    expectThat(spec.properties?.[required] !== undefined, `spec requires "${required}" but does not describe it under properties`);
  }
}

/** Throws unless `catalog` is a well-formed Singer catalog whose keys and replication keys exist. */
export function assertValidCatalog(catalog: Catalog): void {
  expectThat(typeof catalog === 'object' && catalog !== null && Array.isArray(catalog.streams), 'discover() must return {streams: [...]}');
  const ids = new Set<string>();
  for (const [i, stream] of catalog.streams.entries()) {
    const where = `catalog.streams[${i}]${typeof stream.tap_stream_id === 'string' ? ` (${stream.tap_stream_id})` : ''}`;
    expectThat(typeof stream.tap_stream_id === 'string' && stream.tap_stream_id !== '', `${where} has no tap_stream_id`);
    expectThat(!ids.has(stream.tap_stream_id), `${where}: tap_stream_id "${stream.tap_stream_id}" appears twice`);
    ids.add(stream.tap_stream_id);
    expectThat(typeof stream.stream === 'string' && stream.stream !== '', `${where} has no stream name`);
    assertValidJsonSchema(stream.schema, `${where}.schema`);
    const properties = stream.schema.properties;
    expectThat(typeof properties === 'object' && properties !== null, `${where}.schema has no "properties"`);
    expectThat(Array.isArray(stream.metadata), `${where} has no metadata list`);
    for (const entry of stream.metadata) {
      expectThat(
        Array.isArray(entry.breadcrumb) && typeof entry.metadata === 'object' && entry.metadata !== null,
        `${where} has a metadata entry without breadcrumb/metadata`,
      );
      if (entry.breadcrumb.length === 2) {
        expectThat(
          entry.breadcrumb[0] === 'properties' && properties[entry.breadcrumb[1] ?? ''] !== undefined,
          `${where} has metadata for unknown field ${JSON.stringify(entry.breadcrumb)}`,
        );
      }
    }
    expectThat(
      stream.metadata.some((m) => m.breadcrumb.length === 0),
      `${where} has no stream-level metadata (breadcrumb [])`,
    );
    for (const key of keyProperties(stream))
      expectThat(properties[key] !== undefined, `${where}: key property "${key}" is not in the schema`);
    const validKeys = getMetadata(stream)['valid-replication-keys'];
    if (validKeys !== undefined) {
      expectThat(Array.isArray(validKeys), `${where}: valid-replication-keys must be a list`);
      for (const key of validKeys as unknown[])
        expectThat(
          typeof key === 'string' && properties[key] !== undefined,
          `${where}: replication key ${JSON.stringify(key)} is not in the schema`,
        );
    }
  }
}
