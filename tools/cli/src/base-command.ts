import { Command, Flags } from '@oclif/core';
import { describeError, exitCodeOf, renderError } from './cli-error.js';
import { EXIT } from './exit-codes.js';

/** Whether stack traces were asked for: `--debug`, or `DEBUG` / `MAGE_INT_DEBUG` set in the environment. */
export function debugRequested(argv: readonly string[]): boolean {
  const env = process.env['MAGE_INT_DEBUG'] ?? process.env['DEBUG'];
  return argv.includes('--debug') || (env !== undefined && env !== '' && env !== '0' && env !== 'false');
}

/**
 * What every mage-int command shares: `--debug`, and errors printed as `error: …` / `hint: …` with a
 * meaningful exit code (2 usage/config, 1 failure, 130 Ctrl-C) instead of oclif's stack-trace output.
 * A new command is one file in src/commands/ extending this class.
 */
export abstract class BaseCommand extends Command {
  static override baseFlags = {
    debug: Flags.boolean({ description: 'Print stack traces of errors (also: DEBUG=1 or MAGE_INT_DEBUG=1).', helpGroup: 'GLOBAL' }),
  };

  /** Values never to print (connector secrets), collected once a pipeline is loaded. */
  protected secrets: string[] = [];
  /** Set by commands with a `--json` flag so failures are also reported as JSON on stdout. */
  protected jsonOutput = false;

  /** Writes a line to stdout (results). */
  protected out(text: string): void {
    process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Writes a line to stderr (progress, notes). */
  protected note(text: string): void {
    process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  protected override async catch(error: Error & { exitCode?: number }): Promise<never> {
    if ((error as { code?: string }).code === 'EEXIT') throw error; // this.exit(): already handled
    const code = exitCodeOf(error);
    if (this.jsonOutput) {
      const { message, hint, code: errorCode } = describeError(error, this.id, this.secrets);
      this.out(JSON.stringify({ status: 'error', error: { code: errorCode ?? null, message, hint: hint ?? null }, exitCode: code }));
    }
    process.stderr.write(renderError(error, this.id, { debug: debugRequested(this.argv), secrets: this.secrets }) + '\n');
    this.exit(code === EXIT.ok ? EXIT.failure : code);
  }
}
