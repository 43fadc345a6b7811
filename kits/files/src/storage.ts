import type { Readable } from 'node:stream';

/** A file or object as a listing reports it. `key` is relative to the storage's root, `/`-separated. */
export interface FileInfo {
  key: string;
  size: number;
  modified: Date;
}

/**
 * What a place that holds files must offer the file layer: local directories and object stores (S3, Azure Blob,
 * GCS) alike. Keys are relative to the storage's root (a directory, or a bucket plus prefix).
 */
export interface Storage {
  /** Where it is, for messages: `/data/exports`, `s3://bucket/prefix`. Never holds a credential. */
  readonly location: string;
  /** Every file whose key starts with `prefix` (a folder prefix ends with `/`; `''` lists everything). */
  list(prefix: string, signal?: AbortSignal): AsyncIterable<FileInfo>;
  /** The file's size and last-modified time, or undefined when it does not exist. */
  stat(key: string): Promise<FileInfo | undefined>;
  /** The file's bytes, as stored (compressed files stay compressed). */
  read(key: string, signal?: AbortSignal): Promise<Readable>;
  /** A local path of the file when it already is one (DuckDB then reads it in place instead of from a copy). */
  localPath?(key: string): string;
  /**
   * Stores the local file `path` under `key`, atomically: until this resolves nothing is visible under `key`,
   * and a failed or killed call leaves nothing there either (a temp name then a rename; a multipart upload
   * completed only once every part is in).
   */
  putFile(key: string, path: string, signal?: AbortSignal): Promise<void>;
  /** A directory where the destination may stage files for `putFile` cheaply (beside the final name, for a rename). */
  stagingDirectory?(key: string): string;
  /**
   * Deletes the files under `keys`; a key that does not exist is no error. Object stores offer it (S3, GCS, Azure
   * Blob) for files that only pass through them, such as a warehouse's load files.
   */
  delete?(keys: readonly string[], signal?: AbortSignal): Promise<void>;
  /** Releases clients and sockets. */
  close?(): Promise<void>;
}
