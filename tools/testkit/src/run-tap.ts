import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How a Singer tap process ended: its exit code and what it wrote. */
export interface TapRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a connector's Singer executable (`dist/bin.js`, built first when missing) with `config` written to a
 * temporary file, at debug log level: `--config <file>` plus `args`. Asynchronous, so a stand-in served from
 * the calling process keeps answering.
 */
export async function runTap(packageDir: string, config: Record<string, unknown>, args: readonly string[] = []): Promise<TapRun> {
  const bin = join(packageDir, 'dist/bin.js');
  if (!existsSync(bin)) execFileSync('npm', ['run', 'build'], { cwd: packageDir, stdio: 'ignore' });
  const dir = mkdtempSync(join(tmpdir(), 'mage-int-tap-'));
  const path = join(dir, 'config.json');
  writeFileSync(path, JSON.stringify(config));
  try {
    return await new Promise((resolve) => {
      execFile(
        process.execPath,
        [bin, '--config', path, ...args],
        { env: { ...process.env, MAGE_INT_LOG_LEVEL: 'debug' } },
        (error, stdout, stderr) => {
          resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
        },
      );
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
