import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type pg from 'pg';
import { ConfigError, type RecordData, type StreamSync } from '@mage-int/core';
import { S3Storage } from '@mage-int/files-s3';
import { authorizationClause, s3Authorization, s3StorageSettings } from '@mage-int/redshift';
import { quoteIdentifier, quoteLiteral, redshiftError } from './connection.js';
import type { TableSource } from './discover.js';
import type { ResolvedConfig } from './generated/config.js';
import { selectExpression, textValue, type RedshiftColumn } from './type-map.js';

/** The NULL marker UNLOAD writes (`NULL AS '\N'`), unquoted; every other value is text, quoted where CSV needs it. */
const NULL_MARKER = '\\N';

type UnloadConfig = NonNullable<ResolvedConfig['unload']>;

/** A CSV field with whether it was enclosed in quotes (an unquoted `\N` is NULL, a quoted one the text). */
interface Field {
  text: string;
  quoted: boolean;
}

/** Splits CSV text into records (RFC 4180: quotes doubled inside quoted fields, which may hold newlines). */
export function parseCsv(text: string): Field[][] {
  const records: Field[][] = [];
  let record: Field[] = [];
  let i = 0;
  while (i < text.length) {
    let field: Field;
    if (text[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quoted field in an UNLOAD file');
        if (text[i] === '"' && text[i + 1] === '"') {
          value += '"';
          i += 2;
        } else if (text[i] === '"') {
          i++;
          break;
        } else value += text[i++];
      }
      field = { text: value, quoted: true };
    } else {
      let end = i;
      while (end < text.length && text[end] !== ',' && text[end] !== '\n' && text[end] !== '\r') end++;
      field = { text: text.slice(i, end), quoted: false };
      i = end;
    }
    record.push(field);
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (text[i] === '\r') i++;
    if (text[i] === '\n' || i >= text.length) {
      records.push(record);
      record = [];
      i++;
    }
  }
  if (record.length > 0) records.push(record);
  return records;
}

async function gunzipText(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream.pipe(createGunzip())) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * FULL_TABLE through `UNLOAD ('SELECT …') TO 's3://…' … FORMAT AS CSV NULL AS '\N' GZIP PARALLEL ON`: the cluster's
 * slices write gzip CSV files in parallel (no result set through the leader node); the source reads them back from
 * S3, one batch at a time, and deletes them. Values are the same text the cursor path reads (SUPER as JSON, VARBYTE as
 * hex).
 */
export class Unloader {
  private readonly storage: S3Storage;
  private readonly run = randomBytes(6).toString('hex');

  constructor(
    private readonly client: pg.Client,
    private readonly config: UnloadConfig,
  ) {
    this.storage = new S3Storage(s3StorageSettings(config));
  }

  /** UNLOAD's authorization: the role, or the access keys. */
  private authorization(): string {
    const auth = s3Authorization(this.config);
    if (!auth)
      throw new ConfigError(
        'REDSHIFT_UNLOAD_CREDENTIALS',
        'UNLOAD needs `unload.iam_role`, or `unload.aws_access_key_id` and `unload.aws_secret_access_key`',
        { field: 'unload.iam_role' },
      );
    return authorizationClause(auth);
  }

  /** The UNLOAD statement of a table's selected columns into `folder` (under the storage prefix). */
  statement(source: TableSource, columns: readonly RedshiftColumn[], folder: string, authorization = this.authorization()): string {
    const select = `SELECT ${columns.map((c) => selectExpression(c, quoteIdentifier)).join(', ')} FROM ${quoteIdentifier(source.schema)}.${quoteIdentifier(source.table)}`;
    return [
      `UNLOAD (${quoteLiteral(select)})`,
      `TO ${quoteLiteral(`${this.storage.location}${folder}`)}`,
      authorization,
      `FORMAT AS CSV NULL AS '${NULL_MARKER}' GZIP PARALLEL ON ALLOWOVERWRITE REGION ${quoteLiteral(this.config.s3_region)}`,
    ].join('\n');
  }

  async *read(source: TableSource, columns: readonly RedshiftColumn[], batchSize: number, sync: StreamSync): AsyncGenerator<RecordData[]> {
    const folder = `mage-int-redshift-unload/${this.run}/${source.name}/`;
    try {
      sync.logger.info(`unloading ${source.schema}.${source.table} (${source.rows ?? '?'} rows) to ${this.storage.location}${folder}`);
      try {
        await this.client.query(this.statement(source, columns, folder));
      } catch (error) {
        throw redshiftError(error, `UNLOAD of ${source.schema}.${source.table}`);
      }
      const keys: string[] = [];
      for await (const file of this.storage.list(folder, sync.signal)) keys.push(file.key);
      let batch: RecordData[] = [];
      for (const key of keys.sort()) {
        const text = await gunzipText(await this.storage.read(key, sync.signal));
        for (const record of parseCsv(text)) {
          batch.push(
            Object.fromEntries(
              columns.map((c, i) => {
                const field = record[i] ?? { text: NULL_MARKER, quoted: false };
                return [c.name, textValue(c, !field.quoted && field.text === NULL_MARKER ? null : field.text)];
              }),
            ),
          );
          if (batch.length >= batchSize) {
            yield batch;
            batch = [];
          }
        }
      }
      if (batch.length > 0) yield batch;
    } finally {
      const left: string[] = [];
      for await (const file of this.storage.list(folder)) left.push(file.key);
      await this.storage
        .delete(left)
        .catch((error: unknown) => sync.logger.warn(`could not delete unloaded files: ${(error as Error).message}`));
    }
  }

  close(): Promise<void> {
    return this.storage.close();
  }
}
