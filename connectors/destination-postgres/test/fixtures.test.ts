import { createReadStream, writeFileSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatError, MageError, readSingerMessages } from '@mage-int/core';
import { normalizeIdentifier } from '@mage-int/core/sql';
import { baseConfig, createDatabase, ensureBuilt, load, readTable, runBin } from './helpers.js';
import { canonicalValue, diffTable, fixtureCases, type FixtureCase } from './fixture-cases.js';

const cases = fixtureCases();
let database: { name: string; drop: () => Promise<void> };
let workDir: string;

beforeAll(async () => {
  database = await createDatabase('dpg_fixtures');
  workDir = mkdtempSync(join(tmpdir(), 'dpg-fixtures-'));
  if (cases.some((c) => c.error)) ensureBuilt();
});

afterAll(async () => {
  await database?.drop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

function configFor(fixture: FixtureCase, suffix = '') {
  const schema = `fx_${fixture.name.replace(/[^a-z0-9]+/g, '_')}${suffix}`;
  return baseConfig(database.name, schema, fixture.config);
}

function messagesOf(path: string) {
  return readSingerMessages(createReadStream(path), { validateRecords: true });
}

describe('destination fixtures (tools/testkit/fixtures/destination) against PostgreSQL', () => {
  it('finds the shared fixture cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  for (const fixture of cases.filter((c) => c.tables)) {
    it(`${fixture.name}: ${fixture.description ?? 'loads the expected rows'}`, async () => {
      const config = configFor(fixture);
      if (fixture.setupPath) await load(config, messagesOf(fixture.setupPath));
      const states = await load(config, messagesOf(fixture.inputPath), fixture.streams);
      for (const [stream, rows] of Object.entries(fixture.tables ?? {})) {
        const table = normalizeIdentifier(stream, { maxBytes: 63 });
        const diff = diffTable(await readTable(database.name, config.schema as string, table), rows);
        expect(diff, `table of stream "${stream}"`).toBeUndefined();
      }
      if (fixture.finalState !== undefined) expect(canonicalValue(states.at(-1))).toEqual(canonicalValue(fixture.finalState));
    });
  }

  for (const fixture of cases.filter((c) => c.error)) {
    const error = fixture.error as NonNullable<FixtureCase['error']>;
    const substrings = [...(error.message ? [error.message] : []), ...(error.message_includes ?? [])];

    it(`${fixture.name}: rejected in process with code ${error.code}`, async () => {
      const failure = await load(configFor(fixture), messagesOf(fixture.inputPath), fixture.streams).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(failure, 'the load must fail').toBeInstanceOf(MageError);
      if (error.code) expect((failure as MageError).code).toBe(error.code);
      const text = formatError(failure);
      for (const part of substrings) expect(text).toContain(part);
    });

    it(`${fixture.name}: the standalone target exits non-zero with a clear message`, async () => {
      const configPath = join(workDir, `${fixture.name}.json`);
      writeFileSync(configPath, JSON.stringify(configFor(fixture, '_bin')));
      const result = await runBin(configPath, readFileSync(fixture.inputPath));
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^error: /m);
      for (const part of substrings) expect(result.stderr).toContain(part);
    });
  }
});
