#!/usr/bin/env node
// Writes a file connector's spec.json from its storage settings (storage-spec.json in the connector) and the
// settings every file source or destination shares (kits/files/source-spec.json or destination-spec.json):
//   node kits/files/scripts/compose-spec.mjs connectors/source-s3
// kits/files/test/specs.test.ts fails when a connector's spec.json differs from what this writes.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function composeSpec(connectorDir) {
  const own = JSON.parse(readFileSync(join(connectorDir, 'storage-spec.json'), 'utf8'));
  // `x-extends`: a storage's settings shared by its source and destination (kits/files-s3/storage-spec.json).
  const base = own['x-extends'] ? JSON.parse(readFileSync(join(connectorDir, own['x-extends']), 'utf8')) : { required: [], properties: {} };
  const storage = {
    ...own,
    required: [...(base.required ?? []), ...(own.required ?? [])],
    properties: { ...base.properties, ...own.properties },
  };
  const kind = storage['x-kind'];
  const shared = JSON.parse(readFileSync(new URL(`../${kind}-spec.json`, import.meta.url), 'utf8'));
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    description: storage.description,
    type: 'object',
    // `x-optional`: shared settings a connector may do without (source-s3 makes `streams` from Mage's keys).
    required: [...(storage.required ?? []), ...shared.required.filter((name) => !(own['x-optional'] ?? []).includes(name))],
    additionalProperties: false,
    // `x-aliases`: other tools' names for settings (`{"x-alias-of": …}`), after the connector's own.
    properties: { ...storage.properties, ...shared.properties, ...own['x-aliases'] },
    ...(shared.definitions ? { definitions: shared.definitions } : {}),
  };
}

export function specText(connectorDir) {
  return JSON.stringify(composeSpec(connectorDir), null, 2) + '\n';
}

if (process.argv[2]) writeFileSync(join(process.argv[2], 'spec.json'), specText(process.argv[2]));
