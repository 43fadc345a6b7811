// Connector names in pipeline files match ignoring case, and a package's `mage-int` block may give other names
// (Mage's `postgresql` for postgres): issue 19. Real packages in a real node_modules, resolved as the CLI does.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorNameKey, resolveConnector } from '../src/index.js';

let project: string;

async function connectorPackage(packageName: string, manifest: Record<string, unknown>): Promise<void> {
  const dir = join(project, 'node_modules', ...packageName.split('/'));
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: packageName, version: '1.0.0', type: 'module', 'mage-int': manifest }));
}

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), 'mage-int-names-'));
  await connectorPackage('@mage-int/source-postgres', { type: 'source', name: 'postgres', aliases: ['postgresql'] });
  await connectorPackage('@mage-int/source-s3', { type: 'source', name: 's3', aliases: ['amazon_s3'] });
  await connectorPackage('@mage-int/destination-duckdb', { type: 'destination', name: 'duckdb' });
  // A community package claiming a first-party name as its alias does not take it over.
  await connectorPackage('mage-int-source-pg-lite', { type: 'source', name: 'pg-lite', aliases: ['postgres', 'pglite'] });
});

afterAll(async () => {
  await rm(project, { recursive: true, force: true });
});

describe('connector names', () => {
  it('compares names ignoring case, and spaces or hyphens against underscores', () => {
    expect(connectorNameKey('PostgreSQL')).toBe('postgresql');
    expect(connectorNameKey(' Amazon S3 ')).toBe('amazon_s3');
    expect(connectorNameKey('rest-api')).toBe('rest_api');
  });

  it('finds a connector by its name in any case (Mage writes `name: PostgreSQL`, `name: DuckDB`)', async () => {
    expect((await resolveConnector('source', { name: 'PostgreSQL' }, project)).packageName).toBe('@mage-int/source-postgres');
    expect((await resolveConnector('source', { name: 'POSTGRES' }, project)).packageName).toBe('@mage-int/source-postgres');
    expect((await resolveConnector('destination', { name: 'DuckDB' }, project)).packageName).toBe('@mage-int/destination-duckdb');
  });

  it("finds a connector by an alias its package declares, also by Mage's display name", async () => {
    expect((await resolveConnector('source', { name: 'postgresql' }, project)).packageName).toBe('@mage-int/source-postgres');
    expect((await resolveConnector('source', { name: 'amazon_s3' }, project)).packageName).toBe('@mage-int/source-s3');
    expect((await resolveConnector('source', { name: 'Amazon S3' }, project)).packageName).toBe('@mage-int/source-s3');
    expect((await resolveConnector('source', { name: 'PgLite' }, project)).packageName).toBe('mage-int-source-pg-lite');
    expect((await resolveConnector('source', { package: '@MAGE-INT/source-postgres' }, project)).packageName).toBe(
      '@mage-int/source-postgres',
    );
  });

  it("prefers a connector's own name over another package's alias", async () => {
    expect((await resolveConnector('source', { name: 'postgres' }, project)).packageName).toBe('@mage-int/source-postgres');
  });

  it("an alias is per kind: the source's alias does not find a destination", async () => {
    await expect(resolveConnector('destination', { name: 'amazon_s3' }, project)).rejects.toMatchObject({
      code: 'CONNECTOR_NOT_INSTALLED',
    });
  });

  it('names the real package to install for a name or alias of a first-party connector, never the name as written', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'mage-int-names-empty-'));
    try {
      // The first-party names come from @mage-int/registry's generated index, installed beside core in this checkout.
      const pg = await resolveConnector('source', { name: 'PostgreSQL' }, empty).catch((error: unknown) => error);
      expect(pg).toMatchObject({ code: 'CONNECTOR_NOT_INSTALLED', message: 'no source connector "PostgreSQL" is installed' });
      expect((pg as { hint: string }).hint).toContain(
        'run `mage-int add source-postgres` ("PostgreSQL" is another name of source-postgres)',
      );
      expect((pg as { hint: string }).hint).not.toMatch(/source-PostgreSQL|source-postgresql/);
      const duck = await resolveConnector('destination', { name: 'DuckDB' }, empty).catch((error: unknown) => error);
      expect((duck as { hint: string }).hint).toMatch(/^run `mage-int add destination-duckdb`$/);
      const s3 = await resolveConnector('destination', { name: 'Amazon S3' }, empty).catch((error: unknown) => error);
      expect((s3 as { hint: string }).hint).toContain('run `mage-int add destination-s3`');
      // a misspelled alias gets the connector it stands for
      const typo = await resolveConnector('source', { name: 'postgresqll' }, empty).catch((error: unknown) => error);
      expect((typo as { hint: string }).hint).toBe('did you mean source-postgres? install it with `mage-int add source-postgres`');
      // an unknown name is at least written as a package name would be
      const unknown = await resolveConnector('source', { name: 'Acme CRM' }, empty).catch((error: unknown) => error);
      expect((unknown as { hint: string }).hint).toBe('run `mage-int add source-acme_crm`');
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
