import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parsePipelineConfig, pipelineSchema } from '../src/index.js';
import { DEFAULT_BUFFER_RECORDS } from '../src/runner/run-pipeline.js';

const docs = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'pipeline-config.md'), 'utf8');
const minimal = { source: { name: 'faker' }, destination: { name: 'duckdb' } };

describe('pipeline options', () => {
  it('has one default for options.buffer_records: the schema, the runner and the docs agree', () => {
    const options = (pipelineSchema['properties'] as Record<string, { properties: Record<string, { default?: unknown }> }>)['options'];
    expect(options?.properties['buffer_records']?.default).toBe(DEFAULT_BUFFER_RECORDS);
    expect(parsePipelineConfig({ ...minimal, options: {} }).options?.buffer_records).toBe(DEFAULT_BUFFER_RECORDS);
    expect(docs).toMatch(new RegExp(`\\| \`buffer_records\` \\| \`${DEFAULT_BUFFER_RECORDS}\` \\|`));
  });
});
