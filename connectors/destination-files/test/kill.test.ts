import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { checkKilledUpload, watchForStagingFile } from '@mage-int/files/testing';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const bin = join(packageDir, 'dist/bin.js');
const dir = mkdtempSync(join(tmpdir(), 'mage-dest-files-kill-'));
const root = join(dir, 'out');

describe('destination-files killed while it writes a file', () => {
  beforeAll(() => {
    if (!existsSync(bin)) execFileSync('npm', ['run', 'build'], { cwd: packageDir, stdio: 'ignore' });
  }, 180_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('leaves only a hidden staging file (no file under a final name) and releases no STATE; the rerun stores the whole file', async () => {
    await checkKilledUpload({
      bin,
      config: () => ({ root, format: 'jsonl' }),
      // Killed as soon as its hidden `.name.partial-<pid>` file exists: the rows are still being written into it.
      killDuringUpload: async (kill) => watchForStagingFile(root, kill),
      keys: async () =>
        (await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []))
          .filter((entry) => entry.isFile() && !entry.name.startsWith('.'))
          .map((entry) => join(entry.parentPath, entry.name).slice(root.length + 1)),
      read: (key) => readFile(join(root, key), 'utf8'),
    });
  });
});
