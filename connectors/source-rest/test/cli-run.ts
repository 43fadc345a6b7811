import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const WORKSPACE = join(here, '..', '..', '..');
const CLI = join(WORKSPACE, 'tools', 'cli', 'bin', 'run.js');

/** Fails early, with the command to run, when the CLI or this package was never built. */
export function assertBuilt(): void {
  for (const file of [join(WORKSPACE, 'tools', 'cli', 'dist', 'commands', 'run.js'), join(here, '..', 'dist', 'index.js')]) {
    try {
      statSync(file);
    } catch {
      throw new Error(`${file} is missing: run \`npm run build\` at the workspace root first`);
    }
  }
}

/** A directory inside this package, so pipelines written there find the workspace's connectors as a project finds its own. */
export function workDir(prefix: string): { dir: string; remove(): void } {
  const base = join(here, '.tmp');
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, `${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts `mage-int …` (the built CLI) with a user's environment plus `env`. */
export function startCli(
  args: readonly string[],
  cwd: string,
  env: Record<string, string> = {},
): { child: ChildProcess; done: Promise<CliResult> } {
  const clean: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env))
    if (key !== 'NODE_ENV' && !key.startsWith('VITEST') && key !== 'NODE_OPTIONS') clean[key] = value;
  const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the CLI did not finish within 90 s\n${stderr}`));
    }, 90_000);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, done };
}
