import { spawn, type ChildProcess } from 'node:child_process';
import type { Catalog } from '../catalog/catalog.js';
import { secretValues, type InterpolatedValue } from '../connector/config.js';
import type { CheckResult, ConnectorContext, Destination, Source } from '../connector/contract.js';
import { redactor, type LogLevel } from '../connector/logger.js';
import { ConnectorError } from '../errors.js';
import { parseExactJson, stringifyExactJson } from '../protocol/exact-json.js';
import type { JsonSchema } from '../protocol/json-schema.js';
import { readLines, readSourceMessages } from '../protocol/reader.js';
import type { StateMessage } from '../protocol/messages.js';
import { writeSingerMessages } from '../protocol/writer.js';
import { createPrivateTempDir, withPrivateTempDir, type PrivateTempDir } from './private-temp-dir.js';

export interface ExternalCommand {
  /** Executable on PATH or a path: `tap-github`, `/opt/venv/bin/target-jsonl`. */
  command: string;
  args?: string[];
  env?: Record<string, string>;
  /** Older taps take the catalog as `--properties`. */
  catalogFlag?: '--catalog' | '--properties';
  /**
   * The values `${VAR}` put into the config (a pipeline file's `ConnectorRef.interpolated`): never printed,
   * beside the settings whose names say credential (`password`, `token`, `api_key`, …).
   */
  interpolated?: readonly InterpolatedValue[];
}

/** External executables validate their own config; mage-int passes it through untouched. */
const OPEN_SPEC: JsonSchema = { type: 'object', additionalProperties: true };

// How Singer taps and targets mark their stderr lines: `ERROR msg` (singer-python), `2024-… | WARNING | tap | msg`
// (the Meltano SDK), `level=error msg=…`, `error: msg`, or an uncaught `requests.exceptions.HTTPError: 401 …`.
const LEVEL_WORD = /^(?:\[?[\d\-T:.,+Z ]{8,}\]?\s*\|?\s*)?\[?(CRITICAL|FATAL|ERROR|WARNING|WARN|INFO|DEBUG|TRACE)\]?(?=[\s:|]|$)/;
const LEVEL_PREFIX = /^(critical|fatal|error|warning|warn)\s*:/i;
const LEVEL_PAIR = /\blevel=["']?(critical|fatal|error|warning|warn|info|debug|trace)\b/i;
const UNCAUGHT = /^[A-Za-z_][\w.]*(Error|Exception): /;

/** The log level an external process meant for one of its stderr lines (info when it does not say). */
export function stderrLevel(line: string): LogLevel {
  const word = (LEVEL_WORD.exec(line)?.[1] ?? LEVEL_PREFIX.exec(line)?.[1] ?? LEVEL_PAIR.exec(line)?.[1])?.toLowerCase();
  if (word === 'critical' || word === 'fatal' || word === 'error') return 'error';
  if (word === 'warning' || word === 'warn') return 'warn';
  if (word === 'debug' || word === 'trace') return 'debug';
  if (word === undefined && UNCAUGHT.test(line)) return 'error';
  return 'info';
}

/**
 * Starts the executable. Its stderr is logged line by line at the level each line names, with the config's
 * secrets replaced by `***`; the last 20 lines, redacted the same way, end the error of a failed exit.
 */
function start(
  cmd: ExternalCommand,
  args: string[],
  ctx: ConnectorContext,
  dir: PrivateTempDir,
  hide: (text: string) => string,
): { child: ChildProcess; exited: Promise<void> } {
  const child = spawn(cmd.command, [...(cmd.args ?? []), ...args], {
    env: { ...process.env, ...cmd.env },
    stdio: ['pipe', 'pipe', 'pipe'],
    signal: ctx.signal,
  });
  dir.watch(child);
  const tail: string[] = [];
  const exited = new Promise<void>((resolve, reject) => {
    child.once('error', (error) =>
      reject(
        new ConnectorError('EXTERNAL_START_FAILED', `cannot run ${cmd.command}: ${error.message}`, {
          hint: 'is it installed and on PATH?',
          cause: error,
        }),
      ),
    );
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new ConnectorError(
            'EXTERNAL_FAILED',
            `${cmd.command} exited with ${signal ?? `code ${code}`}${tail.length ? `:\n${tail.join('\n')}` : ''}`,
          ),
        );
    });
  });
  exited.catch(() => {}); // observed by callers; avoid an unhandled rejection when they stop early
  void (async () => {
    for await (const [raw] of readLines(child.stderr!)) {
      const line = hide(raw);
      ctx.logger[stderrLevel(raw)](line);
      tail.push(line);
      if (tail.length > 20) tail.shift();
    }
  })().catch(() => {});
  return { child, exited };
}

