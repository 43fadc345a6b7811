import {
  formatError,
  stringifyExactJson,
  validateConfig,
  type Destination,
  type SourceMessage,
  type StreamLoadOptions,
} from '@mage-int/core';
import { CheckSkipped, ConformanceError, expectThat, type ConformanceCheck } from './check.js';
import { canonicalValue, diffRows } from './compare-rows.js';
import { fixtureMessages, loadDestinationFixtures, type DestinationFixture } from './fixtures.js';
import { assertValidSpec } from './json-schema-check.js';
import { testContext } from './read-all.js';
import type { DestinationTestConfig, TestSetup } from './test-config.js';

/** The destination suite's context: the connector, its test config and a way to get a fresh target. */
export class DestinationSuiteContext {
  constructor(
    readonly connector: Destination<never>,
    readonly testConfig: DestinationTestConfig<unknown>,
  ) {}

  /**
   * Runs `fn` against a fresh target from the test config's setup (with `overrides` merged over its config),
   * tearing it down afterwards.
   */
  async withTarget<T>(fn: (config: unknown) => Promise<T>, overrides: Record<string, unknown> = {}): Promise<T> {
    const target: TestSetup<unknown> = await this.testConfig.setup();
    try {
      const config = { ...(target.config as Record<string, unknown>), ...overrides };
      return await fn(validateConfig(this.connector.spec, config, `destination ${this.connector.name}`));
    } finally {
      await target.teardown?.();
    }
  }

  /** Loads `messages`, calling `onState` (awaited, with the destination paused) for every STATE it yields. */
  async write(
    config: unknown,
    messages: AsyncIterable<SourceMessage>,
    streams: Record<string, StreamLoadOptions> = {},
    onState?: (value: unknown) => Promise<void>,
  ): Promise<unknown[]> {
    const ctx = { ...testContext(`destination-${this.connector.name}`), streams };
    const states: unknown[] = [];
    try {
      for await (const state of this.connector.write(config as never, messages, ctx)) {
        expectThat(state && state.type === 'STATE', `write() yielded something other than a STATE message: ${stringifyExactJson(state)}`);
        states.push(state.value);
        await onState?.(state.value);
      }
    } finally {
      ctx.dispose();
    }
    return states;
  }

  async table(config: unknown, stream: string): Promise<Record<string, unknown>[]> {
    return (await this.testConfig.readTable(config as never, stream)) ?? [];
  }
}

const COMMIT_STREAM = 'testkit_commit_order';
const BATCHES = 3;
const BATCH_ROWS = 50;

/** A keyed stream in three batches, each followed by a STATE: the input of the commit and re-load checks. */
export async function* keyedInput(): AsyncGenerator<SourceMessage> {
  yield {
    type: 'SCHEMA',
    stream: COMMIT_STREAM,
    key_properties: ['id'],
    schema: {
      type: 'object',
      properties: {
        id: { type: 'integer' },
        name: { type: ['null', 'string'] },
        updated_at: { type: ['null', 'string'], format: 'date-time' },
      },
    },
  };
  for (let batch = 0; batch < BATCHES; batch++) {
    const records = Array.from({ length: BATCH_ROWS }, (_, i) => {
      const id = batch * BATCH_ROWS + i + 1;
      return { id, name: `row ${id}`, updated_at: new Date(Date.UTC(2024, 0, 1, 0, 0, id)).toISOString() };
    });
    yield { type: 'RECORD_BATCH', stream: COMMIT_STREAM, records };
    yield {
      type: 'STATE',
      value: { bookmarks: { [COMMIT_STREAM]: { replication_key: 'updated_at', replication_key_value: records.at(-1)?.updated_at } } },
    };
  }
}

function keyedExpectedRows(): Record<string, unknown>[] {
  return Array.from({ length: BATCHES * BATCH_ROWS }, (_, i) => ({ id: i + 1, name: `row ${i + 1}` }));
}

async function checkFixture(ctx: DestinationSuiteContext, fixture: DestinationFixture): Promise<void> {
  const skip = ctx.testConfig.skipFixtures?.[fixture.name];
  if (skip) throw new CheckSkipped(skip);
  const { expected } = fixture;
  // A setting the destination does not know fails the case rather than skipping it: a skip would hide a renamed
  // or missing shared setting (core/destination-settings.json). A case that does not apply is listed in skipFixtures.
  const unknownSettings = Object.keys(expected.config ?? {}).filter((key) => ctx.connector.spec.properties?.[key] === undefined);
  if (unknownSettings.length > 0) {
    throw new ConformanceError(
      `the fixture sets ${unknownSettings.join(', ')}, which this destination's spec does not have: add the setting (shared names: @mage-int/core/destination-settings.json), or list "${fixture.name}" in skipFixtures with the reason`,
    );
  }
  await ctx.withTarget(async (config) => {
    // A destination that reads RECORD lines itself gets them as its Singer executable does.
    const lines = ctx.connector.readsRecordLines === true;
    if (fixture.setupPath) await ctx.write(config, fixtureMessages(fixture.setupPath, lines));
    let states: unknown[];
    try {
      states = await ctx.write(config, fixtureMessages(fixture.inputPath, lines), expected.streams ?? {});
    } catch (error) {
      if (!expected.error || error instanceof ConformanceError)
        throw error instanceof ConformanceError ? error : new ConformanceError(`load failed: ${formatError(error)}`);
      const code = (error as { code?: unknown }).code;
      const text = formatError(error);
      if (expected.error.code)
        expectThat(code === expected.error.code, `expected error code ${expected.error.code}, got ${String(code)}: ${text}`);
      for (const part of [expected.error.message, ...(expected.error.message_includes ?? [])]) {
        if (part !== undefined) expectThat(text.includes(part), `expected the error to mention ${JSON.stringify(part)}, got: ${text}`);
      }
      return;
    }
    expectThat(!expected.error, `the load succeeded, but this input must be rejected (${JSON.stringify(expected.error)})`);
    for (const [stream, rows] of Object.entries(expected.tables ?? {})) {
      const diff = diffRows(await ctx.table(config, stream), rows);
      expectThat(diff === undefined, () => `table of stream "${stream}" differs from expected.json:\n${diff}`);
    }
    if (expected.finalState !== undefined) {
      const last = states.at(-1);
      expectThat(
        JSON.stringify(canonicalValue(last)) === JSON.stringify(canonicalValue(expected.finalState)),
        `the last STATE yielded was ${stringifyExactJson(last)}, expected ${stringifyExactJson(expected.finalState)}`,
      );
    }
  }, expected.config);
}

