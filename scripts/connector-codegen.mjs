#!/usr/bin/env node
// Generates, for the connector package in the current directory (or the one given):
//   src/generated/config.ts   the Config type, from spec.json (json-schema-to-typescript)
//   README.md                 the config table between <!-- config:start --> and <!-- config:end -->
// spec.json is the single source of truth; run by each connector's `build` script.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { compile } from 'json-schema-to-typescript';

const dir = resolve(process.argv[2] ?? '.');
const spec = JSON.parse(await readFile(join(dir, 'spec.json'), 'utf8'));

const ts = await compile(structuredClone(spec), 'Config', {
  bannerComment: '/* Generated from spec.json by scripts/connector-codegen.mjs. Do not edit. */',
  additionalProperties: false,
  strictIndexSignatures: true,
  style: { singleQuote: true },
  format: false,
});
await mkdir(join(dir, 'src/generated'), { recursive: true });
await writeFile(join(dir, 'src/generated/config.ts'), ts);

/** The markdown config table for a spec: one row per setting, nested objects flattened with dots. */
export function configTable(schema) {
  const rows = [];
  const walk = (node, prefix) => {
    const required = new Set(node.required ?? []);
    for (const [name, prop] of Object.entries(node.properties ?? {})) {
      const path = prefix ? `${prefix}.${name}` : name;
      const type = prop.enum ? prop.enum.map((v) => JSON.stringify(v)).join(' \\| ') : [prop.type ?? 'any'].flat().join(' \\| ');
      const dflt = prop.default === undefined ? '' : `\`${JSON.stringify(prop.default)}\``;
      const notes = [prop.description ?? '', prop.secret || prop.writeOnly ? '(secret: never logged)' : ''].filter(Boolean).join(' ');
      rows.push(`| \`${path}\` | ${type} | ${required.has(name) ? 'yes' : ''} | ${dflt} | ${notes.replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`);
      if (prop.type === 'object' && prop.properties) walk(prop, path);
    }
  };
  walk(schema, '');
  return ['| setting | type | required | default | description |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
}

const readmePath = join(dir, 'README.md');
const readme = await readFile(readmePath, 'utf8').catch(() => undefined);
if (readme && readme.includes('<!-- config:start -->')) {
  const updated = readme.replace(/<!-- config:start -->[\s\S]*?<!-- config:end -->/, `<!-- config:start -->\n${configTable(spec)}\n<!-- config:end -->`);
  if (updated !== readme) await writeFile(readmePath, updated);
}