/** Writes the config (0600, in a private directory) and starts the executable with `--config` pointing at it. */
async function startWithConfig(cmd: ExternalCommand, config: unknown, args: string[], ctx: ConnectorContext, dir: PrivateTempDir) {
  const hide = redactor(secretValues(OPEN_SPEC, config, cmd.interpolated));
  return start(cmd, ['--config', await dir.write('config.json', stringifyExactJson(config)), ...args], ctx, dir, hide);
}

/** A Source that runs any Singer tap executable as a subprocess. */
export function externalSource(cmd: ExternalCommand): Source<Record<string, unknown>> {
  return {
    kind: 'source',
    name: cmd.command,
    spec: OPEN_SPEC,
    async check(config, ctx): Promise<CheckResult> {
      try {
        await this.discover(config, ctx);
        return { ok: true };
      } catch (error) {
        return { ok: false, message: (error as Error).message, error };
      }
    },
    discover: (config, ctx) =>
      withPrivateTempDir(async (dir) => {
        const { child, exited } = await startWithConfig(cmd, config, ['--discover'], ctx, dir);
        const chunks: Buffer[] = [];
        for await (const chunk of child.stdout!) chunks.push(chunk as Buffer);
        await exited;
        return parseExactJson(Buffer.concat(chunks).toString('utf8')) as Catalog;
      }),
    read: (config, catalog, state, ctx) =>
      (async function* () {
        const dir = await createPrivateTempDir();
        try {
          const catalogFile = await dir.write('catalog.json', stringifyExactJson(catalog));
          const stateFile = await dir.write('state.json', stringifyExactJson(state));
          const { child, exited } = await startWithConfig(
            cmd,
            config,
            [cmd.catalogFlag ?? '--catalog', catalogFile, '--state', stateFile],
            ctx,
            dir,
          );
          try {
            yield* readSourceMessages(child.stdout!, { validateRecords: false });
            await exited;
          } finally {
            if (child.exitCode === null) child.kill('SIGTERM');
          }
        } finally {
          await dir.remove();
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
        const dir = await createPrivateTempDir();
        try {
          const { child, exited } = await startWithConfig(cmd, config, [], ctx, dir);
          // A target that dies early closes its stdin (EPIPE); its exit status and stderr say why, so that
          // error wins over the broken pipe. The listener also keeps EPIPE from becoming an uncaught error.
          child.stdin!.on('error', () => {});
          // When the source fails, the target is stopped (it would wait for more input forever) and the
          // source's error is the one reported.
          let sourceFailed: { error: unknown } | undefined;
          const watched = (async function* () {
            try {
              yield* messages;
            } catch (error) {
              sourceFailed = { error };
              throw error;
            }
          })();
          const feeding = writeSingerMessages(watched, child.stdin!).then(
            () => child.stdin!.end(),
            (error: unknown) => {
              if (sourceFailed) child.kill('SIGTERM');
              else throw error;
            },
          );
          feeding.catch(() => {});
          try {
            for await (const [line] of readLines(child.stdout!)) {
              if (line.trim() === '') continue;
              yield { type: 'STATE', value: parseExactJson(line) };
            }
            await feeding.catch(() => {});
            if (sourceFailed) throw sourceFailed.error;
            await exited;
            await feeding;
          } finally {
            if (child.exitCode === null) child.kill('SIGTERM');
          }
        } finally {
          await dir.remove();
        }
      })(),
  };
}