/** The destination conformance checks; one per fixture case, then the built-in behaviours. */
export async function destinationChecks(testConfig: DestinationTestConfig<unknown>): Promise<ConformanceCheck<DestinationSuiteContext>[]> {
  const fixtures = await loadDestinationFixtures(testConfig.fixtures);
  return [
    {
      name: 'spec is a valid JSON Schema describing the config',
      run: async ({ connector }) => assertValidSpec(connector.spec),
    },
    {
      name: 'check() succeeds with the test config',
      run: async (ctx) =>
        ctx.withTarget(async (config) => {
          const context = testContext(`destination-${ctx.connector.name}`);
          try {
            const result = await ctx.connector.check(config as never, context);
            expectThat(result && typeof result.ok === 'boolean', 'check() must return {ok: boolean, message?}');
            expectThat(result.ok, `check() failed: ${result.message ?? '(no message)'}`);
          } finally {
            context.dispose();
          }
        }),
    },
    ...fixtures.map((fixture) => ({
      name: `fixture ${fixture.name}: ${fixture.expected.error ? 'rejects the input' : 'loads the expected table contents'}${fixture.expected.description ? ` (${fixture.expected.description})` : ''}`,
      run: (ctx: DestinationSuiteContext) => checkFixture(ctx, fixture),
    })),
    {
      name: 'every STATE is yielded, in order, and only after the records before it are committed',
      run: async (ctx) =>
        ctx.withTarget(async (config) => {
          const readDuring = ctx.testConfig.readDuringWrite !== false;
          const yielded: unknown[] = [];
          const states = await ctx.write(config, keyedInput(), {}, async (value) => {
            yielded.push(value);
            if (!readDuring) return;
            const rows = await ctx.table(config, COMMIT_STREAM);
            const before = yielded.length * BATCH_ROWS;
            expectThat(
              rows.length >= before,
              `STATE #${yielded.length} was yielded when only ${rows.length} of the ${before} records before it were readable: state must follow the commit`,
            );
          });
          const inputStates: unknown[] = [];
          for await (const message of keyedInput()) if (message.type === 'STATE') inputStates.push(message.value);
          expectThat(states.length > 0, 'write() yielded no STATE at all; the runner could never save progress');
          expectThat(
            JSON.stringify(canonicalValue(states.at(-1))) === JSON.stringify(canonicalValue(inputStates.at(-1))),
            `the last STATE yielded (${stringifyExactJson(states.at(-1))}) is not the last STATE of the input (${stringifyExactJson(inputStates.at(-1))})`,
          );
          const order = states.map((s) =>
            inputStates.findIndex((i) => JSON.stringify(canonicalValue(i)) === JSON.stringify(canonicalValue(s))),
          );
          expectThat(
            order.every((index, i) => index >= 0 && (i === 0 || index > (order[i - 1] ?? -1))),
            `STATEs were yielded out of order or altered: ${stringifyExactJson(states)}`,
          );
          const diff = diffRows(await ctx.table(config, COMMIT_STREAM), keyedExpectedRows());
          expectThat(diff === undefined, () => `table "${COMMIT_STREAM}" after the load:\n${diff}`);
        }),
    },
    testConfig.appendOnly
      ? {
          name: 're-loading the same keyed input appends every record again (append-only destination)',
          run: async (ctx) =>
            ctx.withTarget(async (config) => {
              await ctx.write(config, keyedInput());
              await ctx.write(config, keyedInput());
              const diff = diffRows(await ctx.table(config, COMMIT_STREAM), [...keyedExpectedRows(), ...keyedExpectedRows()]);
              expectThat(diff === undefined, () => `after loading the same keyed records twice, each must be there twice:\n${diff}`);
            }),
        }
      : {
          name: 're-loading the same keyed input leaves the table unchanged (idempotent upsert)',
          run: async (ctx) =>
            ctx.withTarget(async (config) => {
              await ctx.write(config, keyedInput());
              await ctx.write(config, keyedInput());
              const diff = diffRows(await ctx.table(config, COMMIT_STREAM), keyedExpectedRows());
              expectThat(diff === undefined, () => `after loading the same keyed records twice:\n${diff}`);
            }),
        },
  ];
}
