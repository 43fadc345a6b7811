import { spawn } from 'node:child_process';
import type { ConnectorContext, Destination } from '../connector/contract.js';
import { ConfigError, MageError } from '../errors.js';
import { readLines } from '../protocol/reader.js';

/** SQL run in the destination after the last commit (`after_load: - sql:`). */
export interface AfterLoadSql {
  sql: string;
  name?: string;
}

/** A command run after the last commit (`after_load: - command:`): argv (no shell) or one shell line. */
export interface AfterLoadCommand {
  command: string | string[];
  /** Added to the pipeline's environment. */
  env?: Record<string, string>;
  /** Working directory (a pipeline file's steps run in the file's directory). */
  cwd?: string;
  name?: string;
}

export type AfterLoadStep = AfterLoadSql | AfterLoadCommand;

/** An after-load step failed; the data and the state before it are committed. */
export class AfterLoadError extends MageError {}

const KEPT_LINES = 20;

/** Refuses, before any data moves, `sql:` steps the destination cannot run. */
export function checkAfterLoad(steps: readonly AfterLoadStep[], destination: Destination<never>): void {
  if (steps.some((s) => 'sql' in s) && !destination.execute) {
    throw new ConfigError('AFTER_LOAD_SQL_UNSUPPORTED', `destination ${destination.name} cannot run after_load sql: steps`, {
      hint: 'use a command: step (a database client, dbt) instead; destinations that run SQL: postgres, duckdb',
    });
  }
}

function describe(step: AfterLoadStep, i: number): string {
  if (step.name) return step.name;
  return 'sql' in step
    ? `after_load #${i + 1} (sql)`
    : `after_load #${i + 1} (${Array.isArray(step.command) ? step.command.join(' ') : step.command})`;
}

/**
 * Runs the steps in order after the last commit: SQL through `destination.execute`, commands with the pipeline's
 * environment, their output logged line by line (the logger redacts secrets). The first failure stops the rest.
 */
export async function runAfterLoad(
  steps: readonly AfterLoadStep[],
  destination: Destination<never>,
  config: unknown,
  ctx: ConnectorContext,
  redact: (text: string) => string = (text) => text,
): Promise<void> {
  for (const [i, step] of steps.entries()) {
    const name = describe(step, i);
    ctx.logger.info(`${name}: running`);
    if ('sql' in step) {
      try {
        await destination.execute!(config as never, step.sql, ctx);
      } catch (error) {
        throw new AfterLoadError(
          'AFTER_LOAD_SQL_FAILED',
          redact(`${name} failed in destination ${destination.name}: ${(error as Error).message}`),
          {
            cause: error,
            hint: 'the loaded data and its state are committed; fix the SQL and run again',
          },
        );
      }
    } else await runCommand(step, name, ctx, redact);
  }
}

async function runCommand(step: AfterLoadCommand, name: string, ctx: ConnectorContext, redact: (text: string) => string): Promise<void> {
  const shell = typeof step.command === 'string';
  const [file, ...args] = shell ? [step.command as string] : (step.command as string[]);
  if (!file) throw new ConfigError('AFTER_LOAD_COMMAND_EMPTY', `${name}: command is empty`);
  const child = spawn(file, args, {
    cwd: step.cwd,
    env: { ...process.env, ...step.env },
    shell,
    stdio: ['ignore', 'pipe', 'pipe'],
    signal: ctx.signal,
  });
  const last: string[] = [];
  const keep = (line: string) => {
    last.push(redact(line));
    if (last.length > KEPT_LINES) last.shift();
  };
  const log = ctx.logger.child(name);
  const pump = async (stream: NodeJS.ReadableStream, write: (line: string) => void) => {
    for await (const [line] of readLines(stream as AsyncIterable<Buffer>)) {
      keep(line);
      write(line);
    }
  };
  const exited = new Promise<number | string>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  try {
    const [code] = await Promise.all([exited, pump(child.stdout!, (l) => log.info(l)), pump(child.stderr!, (l) => log.warn(l))]);
    if (code !== 0) {
      throw new AfterLoadError(
        'AFTER_LOAD_COMMAND_FAILED',
        `${name} exited with ${typeof code === 'number' ? `code ${code}` : `signal ${code}`}${last.length ? `; last output:\n${last.join('\n')}` : ''}`,
        {
          hint: 'the loaded data and its state are committed; fix the command and run again',
        },
      );
    }
  } catch (error) {
    if (error instanceof AfterLoadError) throw error;
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new AfterLoadError(
      'AFTER_LOAD_COMMAND_FAILED',
      `${name} could not run: ${missing ? `${file} is not found` : (error as Error).message}`,
      {
        cause: error,
        hint: missing ? 'install it or put it on PATH' : 'the loaded data and its state are committed',
      },
    );
  }
}
