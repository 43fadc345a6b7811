import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { selectedStreams, setMetadata, type Catalog } from '../catalog/catalog.js';
import { secretValues, validateConfig } from '../connector/config.js';
import type { ConnectorContext, Destination, Source } from '../connector/contract.js';
import { createLogger, redact } from '../connector/logger.js';
import { ConfigError, formatError } from '../errors.js';
import { parseExactJson, stringifyExactJson } from '../protocol/exact-json.js';
import { readSourceMessages } from '../protocol/reader.js';
import { writeSingerMessages } from '../protocol/writer.js';
import { recordCount } from '../protocol/messages.js';
import { prefetch } from './prefetch.js';
import { DEFAULT_BUFFER_RECORDS } from './run-pipeline.js';
import { tuneHeapForStreaming } from './streaming-heap.js';
import { readStdin } from './threaded-stdin.js';
import { emptyState, toState } from '../state/state.js';

async function readJsonFile(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError('FILE_UNREADABLE', `cannot read ${what} file ${path}: ${(error as Error).message}`);
  }
  try {
    return parseExactJson(text);
  } catch (error) {
    throw new ConfigError('FILE_INVALID_JSON', `${what} file ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

async function writeLine(line: string): Promise<void> {
  if (!process.stdout.write(line + '\n')) await new Promise((resolve) => process.stdout.once('drain', resolve));
}

function about(connector: Source<never> | Destination<never>, packageInfo?: Record<string, unknown>): Record<string, unknown> {
  return {
    name: packageInfo?.['name'] ?? connector.name,
    version: packageInfo?.['version'],
    description: packageInfo?.['description'],
    kind: connector.kind,
    settings: connector.spec,
    // Stream maps run in mage-int-map (and in pipelines), not inside the connector executables.
    capabilities: connector.kind === 'source' ? ['catalog', 'discover', 'state', 'properties'] : ['about'],
  };
}

const SOURCE_USAGE = `usage: <tap> --config CONFIG [--discover | [--catalog CATALOG] [--state STATE]] | --about

  --config FILE     connector config (JSON)
  --discover        print the catalog and exit
  --catalog FILE    catalog with stream selection (alias: --properties)
  --state FILE      state to resume from
  --about           print the connector's description and config schema`;

const DESTINATION_USAGE = `usage: <target> --config CONFIG < singer-messages | --about

  --config FILE     connector config (JSON)
  --about           print the connector's description and config schema
Reads Singer messages on stdin; prints each STATE value on stdout once the data before it is committed.
Input that is not UTF-8 stops the target with its line and byte offset, unless the config says
"invalid_utf8": "replace" (bad bytes become U+FFFD).`;

type CliOptions = NonNullable<Parameters<typeof parseArgs>[0]>['options'];
type CliValues = Record<string, string | boolean | undefined>;

/**
 * The part every connector executable shares: parse flags, `--help`, `--about`, read and validate `--config`,
 * build a context whose logger redacts the config's secrets, run `body`, and turn any failure into
 * `error: …` on stderr with exit code 1.
 */
async function runConnectorCli<C extends Source<never> | Destination<never>>(
  connector: C,
  argv: string[],
  packageInfo: Record<string, unknown> | undefined,
  usage: string,
  options: CliOptions,
  body: (values: CliValues, config: never, ctx: ConnectorContext) => Promise<void>,
): Promise<void> {
  let secrets: string[] = [];
  // An executable holds a batch or two at a time: keep V8 from sizing its heap for far more.
  tuneHeapForStreaming();
  try {
    const { values } = parseArgs({
      args: argv,
      options: { ...options, config: { type: 'string' }, about: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) return void (await writeLine(usage));
    if (values.about) return void (await writeLine(JSON.stringify(about(connector, packageInfo), null, 2)));
    if (typeof values.config !== 'string') throw new ConfigError('CONFIG_MISSING', '--config is required', { hint: usage });
    const deprecated: string[] = [];
    const config = validateConfig<never>(
      connector.spec,
      await readJsonFile(values.config, 'config'),
      `${connector.kind} ${connector.name}`,
      (message) => deprecated.push(message),
    );
    secrets = secretValues(connector.spec, config);
    const controller = new AbortController();
    process.once('SIGTERM', () => controller.abort());
    const logger = createLogger({ secrets, name: connector.name });
    for (const message of deprecated) logger.warn(message);
    await body(values, config, { logger, signal: controller.signal });
  } catch (error) {
    process.stderr.write(redact(`error: ${formatError(error)}`, secrets) + '\n');
    process.exitCode = 1;
  }
}

/**
 * Runs a source as a standard Singer tap: `--config`, `--discover`, `--catalog`/`--properties`, `--state`,
 * `--about`. Messages go to stdout, logs to stderr. Exits non-zero with a clear message on failure.
 */
export async function runSourceCli(
  source: Source<never>,
  argv = process.argv.slice(2),
  packageInfo?: Record<string, unknown>,
): Promise<void> {
  const options: CliOptions = {
    discover: { type: 'boolean' },
    catalog: { type: 'string' },
    properties: { type: 'string' },
    state: { type: 'string' },
  };
  await runConnectorCli(source, argv, packageInfo, SOURCE_USAGE, options, async (values, config, ctx) => {
    if (values['discover']) return void (await writeLine(stringifyExactJson(await source.discover(config, ctx), 2)));
    const catalogPath = values['catalog'] ?? values['properties'];
    const catalog =
      typeof catalogPath === 'string' ? ((await readJsonFile(catalogPath, 'catalog')) as Catalog) : await source.discover(config, ctx);
    if (typeof catalogPath !== 'string') for (const stream of catalog.streams) setMetadata(stream, [], { selected: true });
    if (selectedStreams(catalog).length === 0) ctx.logger.warn('no stream is selected in the catalog: nothing to sync');
    const state = typeof values['state'] === 'string' ? toState(await readJsonFile(values['state'], 'state')) : emptyState();
    await writeSingerMessages(source.read(config, catalog, state, ctx), process.stdout);
  });
}

/**
 * Runs a destination as a standard Singer target: reads messages on stdin, enforcing the protocol,
 * and prints each STATE value on stdout once the destination committed the data before it.
 */
export async function runDestinationCli(
  destination: Destination<never>,
  argv = process.argv.slice(2),
  packageInfo?: Record<string, unknown>,
): Promise<void> {
  await runConnectorCli(
    destination,
    argv,
    packageInfo,
    DESTINATION_USAGE,
    { 'no-validate': { type: 'boolean' } },
    async (values, config, ctx) => {
      // Lines are parsed ahead while the destination waits on its database, as the runner does for a source.
      // `invalid_utf8` is a setting of every first-party destination's spec; without it the input must be UTF-8.
      const invalidUtf8 = (config as Record<string, unknown>)['invalid_utf8'] === 'replace' ? 'replace' : 'fail';
      // A destination reading RECORD lines itself parses few of them: the reader thread need not scan them for it.
      const recordLines = destination.readsRecordLines === true;
      const input = readSourceMessages(readStdin(undefined, !recordLines), {
        validateRecords: !values['no-validate'],
        invalidUtf8,
        recordLines,
      });
      const messages = prefetch(input, DEFAULT_BUFFER_RECORDS, (m) => recordCount(m) || 1);
      for await (const state of destination.write(config, messages, { ...ctx, streams: {} }))
        await writeLine(stringifyExactJson(state.value));
    },
  );
}
