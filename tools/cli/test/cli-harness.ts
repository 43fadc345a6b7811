import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const PACKAGE_DIR = join(here, '..');
export const CLI = join(PACKAGE_DIR, 'bin', 'run.js');
export const WORKSPACE = join(PACKAGE_DIR, '..', '..');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

/** The environment a user's shell would give the CLI: no test-runner variables (NODE_ENV=test changes oclif). */
export function cliEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key === 'NODE_ENV' || key.startsWith('VITEST') || key === 'DEBUG' || key === 'MAGE_INT_DEBUG' || key === 'NODE_OPTIONS') continue;
    env[key] = value;
  }
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** Starts the built CLI (`node bin/run.js …`) as a child process. */
export function startCli(args: readonly string[], options: CliOptions = {}): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? PACKAGE_DIR,
    env: cliEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs the built CLI to completion and collects its output. */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const child = startCli(args, options);
  return collect(child, options.timeoutMs ?? 60_000);
}

export function collect(child: ChildProcess, timeoutMs = 60_000): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`CLI did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/**
 * A fresh directory inside the package (test/.tmp/), so pipelines written there resolve connectors through
 * the workspace's node_modules exactly as a user's project resolves its installed ones.
 */
export function workDir(prefix: string): { dir: string; remove(): void } {
  const base = join(PACKAGE_DIR, 'test', '.tmp');
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, `${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Fails early, with the command to run, when the CLI was never built. (No mtime comparison with src/: nx
 * restores cached build outputs with their original times, so a fresh clone's dist/ can look older.)
 */
export function assertBuilt(): void {
  try {
    statSync(join(PACKAGE_DIR, 'dist', 'commands', 'run.js'));
  } catch {
    throw new Error(`the CLI is not built: run \`npm run build\` in ${relative(process.cwd(), WORKSPACE) || '.'} first`);
  }
}

/** True when the workspace holds (and has built) a connector package. */
export function connectorBuilt(name: string): boolean {
  try {
    return statSync(join(WORKSPACE, 'connectors', name, 'dist', 'index.js')).isFile();
  } catch {
    return false;
  }
}
