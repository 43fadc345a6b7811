import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defineTestConfig, runConformance, type CheckResult } from '@mage-int/testkit';
import { memoryDestination, memorySource, type DestinationFlaws, type SourceFlaws } from './in-memory-connectors.js';

const sourceConfig = defineTestConfig<{ greeting?: string }>({ kind: 'source', setup: () => ({ config: { greeting: 'hi' } }) });

function status(results: CheckResult[], fragment: string): string | undefined {
  return results.find((r) => r.name.includes(fragment))?.status;
}

async function runSource(flaws: SourceFlaws) {
  return runConformance({ connector: memorySource(flaws) as never, testConfig: sourceConfig as never });
}

describe('source suite', () => {
  it('passes a conforming incremental source on every check', async () => {
    const results = await runSource({});
    expect(results.filter((r) => r.status !== 'passed')).toEqual([]);
    expect(results.length).toBeGreaterThanOrEqual(8);
  });

  it('fails a source that emits records before their SCHEMA', async () => {
    const results = await runSource({ recordBeforeSchema: true });
    expect(status(results, 'SCHEMA before records')).toBe('failed');
    expect(results.find((r) => r.name.includes('SCHEMA before records'))?.message).toMatch(/before any SCHEMA/);
  });

  it('fails a source whose records lack their key property', async () => {
    const results = await runSource({ missingKey: true });
    expect(results.find((r) => r.name.includes('carry their keys'))?.message).toMatch(/key property "id" is missing/);
  });

  it('fails a source that ignores its bookmark on the far-future and resumed reads', async () => {
    const results = await runSource({ ignoreBookmark: true });
    expect(status(results, 'far-future')).toBe('failed');
    expect(status(results, 'resumed from')).toBe('failed');
    expect(results.find((r) => r.name.includes('resumed from'))?.message).toMatch(/older than the bookmark/);
  });

  it('fails a source that loses records when restarted from a mid-stream STATE', async () => {
    const results = await runSource({ loseOnRestart: true });
    expect(status(results, 'restarted from its last STATE')).toBe('failed');
    expect(results.find((r) => r.name.includes('restarted from its last STATE'))?.message).toMatch(
      /stream "items": restarted from the STATE after record 10 .*10 records of the full read never arrived, e\.g\. key \[11\]/,
    );
  });

  it('fails a source that never emits STATE', async () => {
    const results = await runSource({ noState: true });
    expect(status(results, 'STATE messages')).toBe('failed');
    expect(status(results, 'resumed from')).toBe('failed');
  });

  it('rejects a spec that is not a valid JSON Schema', async () => {
    const source = { ...memorySource(), spec: { type: 'object', properties: { a: { type: 'no-such-type' } } } };
    const results = await runConformance({ connector: source as never, testConfig: sourceConfig as never });
    expect(status(results, 'spec is a valid')).toBe('failed');
  });
});

describe('destination suite', () => {
  let fixtures: string;
  afterAll(async () => {
    if (fixtures) await rm(fixtures, { recursive: true, force: true });
  });

  async function runDestination(flaws: DestinationFlaws, fixturesDir?: string, appendOnly?: boolean) {
    const { destination, readTable } = memoryDestination(flaws);
    let n = 0;
    const testConfig = defineTestConfig<{ database: string }>({
      kind: 'destination',
      setup: () => ({ config: { database: `db${n++}` } }),
      readTable,
      fixtures: fixturesDir ?? join(tmpdir(), 'no-such-fixtures-dir'),
      ...(appendOnly === undefined ? {} : { appendOnly }),
    });
    return runConformance({ connector: destination as never, testConfig: testConfig as never });
  }

  it('passes a destination that commits before yielding state and upserts by key', async () => {
    const results = await runDestination({});
    expect(results.filter((r) => r.status !== 'passed')).toEqual([]);
  });

  it('fails a destination that yields STATE before committing', async () => {
    const results = await runDestination({ stateBeforeCommit: true });
    expect(status(results, 'only after the records before it are committed')).toBe('failed');
  });

  it('fails a destination that appends keyed records on re-load', async () => {
    const results = await runDestination({ appendOnly: true });
    expect(status(results, 'idempotent')).toBe('failed');
  });

  it('holds a destination declared append-only to keeping every record on re-load', async () => {
    const appending = await runDestination({ appendOnly: true }, undefined, true);
    expect(appending.filter((r) => r.status !== 'passed')).toEqual([]);
    expect(status(appending, 'appends every record again')).toBe('passed');
    const upserting = await runDestination({}, undefined, true);
    expect(status(upserting, 'appends every record again')).toBe('failed');
  });

  it('runs fixture cases: expected tables and expected rejections', async () => {
    fixtures = await mkdtemp(join(tmpdir(), 'testkit-fixtures-'));
    const write = async (name: string, input: unknown[], expected: unknown) => {
      await mkdir(join(fixtures, name));
      await writeFile(join(fixtures, name, 'input.jsonl'), input.map((m) => JSON.stringify(m)).join('\n') + '\n');
      await writeFile(join(fixtures, name, 'expected.json'), JSON.stringify(expected));
    };
    const schema = {
      type: 'SCHEMA',
      stream: 'users',
      key_properties: ['id'],
      schema: { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' } } },
    };
    await write(
      'upsert',
      [
        schema,
        { type: 'RECORD', stream: 'users', record: { id: 1, name: 'a' } },
        { type: 'RECORD', stream: 'users', record: { id: 1, name: 'b' } },
        { type: 'STATE', value: { bookmarks: {} } },
      ],
      {
        tables: { users: [{ id: 1, name: 'b' }] },
        finalState: { bookmarks: {} },
      },
    );
    await write('record-before-schema', [{ type: 'RECORD', stream: 'users', record: { id: 1 } }], {
      error: { code: 'RECORD_BEFORE_SCHEMA' },
    });
    await write('unknown-setting', [schema, { type: 'RECORD', stream: 'users', record: { id: 3, name: 'z' } }], {
      config: { no_such_setting: true },
      tables: { users: [{ id: 3, name: 'z' }] },
    });
    await write('wrong-expectation', [schema, { type: 'RECORD', stream: 'users', record: { id: 2, name: 'x' } }], {
      tables: { users: [{ id: 2, name: 'y' }] },
    });
    const results = await runDestination({}, fixtures);
    expect(status(results, 'fixture upsert')).toBe('passed');
    expect(status(results, 'fixture record-before-schema')).toBe('passed');
    expect(status(results, 'fixture wrong-expectation')).toBe('failed');
    expect(results.find((r) => r.name.includes('wrong-expectation'))?.message).toMatch(/missing:[\s\S]*"y"/);
    // A setting the destination does not know fails the case instead of skipping it.
    expect(status(results, 'fixture unknown-setting')).toBe('failed');
    expect(results.find((r) => r.name.includes('unknown-setting'))?.message).toMatch(
      /sets no_such_setting, which this destination's spec does not have[\s\S]*skipFixtures/,
    );
  });
});
