/** @mage-int/destination-jsonl — one JSON Lines file per stream, exact numbers, durable before state. */
import { access, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  defineDestination,
  silentLogger,
  validateConfig,
  type CheckResult,
  type JsonSchema,
  type SourceMessage,
  type StateMessage,
  type WriteContext,
} from '@mage-int/core';
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

function defaultContext(): WriteContext {
  return { logger: silentLogger, signal: new AbortController().signal, streams: {} };
}

/**
 * The programmatic API: `new Jsonl({config: {destination_path: 'out'}}).write(messages)` yields each STATE
 * once the records before it are on disk. Config is validated (and defaults filled) on construction.
 */
export class Jsonl {
  readonly config: Config;

  constructor({ config }: { config: Config }) {
    this.config = validateConfig<Config>(destination.spec, config, 'destination jsonl');
  }

  check(ctx: WriteContext = defaultContext()): Promise<CheckResult> {
    return destination.check(this.config, ctx);
  }

  write(messages: AsyncIterable<SourceMessage>, ctx: WriteContext = defaultContext()): AsyncIterable<StateMessage> {
    return destination.write(this.config, messages, ctx);
  }
}
