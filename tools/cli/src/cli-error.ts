import { formatError, MageError, redact } from '@mage-int/core';
import { Errors } from '@oclif/core';
import { EXIT } from './exit-codes.js';

/** Thrown when the user stopped a command with Ctrl-C. */
export class InterruptedError extends MageError {
  constructor(message: string, hint?: string) {
    super('INTERRUPTED', message, { hint });
  }
}

function hasClassNamed(error: unknown, name: string): boolean {
  // Name-based so a second copy of @mage-int/core (a connector with its own) still classifies right.
  for (let proto: unknown = error; proto; proto = Object.getPrototypeOf(proto)) {
    if ((proto as { constructor?: { name?: string } }).constructor?.name === name) return true;
  }
  return false;
}

/** The exit code an error stands for: 2 for usage and config errors, 130 for Ctrl-C, 1 otherwise. */
export function exitCodeOf(error: unknown): number {
  if (hasClassNamed(error, 'InterruptedError')) return EXIT.interrupted;
  if (hasClassNamed(error, 'ConfigError')) return EXIT.usage;
  if (error instanceof Errors.CLIError) return error.oclif.exit ?? EXIT.usage;
  return EXIT.failure;
}

/** An oclif command-line parse error (unknown flag, missing argument, bad option value). */
function isParseError(error: unknown): error is Errors.CLIError & { parse: unknown } {
  return error instanceof Errors.CLIError && 'parse' in error;
}

/** What `error:` and `hint:` lines say for an error; secrets are replaced by `***`. */
export function describeError(
  error: unknown,
  commandId: string | undefined,
  secrets: readonly string[] = [],
): { message: string; hint?: string; code?: string } {
  if (isParseError(error)) {
    let message = error.message.replace(/\n*See more help with --help\s*$/, '').trim();
    // oclif lists flag-relationship problems under a heading, one per line: make it one readable line.
    const listed = /^The following errors? occurred:\n([\s\S]*)$/.exec(message);
    if (listed?.[1])
      message = listed[1]
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean)
        .join('; ');
    return {
      message,
      hint: `run \`mage-int ${commandId ? `${commandId.replace(/:/g, ' ')} ` : ''}--help\` for usage and examples`,
      code: 'USAGE',
    };
  }
  if (error instanceof MageError || hasClassNamed(error, 'MageError')) {
    const mage = error as MageError;
    return {
      message: redact(mage.message, secrets),
      hint: mage.hint === undefined ? undefined : redact(mage.hint, secrets),
      code: mage.code,
    };
  }
  return { message: redact(formatError(error), secrets) };
}

/** The text printed for an error: `error: …` then `hint: …`; the stack only when debugging. */
export function renderError(
  error: unknown,
  commandId: string | undefined,
  options: { debug: boolean; secrets?: readonly string[] },
): string {
  const { message, hint } = describeError(error, commandId, options.secrets);
  const lines = [`error: ${message}`];
  if (hint) lines.push(`hint: ${hint}`);
  if (options.debug && error instanceof Error && error.stack) {
    lines.push('', redact(error.stack, options.secrets ?? []));
    for (let cause = error.cause; cause instanceof Error; cause = cause.cause)
      lines.push(`caused by: ${redact(cause.stack ?? cause.message, options.secrets ?? [])}`);
  } else if (!options.debug && exitCodeOf(error) === EXIT.failure && !(error instanceof MageError)) {
    lines.push('(run again with --debug for the stack trace)');
  }
  return lines.join('\n');
}
