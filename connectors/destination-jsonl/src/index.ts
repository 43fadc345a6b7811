/** @mage-int/destination-jsonl — one JSON Lines file per stream, exact numbers, durable before state. */
import { access, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defineDestination, DestinationClient, type CheckResult, type JsonSchema, type Logger, type StateMessage } from '@mage-int/core';
import spec from '../spec.json' with { type: 'json' };
import type { Config } from './generated/config.js';
import { settingsFrom, writeJsonl } from './write.js';

export type { Config as JsonlConfig } from './generated/config.js';
export { fileNameFor, safeFileStem } from './file-names.js';

const destination = defineDestination<Config>({
  kind: 'destination',
  name: 'jsonl',
  spec: spec as JsonSchema,
  async check(config): Promise<CheckResult> {
    const { directory } = settingsFrom(config);
    const probe = join(directory, `.mage-int-check-${process.pid}`);
    try {
      await mkdir(directory, { recursive: true });
      await writeFile(probe, 'ok');
      await access(probe);
      return { ok: true, message: `can write to ${directory}` };
    } catch (error) {
      return { ok: false, message: `cannot write to ${directory}: ${(error as Error).message}` };
    } finally {
      await rm(probe, { force: true }).catch(() => undefined);
    }
  },
  write(config, messages, ctx): AsyncIterable<StateMessage> {
    return writeJsonl(config, messages, ctx);
  },
});

export default destination;

/**
 * The programmatic API: `new Jsonl({config: {destination_path: 'out'}}).write(messages)` yields each STATE
 * once the records before it are on disk (see DestinationClient: config validated with defaults filled and
 * deprecated names moved, input checked by the Singer rules).
 */
export class Jsonl extends DestinationClient<Config> {
  constructor(options: { config: Config; logger?: Logger; signal?: AbortSignal }) {
    super(destination, options);
  }
}
