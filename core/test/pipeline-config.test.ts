import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { coerceStringsToSpec, interpolateEnv, loadPipelineFile, resolvePathFields } from '../src/index.js';

async function file(text: string, name = 'orders-sync.yaml'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pipe-'));
  await writeFile(join(dir, name), text);
  return join(dir, name);
}

describe('pipeline files', () => {
  it('loads YAML, interpolates environment variables and names the pipeline after the file', async () => {
    const path = await file(`
source:
  name: postgres
  config: { host: "\${PGHOST}", port: 5432, password: "\${PGPASS:-fallback}", literal: "$\${NOT_A_VAR}" }
destination: { name: duckdb, config: { path: out.duckdb } }
streams:
  public-orders: { replication_method: INCREMENTAL, replication_key: updated_at, unique_conflict_method: UPDATE }
`);
    const config = await loadPipelineFile(path, { PGHOST: 'db.internal' });
    expect(config.id).toBe('orders-sync');
    expect(config.source.config).toEqual({ host: 'db.internal', port: 5432, password: 'fallback', literal: '${NOT_A_VAR}' });
    expect(config.streams?.['public-orders']?.replication_key).toBe('updated_at');
  });

  it('names a missing environment variable and where it is used', () => {
    expect(() => interpolateEnv({ source: { config: { password: '${PGPASSWORD}' } } }, {})).toThrow(
      expect.objectContaining({
        code: 'ENV_VAR_MISSING',
        message: 'field "source.config.password": environment variable PGPASSWORD is not set (used at source.config.password)',
      }),
    );
  });

  it('says a variable set to the empty string is empty, not unset', () => {
    expect(() => interpolateEnv({ source: { config: { password: '${PGPASSWORD}' } } }, { PGPASSWORD: '' })).toThrow(
      'environment variable PGPASSWORD is set but empty (used at source.config.password)',
    );
  });

  it("remembers which values of each connector's config came from the environment", async () => {
    const path = await file(`
source:
  command: tap-github
  config: { access: "\${GH_TOKEN}", repos: ["\${ORG}/a", "static"], page: "\${MISSING:-10}" }
destination: { name: duckdb, config: { path: "\${OUT}" } }
`);
    const config = await loadPipelineFile(path, { GH_TOKEN: 'ghp_x', ORG: 'acme', OUT: 'o.duckdb' });
    expect(config.source.interpolated).toEqual([
      { path: 'access', value: 'ghp_x' },
      { path: 'repos[0]', value: 'acme' },
    ]);
    expect(config.destination.interpolated).toEqual([{ path: 'path', value: 'o.duckdb' }]);
  });

  it('rejects unknown keys, missing parts and bad YAML with the place', async () => {
    await expect(loadPipelineFile(await file('source: {name: a}\ndestination: {name: b}\nschedule: daily\n'))).rejects.toThrow(
      /"schedule" is not a known key/,
    );
    await expect(loadPipelineFile(await file('source: {name: a}\n'))).rejects.toThrow(/"destination" is required/);
    await expect(
      loadPipelineFile(await file('source: {name: a}\ndestination: {name: b}\nstreams: {x: {replication_method: SOMETIMES}}\n')),
    ).rejects.toThrow(/streams\.x\.replication_method: must be one of "FULL_TABLE", "INCREMENTAL", "LOG_BASED"/);
    await expect(loadPipelineFile(await file('source: [unclosed\n'))).rejects.toThrow(/not valid YAML \(line \d+/);
  });

  it('resolves "format": "path" settings from the pipeline file directory', () => {
    const spec = { properties: { path: { type: 'string', format: 'path' }, schema: { type: 'string' } } };
    expect(resolvePathFields(spec, { path: 'data/x.duckdb', schema: 'main' }, '/srv/pipes')).toEqual({
      path: '/srv/pipes/data/x.duckdb',
      schema: 'main',
    });
    expect(resolvePathFields(spec, { path: '/abs.duckdb' }, '/srv')).toEqual({ path: '/abs.duckdb' });
  });

  it('turns interpolated strings into the numbers and booleans a spec asks for, and nothing else', () => {
    const spec = {
      properties: {
        port: { type: 'integer' },
        ratio: { type: 'number' },
        follow: { type: 'boolean' },
        password: { type: 'string' },
        ssl: { type: 'object', properties: { port: { type: 'integer' } } },
      },
    } as const;
    expect(coerceStringsToSpec(spec, { port: '5432', ratio: '0.5', follow: 'true', password: '1234', ssl: { port: '6543' } })).toEqual({
      port: 5432,
      ratio: 0.5,
      follow: true,
      password: '1234',
      ssl: { port: 6543 },
    });
    expect(coerceStringsToSpec(spec, { port: '54x', follow: 'yes', ratio: '' })).toEqual({ port: '54x', follow: 'yes', ratio: '' });
    // biome-ignore lint/correctness/noPrecisionLoss: the expected value is the double the string coerces to
    expect(coerceStringsToSpec(spec, { port: '1.5', ratio: '99999999999999999999' })).toEqual({ port: '1.5', ratio: 99999999999999999999 });
  });
});
