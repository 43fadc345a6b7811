// The MariaDB (or MySQL) the tests load into, and a reader that gives table rows back as exact plain values.
import mysql from 'mysql2/promise';
import { Decimal, parseExactJson } from '@mage-int/core';

export const SERVER = {
  host: process.env['MYSQL_HOST'] ?? '127.0.0.1',
  port: Number(process.env['MYSQL_PORT'] ?? 3306),
  username: process.env['MYSQL_USER'] ?? 'root',
  ...(process.env['MYSQL_PASSWORD'] ? { password: process.env['MYSQL_PASSWORD'] } : {}),
};

let counter = 0;

/** A database name of its own for one test (other test files and helpers share the server). */
export function uniqueDatabase(prefix = 'mage_mysql_dst'): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${++counter}`;
}

export async function withServer<T>(fn: (client: mysql.Connection) => Promise<T>, database?: string): Promise<T> {
  const client = await mysql.createConnection({
    host: SERVER.host,
    port: SERVER.port,
    user: SERVER.username,
    ...(SERVER.password ? { password: SERVER.password } : {}),
    ...(database ? { database } : {}),
    timezone: 'Z',
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    charset: 'UTF8MB4_BIN',
  });
  try {
    await client.query(`SET time_zone = '+00:00'`);
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function dropDatabase(database: string): Promise<void> {
  await withServer(async (client) => void (await client.query(`DROP DATABASE IF EXISTS \`${database}\``)));
}

/**
 * A table's rows as the comparison wants them: decimals exact (Decimal), integers as text, booleans
 * (tinyint(1)) as booleans, bytes as Buffers, JSON parsed exactly, times without trailing zeros.
 * Undefined when the table does not exist.
 */
export async function readRows(database: string, table: string): Promise<Record<string, unknown>[] | undefined> {
  return withServer(async (client) => {
    const [columns] = (await client.query(
      'SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type, DATA_TYPE AS dataType FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
      [database, table],
    )) as unknown as [{ name: string; type: string; dataType: string }[]];
    if (columns.length === 0) return undefined;
    const [checks] = (await client
      .query('SELECT CHECK_CLAUSE AS clause FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?', [
        database,
        table,
      ])
      .catch(() => [[]])) as unknown as [{ clause: string }[]];
    const json = new Set(checks.map((c) => /json_valid\(`(.+)`\)/i.exec(c.clause)?.[1]));
    const select = columns
      .map((c) =>
        c.dataType.includes('geometry') || c.dataType === 'point' ? `ST_AsText(\`${c.name}\`) AS \`${c.name}\`` : `\`${c.name}\``,
      )
      .join(', ');
    const [rows] = (await client.query({
      sql: `SELECT ${select} FROM \`${database}\`.\`${table}\``,
      typeCast: (field, next) =>
        field.type === 'BLOB' || field.type === 'VAR_STRING' || field.type === 'STRING' || field.type === 'BIT' ? field.buffer() : next(),
    })) as unknown as [Record<string, unknown>[]];
    return rows.map((row) => {
      const out: Record<string, unknown> = {};
      for (const c of columns) {
        let value = row[c.name];
        if (value === null || value === undefined) {
          out[c.name] = null;
          continue;
        }
        const binary = /binary|blob/.test(c.dataType);
        if (Buffer.isBuffer(value) && !binary && c.dataType !== 'bit') value = value.toString('utf8');
        if (c.dataType === 'json' || json.has(c.name)) value = parseExactJson(String(value));
        else if (c.type === 'tinyint(1)') value = String(value) !== '0';
        else if (c.dataType === 'decimal') value = new Decimal(String(value));
        else if (c.dataType === 'double' || c.dataType === 'float') value = Number(value);
        else if (c.dataType === 'time')
          value = String(value)
            .replace(/(\.\d*?)0+$/, '$1')
            .replace(/\.$/, '');
        else if (c.dataType === 'bit') value = BigInt(`0x${(value as Buffer).toString('hex') || '0'}`).toString();
        out[c.name] = value;
      }
      return out;
    });
  }, database);
}
