export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger that prefixes every line with `name` and redacts the same secrets. */
  child(name: string): Logger;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LoggerOptions {
  level?: LogLevel;
  /** Values that must never appear in output: passwords, tokens. Replaced by `***`. */
  secrets?: readonly string[];
  /** Where lines go; stderr by default, because stdout carries Singer messages. */
  write?: (line: string) => void;
  name?: string;
  json?: boolean;
}

/**
 * A function replacing every occurrence of a secret value by `***`, however short: also as it appears inside JSON
 * (`"pa\"ss"`) and URL-encoded (`p%40ss`, in a connection string). Longer secrets go first, so one containing
 * another is hidden whole.
 */
export function redactor(secrets: readonly string[]): (text: string) => string {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret === '') continue;
    forms.add(secret);
    forms.add(JSON.stringify(secret).slice(1, -1));
    forms.add(encodeURIComponent(secret));
  }
  const ordered = [...forms].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const form of ordered) if (out.includes(form)) out = out.split(form).join('***');
    return out;
  };
}

/** Replaces every occurrence of a secret value in `text` by `***` (see `redactor`). */
export function redact(text: string, secrets: readonly string[]): string {
  return secrets.length === 0 ? text : redactor(secrets)(text);
}

/** A logger writing one line per call to stderr, with secrets redacted. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const threshold = ORDER[options.level ?? (process.env['MAGE_INT_LOG_LEVEL'] as LogLevel | undefined) ?? 'info'] ?? 20;
  const hide = redactor(options.secrets ?? []);
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const prefix = options.name ? `[${options.name}] ` : '';
  const log = (level: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < threshold) return;
    const line = options.json
      ? JSON.stringify({ level, time: new Date().toISOString(), name: options.name, message, ...fields })
      : `${level.toUpperCase().padEnd(5)} ${prefix}${message}${fields && Object.keys(fields).length > 0 ? ' ' + JSON.stringify(fields, jsonSafe) : ''}`;
    write(hide(line));
  };
  return {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: (name) => createLogger({ ...options, name: options.name ? `${options.name}:${name}` : name }),
  };
}

function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** A logger that drops everything (tests, quiet mode). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};
