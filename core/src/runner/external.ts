import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Catalog } from '../catalog/catalog.js';
import type { CheckResult, ConnectorContext, Destination, Source } from '../connector/contract.js';
import { ConnectorError } from '../errors.js';
import { parseExactJson, stringifyExactJson } from '../protocol/exact-json.js';
import type { JsonSchema } from '../protocol/json-schema.js';
import { readLines, readSourceMessages } from '../protocol/reader.js';
import type { StateMessage } from '../protocol/messages.js';
import { writeSingerMessages } from '../protocol/writer.js';

export interface ExternalCommand {
  /** Executable on PATH or a path: `tap-github`, `/opt/venv/bin/target-jsonl`. */
  command: string;
  args?: string[];
  env?: Record<string, string>;
  /** Older taps take the catalog as `--properties`. */
  catalogFlag?: '--catalog' | '--properties';
}

/** External executables validate their own config; mage-int passes it through untouched. */
const OPEN_SPEC: JsonSchema = { type: 'object', additionalProperties: true };

async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'mage-int-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function start(cmd: ExternalCommand, args: string[], ctx: ConnectorContext): { child: ChildProcess; exited: Promise<void> } {
  const child = spawn(cmd.command, [...(cmd.args ?? []), ...args], {
    env: { ...process.env, ...cmd.env },
    stdio: ['pipe', 'pipe', 'pipe'],
    signal: ctx.signal,
  });
  const tail: string[] = [];
  const exited = new Promise<void>((resolve, reject) => {
    child.once('error', (error) =>
      reject(new ConnectorError('EXTERNAL_START_FAILED', `cannot run ${cmd.command}: ${error.message}`, { hint: 'is it installed and on PATH?', cause: error })),
    );
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new ConnectorError('EXTERNAL_FAILED', `${cmd.command} exited with ${signal ?? `code ${code}`}${tail.length ? `:\n${tail.join('\n')}` : ''}`));
    });
  });
  exited.catch(() => {}); // observed by callers; avoid an unhandled rejection when they stop early
  void (async () => {
    for await (const [line] of readLines(child.stderr!)) {
      ctx.logger.info(line);
      tail.push(line);
      if (tail.length > 20) tail.shift();
    }
  })().catch(() => {});
  return { child, exited };
}

/** A Source that runs any Singer tap executable as a subprocess. */
export function externalSource(cmd: ExternalCommand): Source<Record<string, unknown>> {
  const run = async (config: unknown, args: string[], ctx: ConnectorContext, dir: string) => {
    await writeFile(join(dir, 'config.json'), stringifyExactJson(config));
    return start(cmd, ['--config', join(dir, 'config.json'), ...args], ctx);
  };
  return {
    kind: 'source',
    name: cmd.command,
    spec: OPEN_SPEC,
    async check(config, ctx): Promise<CheckResult> {
      try {
        await this.discover(config, ctx);
        return { ok: true };
      } catch (error) {
        return { ok: false, message: (error as Error).message };
      }
    },
    discover: (config, ctx) =>
      withTempDir(async (dir) => {
        const { child, exited } = await run(config, ['--discover'], ctx, dir);
        const chunks: Buffer[] = [];
        for await (const chunk of child.stdout!) chunks.push(chunk as Buffer);
        await exited;
        return parseExactJson(Buffer.concat(chunks).toString('utf8')) as Catalog;
      }),
    read: (config, catalog, state, ctx) =>
      (async function* () {
        const dir = await mkdtemp(join(tmpdir(), 'mage-int-'));
        try {
          await writeFile(join(dir, 'catalog.json'), stringifyExactJson(catalog));
          await writeFile(join(dir, 'state.json'), stringifyExactJson(state));
          const { child, exited } = await run(config, [cmd.catalogFlag ?? '--catalog', join(dir, 'catalog.json'), '--state', join(dir, 'state.json')], ctx, dir);
          try {
            yield* readSourceMessages(child.stdout!, { validateRecords: false });
            await exited;
          } finally {
            if (child.exitCode === null) child.kill('SIGTERM');
          }
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      })(),
  };
}

/** A Destination that runs any Singer target executable as a subprocess, feeding it on stdin. */
export function externalDestination(cmd: ExternalCommand): Destination<Record<string, unknown>> {
  return {
    kind: 'destination',
    name: cmd.command,
    spec: OPEN_SPEC,
    async check(): Promise<CheckResult> {
      return { ok: true, message: 'external targets are checked when they run' };
    },
    write: (config, messages, ctx) =>
      (async function* (): AsyncGenerator<StateMessage> {
        const dir = await mkdtemp(join(tmpdir(), 'mage-int-'));
        try {
          await writeFile(join(dir, 'config.json'), stringifyExactJson(config));
          const { child, exited } = start(cmd, ['--config', join(dir, 'config.json')], ctx);
          // A target that dies early closes its stdin (EPIPE); its exit status and stderr say why, so that
          // error wins over the broken pipe. The listener also keeps EPIPE from becoming an uncaught error.
          child.stdin!.on('error', () => {});
          const feeding = writeSingerMessages(messages, child.stdin!).then(() => child.stdin!.end());
          feeding.catch(() => {});
          try {
            for await (const [line] of readLines(child.stdout!)) {
              if (line.trim() === '') continue;
              yield { type: 'STATE', value: parseExactJson(line) };
            }
            await exited;
            await feeding;
          } finally {
            if (child.exitCode === null) child.kill('SIGTERM');
          }
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      })(),
  };
}
