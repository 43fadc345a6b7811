import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePipelineConfig } from '@mage-int/core';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli, workDir, WORKSPACE } from './cli-harness.js';

describe('mage-int init', () => {
  const work = workDir('init');
  beforeAll(() => assertBuilt());
  afterAll(() => work.remove());

  it('creates a starter project with a valid, schema-annotated example pipeline', async () => {
    const result = await runCli(['init', 'My Project'], { cwd: work.dir });
    expect(result.code).toBe(0);
    const root = join(work.dir, 'My Project');
    for (const file of ['package.json', 'pipelines/example.yaml', '.gitignore'])
      expect(result.stdout).toContain(`created ${join('My Project', file)}`);
    expect(result.stdout).toContain('npx mage-int run pipelines/example.yaml');

    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg).toMatchObject({ name: 'my-project', type: 'module', private: true });
    expect(Object.keys(pkg['dependencies'] as object)).toEqual(
      expect.arrayContaining(['@mage-int/cli', '@mage-int/core', '@mage-int/source-faker', '@mage-int/destination-duckdb']),
    );

    const yaml = readFileSync(join(root, 'pipelines', 'example.yaml'), 'utf8');
    expect(yaml.split('\n')[0]).toBe('# yaml-language-server: $schema=../node_modules/@mage-int/core/pipeline-schema.json');
    const config = parsePipelineConfig(parseYaml(yaml.replace('${ORDERS:-5000}', '5000')));
    expect(config.source.name).toBe('faker');
    expect(config.destination.name).toBe('duckdb');

    const gitignore = readFileSync(join(root, '.gitignore'), 'utf8').split('\n');
    expect(gitignore).toEqual(expect.arrayContaining(['.mage-int/', '*.duckdb', 'node_modules/']));
  });

  it("with --registry, writes the project's .npmrc so @mage-int comes from that registry, and depends on each package's own version", async () => {
    const result = await runCli(['init', 'from-registry', '--registry', 'http://127.0.0.1:4873'], { cwd: work.dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`created ${join('from-registry', '.npmrc')}`);
    const npmrc = readFileSync(join(work.dir, 'from-registry', '.npmrc'), 'utf8');
    expect(npmrc.split('\n').filter((line) => line && !line.startsWith('#'))).toEqual(['@mage-int:registry=http://127.0.0.1:4873/']);
    const pkg = JSON.parse(readFileSync(join(work.dir, 'from-registry', 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    for (const [name, dir] of [
      ['@mage-int/cli', 'tools/cli'],
      ['@mage-int/core', 'core'],
      ['@mage-int/source-faker', 'connectors/source-faker'],
      ['@mage-int/destination-duckdb', 'connectors/destination-duckdb'],
    ]) {
      const { version } = JSON.parse(readFileSync(join(WORKSPACE, dir as string, 'package.json'), 'utf8')) as { version: string };
      expect(pkg.dependencies[name as string]).toBe(`^${version}`);
    }
    expect(existsSync(join(work.dir, 'My Project', '.npmrc'))).toBe(false);
  });

  it('refuses to overwrite existing files without --force (exit 2), then overwrites with it', async () => {
    const root = join(work.dir, 'existing');
    const first = await runCli(['init', root]);
    expect(first.code).toBe(0);
    writeFileSync(join(root, 'pipelines', 'example.yaml'), 'mine\n');

    const refused = await runCli(['init', root]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('already has package.json, pipelines/example.yaml, .gitignore; nothing was written');
    expect(refused.stderr).toContain('--force');
    expect(readFileSync(join(root, 'pipelines', 'example.yaml'), 'utf8')).toBe('mine\n');

    const forced = await runCli(['init', root, '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('overwrote');
    expect(readFileSync(join(root, 'pipelines', 'example.yaml'), 'utf8')).toContain('name: faker');
  });

  it('refuses when only one of the files exists, writing none', async () => {
    const root = join(work.dir, 'partial');
    await runCli(['init', root]);
    const other = join(work.dir, 'partial2');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(other);
    writeFileSync(join(other, '.gitignore'), 'keep\n');
    const refused = await runCli(['init', other]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('already has .gitignore');
    expect(existsSync(join(other, 'package.json'))).toBe(false);
    expect(existsSync(root)).toBe(true);
  });
});
