import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger, redact } from '../connector/logger.js';
import { secretValues } from '../connector/config.js';
import { ConfigError, formatError } from '../errors.js';
import { parseExactJson } from '../protocol/exact-json.js';
import type { JsonSchema } from '../protocol/json-schema.js';
import { recordCount } from '../protocol/messages.js';
import { readSourceMessages } from '../protocol/reader.js';
import { writeSingerMessages } from '../protocol/writer.js';
import { prefetch } from '../runner/prefetch.js';
import { DEFAULT_BUFFER_RECORDS } from '../runner/run-pipeline.js';
import { tuneHeapForStreaming } from '../runner/streaming-heap.js';
import { readStdin } from '../runner/threaded-stdin.js';
import { applyTransforms } from './apply-transforms.js';
import { loadTransformSteps, transformStages, type TransformStep } from './transform-steps.js';
import type { StreamMaps } from './stream-maps.js';

/** The mapper's config: Meltano's `stream_maps` / `stream_map_config`, and/or a list of pipeline-file transform steps. */
export const MAPPER_SPEC: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    stream_maps: { type: 'object', description: 'Meltano stream maps (see docs/transforms.md).' },
    stream_map_config: {
      type: 'object',
      description: "Values the expressions read as config['name'] (secret: never logged).",
      secret: true,
    },
    transforms: {
      type: 'array',
      description:
        'Transform steps as in a pipeline file (stream_maps, module, sql), applied after stream_maps; module paths relative to the config file.',
    },
  },
};

const USAGE = `usage: mage-int-map --config CONFIG < singer-messages > singer-messages | --about

  --config FILE     {"stream_maps": {...}, "stream_map_config": {...}} and/or {"transforms": [...]} (JSON)
  --about           print the mapper's description, capabilities and config schema
Reads Singer messages on stdin and writes them, mapped, on stdout: tap | mage-int-map --config maps.json | target.
STATE messages pass through unchanged and in order.`;

interface MapperConfig {
  stream_maps?: StreamMaps;
  stream_map_config?: Record<string, unknown>;
  transforms?: TransformStep[];
}

/** `mage-int-map`: stream maps (and other transforms) between any Singer tap and target. */
export async function runMapperCli(argv = process.argv.slice(2), packageInfo?: Record<string, unknown>): Promise<void> {
  let secrets: string[] = [];
  tuneHeapForStreaming();
  try {
    const { values } = parseArgs({
      args: argv,
      options: { config: { type: 'string' }, about: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) return void process.stdout.write(USAGE + '\n');
    if (values.about) {
      const about = {
        name: 'mage-int-map',
        version: packageInfo?.['version'],
        kind: 'mapper',
        settings: MAPPER_SPEC,
        capabilities: ['stream-maps'],
      };
      return void process.stdout.write(JSON.stringify(about, null, 2) + '\n');
    }
    if (typeof values.config !== 'string') throw new ConfigError('CONFIG_MISSING', '--config is required', { hint: USAGE });
    const path = resolve(values.config);
    let config: MapperConfig;
    try {
      config = parseExactJson(await readFile(path, 'utf8')) as MapperConfig;
    } catch (error) {
      throw new ConfigError('FILE_INVALID', `cannot read config file ${values.config}: ${(error as Error).message}`);
    }
    if (typeof config !== 'object' || config === null || (!config.stream_maps && !config.transforms)) {
      throw new ConfigError('MAPPER_CONFIG_EMPTY', `config file ${values.config} has neither stream_maps nor transforms`, { hint: USAGE });
    }
    secrets = secretValues(MAPPER_SPEC, config as Record<string, unknown>);
    const logger = createLogger({ secrets, name: 'mage-int-map' });
    const steps: TransformStep[] = [
      ...(config.stream_maps ? [{ stream_maps: config.stream_maps, stream_map_config: config.stream_map_config ?? {} }] : []),
      ...(await loadTransformSteps(config.transforms ?? [], dirname(path))),
    ];
    // Without a catalog the names are the messages' stream names.
    const stages = transformStages(steps, (stream) => [stream]);
    const input = prefetch(readSourceMessages(readStdin(), { validateRecords: false }), DEFAULT_BUFFER_RECORDS, (m) => recordCount(m) || 1);
    await writeSingerMessages(applyTransforms(input, stages), process.stdout);
    logger.debug('input ended');
  } catch (error) {
    process.stderr.write(redact(`error: ${formatError(error)}`, secrets) + '\n');
    process.exitCode = 1;
  }
}
