import type { Transform } from 'node:stream';
import { createGunzip, createGzip, createZstdCompress, createZstdDecompress } from 'node:zlib';

export type Compression = 'none' | 'gzip' | 'zstd';
/** A setting: a compression, or `auto` (from the file name's extension). */
export type CompressionSetting = Compression | 'auto';

const EXTENSIONS: Record<string, Compression> = { '.gz': 'gzip', '.gzip': 'gzip', '.zst': 'zstd', '.zstd': 'zstd' };

/** The compression of a file: the setting, or by extension when `auto`. */
export function compressionOf(key: string, setting: CompressionSetting = 'auto'): Compression {
  if (setting !== 'auto') return setting;
  const ext = /\.[^./]+$/.exec(key)?.[0]?.toLowerCase() ?? '';
  return EXTENSIONS[ext] ?? 'none';
}

/** The key without its compression extension (`a.csv.gz` → `a.csv`), to find the format. */
export function stripCompressionExtension(key: string): string {
  return key.replace(/\.(gz|gzip|zst|zstd)$/i, '');
}

/** The extension a compressed file gets. */
export function compressionExtension(compression: Compression): string {
  return compression === 'gzip' ? '.gz' : compression === 'zstd' ? '.zst' : '';
}

export function decompressor(compression: Compression): Transform | undefined {
  if (compression === 'gzip') return createGunzip();
  if (compression === 'zstd') return createZstdDecompress();
  return undefined;
}

export function compressor(compression: Compression): Transform | undefined {
  if (compression === 'gzip') return createGzip();
  if (compression === 'zstd') return createZstdCompress();
  return undefined;
}
