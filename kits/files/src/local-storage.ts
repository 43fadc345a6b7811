import { createReadStream } from 'node:fs';
import { copyFile, mkdir, open, opendir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import type { FileInfo, Storage } from './storage.js';

/** Names the file layer stages under: hidden, so listings (ours and most tools') pass over them. */
export function isStagingName(name: string): boolean {
  return name.startsWith('.');
}

/** fsync a file or directory. */
export async function syncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Files under a local directory. Keys are paths relative to it with `/`; hidden files and folders are not listed. */
export class LocalStorage implements Storage {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  get location(): string {
    return this.root;
  }

  localPath(key: string): string {
    const path = resolve(this.root, ...key.split('/'));
    if (path !== this.root && !path.startsWith(this.root + sep)) throw new Error(`key "${key}" leaves ${this.root}`);
    return path;
  }

  async *list(prefix: string): AsyncIterable<FileInfo> {
    // Walk from the deepest folder the prefix names; the rest of the prefix filters names.
    const folder = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    yield* this.walk(this.localPath(folder), prefix);
  }

  private async *walk(dir: string, prefix: string): AsyncGenerator<FileInfo> {
    let handle;
    try {
      handle = await opendir(dir);
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT' || (error as { code?: string }).code === 'ENOTDIR') return;
      throw error;
    }
    const entries: { name: string; dir: boolean }[] = [];
    for await (const entry of handle) {
      if (isStagingName(entry.name)) continue;
      if (entry.isDirectory() || entry.isFile()) entries.push({ name: entry.name, dir: entry.isDirectory() });
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      const key = relative(this.root, path).split(sep).join('/');
      if (entry.dir) {
        if (prefix.startsWith(key + '/') || (key + '/').startsWith(prefix)) yield* this.walk(path, prefix);
      } else if (key.startsWith(prefix)) {
        const info = await stat(path).catch(() => undefined);
        if (info) yield { key, size: info.size, modified: info.mtime };
      }
    }
  }

  async stat(key: string): Promise<FileInfo | undefined> {
    const info = await stat(this.localPath(key)).catch(() => undefined);
    return info?.isFile() ? { key, size: info.size, modified: info.mtime } : undefined;
  }

  async read(key: string): Promise<Readable> {
    return createReadStream(this.localPath(key));
  }

  stagingDirectory(key: string): string {
    return dirname(this.localPath(key));
  }

  /** Copies (or, from the staging directory, renames) `path` to a hidden name, fsyncs it, renames it into place. */
  async putFile(key: string, path: string): Promise<void> {
    const target = this.localPath(key);
    const dir = dirname(target);
    await mkdir(dir, { recursive: true });
    let staged = path;
    if (dirname(resolve(path)) !== dir) {
      staged = join(dir, `.${key.split('/').pop()}.partial-${process.pid}`);
      await copyFile(path, staged);
    }
    try {
      await syncPath(staged);
      await rename(staged, target);
      await syncPath(dir);
    } catch (error) {
      if (staged !== path) await rm(staged, { force: true });
      throw error;
    }
  }
}
