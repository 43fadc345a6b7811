import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateConfig, type JsonSchema } from '@mage-int/core';
import { generateConnectorCode, resolvedSchema } from '../src/codegen.js';

const connectorsDir = fileURLToPath(new URL('../../../connectors', import.meta.url));

/** The body of `export interface <name> { … }` in generated code. */
function interfaceBody(code: string, name: string): string {
  const start = code.indexOf(`export interface ${name} {`);
  expect(start, `${name} is generated`).toBeGreaterThanOrEqual(0);
  let depth = 0;
  for (let i = code.indexOf('{', start); i < code.length; i++) {
    if (code[i] === '{') depth++;
    if (code[i] === '}' && --depth === 0) return code.slice(start, i + 1);
  }
  throw new Error(`unterminated ${name}`);
}

/** Paths the resolved schema requires that a validated config lacks (objects present are checked inside). */
function missing(schema: JsonSchema, value: unknown, path = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  const record = value as Record<string, unknown>;
  return [
    ...(schema.required ?? []).filter((name) => record[name] === undefined).map((name) => `${path}${name}`),
    ...Object.entries(schema.properties ?? {}).flatMap(([name, child]) => missing(child, record[name], `${path}${name}.`)),
  ];
}

/**
 * A minimal valid value: required properties filled in, arrays as long as `minItems` asks (nested specs such as
 * source-rest's), a string matching the setting's `pattern` (a GA4 property id is digits).
 */
function sample(schema: JsonSchema): unknown {
  const type = [schema.type].flat()[0];
  if (schema.enum) return schema.enum[0];
  if (typeof schema.pattern === 'string') {
    const pattern = new RegExp(schema.pattern);
    return ['x', '1', 'a_1', 'x.y', 'x@y.z'].find((candidate) => pattern.test(candidate)) ?? 'x';
  }
  if (type === 'object') return Object.fromEntries((schema.required ?? []).map((key) => [key, sample(schema.properties?.[key] ?? {})]));
  if (type === 'array')
    return Array.from({ length: Number(schema.minItems ?? 0) }, () =>
      sample(schema.items && !Array.isArray(schema.items) ? schema.items : {}),
    );
  return type === 'integer' || type === 'number' ? 1 : type === 'boolean' ? true : 'x';
}

describe('connector codegen', () => {
  it('emits ResolvedConfig next to Config: settings with a default are not optional there, deprecated names are gone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'codegen-'));
    try {
      const spec = {
        type: 'object',
        additionalProperties: false,
        required: ['database'],
        properties: {
          database: { type: 'string' },
          port: { type: 'integer', default: 5432 },
          password: { type: 'string', secret: true },
          ssl_root_cert: { type: 'string', deprecated: true, 'x-alias-of': 'ssl_ca_file' },
          ssl_ca_file: { type: 'string' },
          tuning: { type: 'object', title: 'Tuning', properties: { batch_rows: { type: 'integer', default: 1000 } } },
        },
      };
      await writeFile(join(dir, 'spec.json'), JSON.stringify(spec));
      await generateConnectorCode(dir);
      const code = await readFile(join(dir, 'src/generated/config.ts'), 'utf8');
      const input = interfaceBody(code, 'Config');
      const resolved = interfaceBody(code, 'ResolvedConfig');
      expect(input).toMatch(/^port\?: number$/m);
      expect(resolved).toMatch(/^port: number$/m);
      expect(resolved).toMatch(/^password\?: string$/m);
      expect(resolved).toMatch(/^batch_rows: number$/m);
      expect(input).toContain('ssl_root_cert?:');
      expect(resolved).not.toContain('ssl_root_cert');
      // The input's named nested type (from its title) is emitted once; the resolved type inlines its own.
      expect(code.match(/export interface Tuning /g)).toHaveLength(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("shows another tool's name for a setting as an alias row in the README table, not as deprecated", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'codegen-'));
    try {
      const spec = {
        type: 'object',
        additionalProperties: false,
        properties: {
          path: { type: 'string', description: 'The DuckDB file.' },
          file_path: { 'x-alias-of': 'path' },
          batch_size_rows: { type: 'integer', default: 1000 },
          // a destination's shared setting under another tool's name keeps its alias form (not turned deprecated)
          mage_rows: { 'x-alias-of': 'batch_size_rows' },
          old_path: { type: 'string', deprecated: true, 'x-alias-of': 'path', description: 'Deprecated: use `path`.' },
          connection_method: { type: 'string', enum: ['direct'], 'x-ignored': true, description: 'Only `direct`.' },
        },
      };
      await writeFile(join(dir, 'spec.json'), JSON.stringify(spec));
      await writeFile(join(dir, 'README.md'), '# x\n<!-- config:start -->\n<!-- config:end -->\n');
      await generateConnectorCode(dir);
      const readme = await readFile(join(dir, 'README.md'), 'utf8');
      expect(readme).toContain("| `file_path` | string |  |  | alias of `path` (Mage's name). |");
      expect(readme).toContain("| `mage_rows` | integer |  |  | alias of `batch_size_rows` (Mage's name). |");
      expect(readme).toContain('| `old_path` | string |  |  | Deprecated: use `path`. |');
      expect(readme).toContain('| `connection_method` | "direct" |  |  | Mage\'s setting, accepted and ignored: Only `direct`. |');
      const code = await readFile(join(dir, 'src/generated/config.ts'), 'utf8');
      expect(interfaceBody(code, 'Config')).toMatch(/^file_path\?: string$/m);
      expect(interfaceBody(code, 'ResolvedConfig')).not.toMatch(/file_path|connection_method/);
      const written = JSON.parse(await readFile(join(dir, 'spec.json'), 'utf8')) as JsonSchema;
      expect(written.properties?.['mage_rows']?.deprecated).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("matches what validateConfig returns, for every connector's spec", async () => {
    const names = (await readdir(connectorsDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      const spec = JSON.parse(await readFile(join(connectorsDir, name, 'spec.json'), 'utf8')) as JsonSchema;
      const minimal = Object.fromEntries((spec.required ?? []).map((key) => [key, sample(spec.properties?.[key] ?? {})]));
      const config = validateConfig(spec, minimal, name);
      expect(missing(resolvedSchema(spec), config), name).toEqual([]);
    }
  });
});
