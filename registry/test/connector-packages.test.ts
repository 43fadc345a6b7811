// Every package in connectors/ is independently versioned and publishable, and the generated index agrees
// with them. Needs `npm run build` (the tarball check looks at dist/).
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { connectorNameKey } from '@mage-int/core';
import { loadConnectorIndex, unexpectedFiles } from '@mage-int/registry';
// @ts-expect-error -- a plain .mjs script without types
import { buildIndex } from '../scripts/build-index.mjs';

const run = promisify(execFile);
const connectorsDir = fileURLToPath(new URL('../../connectors', import.meta.url));
const packages: { dir: string; pkg: Record<string, unknown> }[] = [];
for (const entry of await readdir(connectorsDir, { withFileTypes: true })) {
  if (!entry.isDirectory()) continue;
  const text = await readFile(join(connectorsDir, entry.name, 'package.json'), 'utf8').catch(() => undefined);
  if (text) packages.push({ dir: join(connectorsDir, entry.name), pkg: JSON.parse(text) as Record<string, unknown> });
}

describe('connector packages', () => {
  it('the generated index lists every connector with its package metadata and config schema', async () => {
    const fresh = (await buildIndex(connectorsDir)) as { package: string; type: string; name: string; version: string; config: unknown }[];
    expect(fresh.map((e) => e.package).sort()).toEqual(packages.map((p) => p.pkg['name']).sort());
    for (const { dir, pkg } of packages) {
      const entry = fresh.find((e) => e.package === pkg['name']);
      const manifest = pkg['mage-int'] as { type: string; name: string; aliases?: string[] };
      expect(entry).toMatchObject({ type: manifest.type, name: manifest.name, aliases: manifest.aliases ?? [], version: pkg['version'] });
      expect(entry?.config).toEqual(JSON.parse(await readFile(join(dir, 'spec.json'), 'utf8')));
    }
    const built = await loadConnectorIndex();
    if (built.length > 0) expect(built, 'registry/index.json is stale: run `npm run build -w @mage-int/registry`').toEqual(fresh);
  });

  it('no connector depends on another connector (what two share lives in core or a kit)', () => {
    const names = new Set(packages.map((p) => String(p.pkg['name'])));
    // Known and not yet moved into a kit: source-zendesk is written on source-rest's engine.
    const known = new Set(['@mage-int/source-zendesk']);
    for (const { pkg } of packages) {
      if (known.has(String(pkg['name']))) continue;
      const dependencies = Object.keys((pkg['dependencies'] ?? {}) as Record<string, string>);
      expect(
        dependencies.filter((d) => names.has(d)),
        `${String(pkg['name'])} depends on a connector`,
      ).toEqual([]);
    }
  });

  it('a name or alias means one connector of a kind (compared as pipeline files compare them: any case)', () => {
    const owners = new Map<string, string>();
    for (const { pkg } of packages) {
      const manifest = pkg['mage-int'] as { type: string; name: string; aliases?: string[] };
      for (const name of [manifest.name, ...(manifest.aliases ?? [])]) {
        const key = `${manifest.type}-${connectorNameKey(name)}`;
        expect(owners.get(key), `${key} is claimed by ${owners.get(key)} and ${String(pkg['name'])}`).toBeUndefined();
        owners.set(key, String(pkg['name']));
      }
    }
    // Mage's names for the systems mage-int has (mage_integrations' folder names)
    for (const name of [
      'source-postgresql',
      'destination-postgresql',
      'source-mysql',
      'destination-mysql',
      'source-amazon_s3',
      'destination-amazon_s3',
      'source-api',
      'source-stripe',
      'source-hubspot',
      'source-salesforce',
      'source-zendesk',
      'source-azure_blob_storage',
      'source-google_cloud_storage',
      'destination-google_cloud_storage',
      'destination-duckdb',
    ]) {
      expect(owners.get(name), name).toBeDefined();
    }
  });

  for (const { dir, pkg } of packages) {
    it(`${String(pkg['name'])} is versioned on its own and packs only built JS, types and spec.json`, async () => {
      expect(pkg['private']).not.toBe(true);
      expect(String(pkg['version'])).toMatch(/^\d+\.\d+\.\d+/);
      expect(pkg['keywords']).toContain('mage-int-connector');
      expect(pkg['name']).toBe(`@mage-int/${dir.split('/').at(-1)}`);
      const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: dir, maxBuffer: 16 * 1024 * 1024 });
      const files = (JSON.parse(stdout.slice(stdout.indexOf('['))) as { files: { path: string }[] }[])[0]?.files.map((f) => f.path) ?? [];
      expect(files).toEqual(expect.arrayContaining(['package.json', 'spec.json', 'dist/index.js', 'dist/index.d.ts', 'dist/bin.js']));
      expect(unexpectedFiles(files)).toEqual([]);
    });
  }
});

// Issue: the README claimed MySQL, SaaS and warehouse connectors that do not exist. Users read these files to learn
// what they can install, so every first-party connector named there exists, and the rest say "planned".
describe('what the docs claim', () => {
  const rootDir = fileURLToPath(new URL('../..', import.meta.url));
  const existing = packages.map((p) => String(p.pkg['name'])).sort();

  it('the README connector table lists exactly the connectors that exist, the others as planned', async () => {
    const readme = await readFile(join(rootDir, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Connectors'), readme.indexOf('\n## ', readme.indexOf('## Connectors') + 1));
    const rows = section
      .split('\n')
      .filter((line) => line.startsWith('| ') && !line.startsWith('| connector') && !line.startsWith('| ---'));
    expect(rows.length).toBeGreaterThan(0);
    const listed = rows.flatMap((row) => /`(@mage-int\/[a-z0-9-]+)`/.exec(row)?.[1] ?? []).sort();
    expect(listed, "the README's Connectors table must list exactly the packages in connectors/ (a new connector gets a row)").toEqual(
      existing,
    );
    for (const row of rows.filter((r) => !/`@mage-int\//.test(r)))
      expect(row, 'a connector without a package must say it is planned').toMatch(/\bplanned\b/);
  });

  it('README.md, docs/cli.md and docs/registry.md name only first-party connector packages that exist', async () => {
    for (const file of ['README.md', 'docs/cli.md', 'docs/registry.md']) {
      const text = await readFile(join(rootDir, file), 'utf8');
      for (const line of text.split('\n')) {
        for (const [name] of line.matchAll(/@mage-int\/(?:source|destination)-[a-z0-9][a-z0-9-]*/g)) {
          if (!/\bplanned\b/.test(line)) expect(existing, `${file}: "${line.trim()}"`).toContain(name);
        }
      }
    }
  });
});
