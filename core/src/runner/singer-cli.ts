import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { selectedStreams, setMetadata, type Catalog } from '../catalog/catalog.js';
import { secretValues, validateConfig } from '../connector/config.js';
import type { ConnectorContext, Destination, Source } from '../connector/contract.js';
import { createLogger, redact } from '../connector/logger.js';
import { ConfigError, formatError } from '../errors.js';
import { parseExactJson, stringifyExactJson } from '../protocol/exact-json.js';
import { readSingerMessages } from '../protocol/reader.js';
import { writeSingerMessages } from '../protocol/writer.js';
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
    capabilities: connector.kind === 'source' ? ['catalog', 'discover', 'state', 'properties'] : ['about', 'stream-maps'],
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
Reads Singer messages on stdin; prints each STATE value on stdout once the data before it is committed.`;

/**
 * Runs a source as a standard Singer tap: `--config`, `--discover`, `--catalog`/`--properties`, `--state`,
 * `--about`. Messages go to stdout, logs to stderr. Exits non-zero with a clear message on failure.
 */
export async function runSourceCli(source: Source<never>, argv = process.argv.slice(2), packageInfo?: Record<string, unknown>): Promise<void> {
  let secrets: string[] = [];
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        discover: { type: 'boolean' },
        catalog: { type: 'string' },
        properties: { type: 'string' },
        state: { type: 'string' },
        about: { type: 'boolean' },
        format: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) return void (await writeLine(SOURCE_USAGE));
    if (values.about) return void (await writeLine(JSON.stringify(about(source, packageInfo), null, 2)));
    if (!values.config) throw new ConfigError('CONFIG_MISSING', '--config is required', { hint: SOURCE_USAGE });
    const config = validateConfig<never>(source.spec, await readJsonFile(values.config, 'config'), `source ${source.name}`);
    secrets = secretValues(source.spec, config);
    const controller = new AbortController();
    process.once('SIGTERM', () => controller.abort());
    const ctx: ConnectorContext = { logger: createLogger({ secrets, name: source.name }), signal: controller.signal };
    if (values.discover) return void (await writeLine(stringifyExactJson(await source.discover(config, ctx), 2)));
    const catalogPath = values.catalog ?? values.properties;
    const catalog = catalogPath ? ((await readJsonFile(catalogPath, 'catalog')) as Catalog) : await source.discover(config, ctx);
    if (!catalogPath) for (const stream of catalog.streams) setMetadata(stream, [], { selected: true });
    if (selectedStreams(catalog).length === 0) ctx.logger.warn('no stream is selected in the catalog: nothing to sync');
    const state = values.state ? toState(await readJsonFile(values.state, 'state')) : emptyState();
    await writeSingerMessages(source.read(config, catalog, state, ctx), process.stdout);
  } catch (error) {
    process.stderr.write(redact(`error: ${formatError(error)}`, secrets) + '\n');
    process.exitCode = 1;
  }
}

/**
 * Runs a destination as a standard Singer target: reads messages on stdin, enforcing the protocol,
 * and prints each STATE value on stdout once the destination committed the data before it.
 */
export async function runDestinationCli(destination: Destination<never>, argv = process.argv.slice(2), packageInfo?: Record<string, unknown>): Promise<void> {
  let secrets: string[] = [];
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        about: { type: 'boolean' },
        'no-validate': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) return void (await writeLine(DESTINATION_USAGE));
    if (values.about) return void (await writeLine(JSON.stringify(about(destination, packageInfo), null, 2)));
    if (!values.config) throw new ConfigError('CONFIG_MISSING', '--config is required', { hint: DESTINATION_USAGE });
    const config = validateConfig<never>(destination.spec, await readJsonFile(values.config, 'config'), `destination ${destination.name}`);
    secrets = secretValues(destination.spec, config);
    const controller = new AbortController();
    process.once('SIGTERM', () => controller.abort());
    const ctx = { logger: createLogger({ secrets, name: destination.name }), signal: controller.signal, streams: {} };
    const messages = readSingerMessages(process.stdin, { validateRecords: !values['no-validate'] });
    for await (const state of destination.write(config, messages, ctx)) await writeLine(stringifyExactJson(state.value));
  } catch (error) {
    process.stderr.write(redact(`error: ${formatError(error)}`, secrets) + '\n');
    process.exitCode = 1;
  }
}
