// The scratch PostgreSQL and MySQL/MariaDB databases of the benches under bench/: connections (PGHOST/PGPORT/PGUSER,
// default 127.0.0.1:5432 postgres with trust; MYSQL_HOST/MYSQL_PORT/MYSQL_USER, default 127.0.0.1:3306 root) and the
// 10-column mixed table every full-table bench loads, so their figures compare the same rows.
import { execFileSync } from 'node:child_process';

export const PG = {
  host: process.env.PGHOST ?? '127.0.0.1',
  port: Number(process.env.PGPORT ?? 5432),
  user: process.env.PGUSER ?? 'postgres',
};
export const MY = {
  host: process.env.MYSQL_HOST ?? '127.0.0.1',
  port: Number(process.env.MYSQL_PORT ?? 3306),
  user: process.env.MYSQL_USER ?? 'root',
};

/** The environment for `psql` run from a shell pipeline (see `psqlConnection`); `utc` sets its session time zone. */
export function pgEnv({ utc = false } = {}) {
  return { ...process.env, PGHOST: PG.host, PGPORT: String(PG.port), PGUSER: PG.user, ...(utc ? { PGTZ: 'UTC' } : {}) };
}

/** psql's connection arguments for `database`, as one string for a shell pipeline. */
export function psqlConnection(database) {
  return `-X -q -h ${PG.host} -p ${PG.port} -U ${PG.user} -d ${database}`;
}

/** Runs `sql` in `database` with psql; returns its unaligned, tuples-only output. `utc` sets the session time zone. */
export function psql(database, sql, { utc = false } = {}) {
  return execFileSync(
    'psql',
    ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', PG.host, '-p', String(PG.port), '-U', PG.user, '-d', database, '-c', sql],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
      ...(utc ? { env: { ...process.env, PGTZ: 'UTC' } } : {}),
    },
  ).trim();
}

/** The mysql client's arguments: the connection, utf8mb4, tab-separated output without column names. */
export const MYSQL_ARGS = [
  '--default-character-set=utf8mb4',
  '-h',
  MY.host,
  '-P',
  String(MY.port),
  '-u',
  MY.user,
  '--batch',
  '--skip-column-names',
];

/** Runs `sql` with the mysql client (in `database` when given); returns its output. */
export function mysql(sql, database) {
  return execFileSync('mysql', [...MYSQL_ARGS, ...(database ? [database] : []), '-e', sql], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  }).trim();
}

/** The mixed table in PostgreSQL: numeric, float, integer, timestamptz, date, boolean, varchar, text, jsonb. */
export function createMixedTableSql(table) {
  return `CREATE TABLE ${table} (
       id bigint PRIMARY KEY, amount numeric(14,2) NOT NULL, ratio double precision, qty integer,
       created_at timestamptz NOT NULL, due_date date, active boolean, code varchar(32), name text, payload jsonb);`;
}

/** Rows `from`..`to` of the mixed table (text with quotes, newlines, tabs, backslashes and unicode; nested JSON). */
export function insertMixedRowsSql(table, from, to) {
  return `INSERT INTO ${table}
     SELECT g, (g * 7919 % 100000000) / 100.0, g / 7.0, (g % 1000)::int,
            timestamptz '2020-01-01 00:00:00+00' + g * interval '1.234567 second', date '2020-01-01' + (g % 3000)::int,
            g % 3 = 0, 'CODE-' || (g % 10000),
            CASE g % 4 WHEN 0 THEN 'plain name ' || g WHEN 1 THEN 'O''Brien said "hi", ' || g
                       WHEN 2 THEN E'multi\\nline\\ttab\\\\back ' || g ELSE 'ünïcödé 日本語 😀 ' || g END,
            jsonb_build_object('id', g, 'tags', jsonb_build_array('a', 'b', g % 10),
                               'nested', jsonb_build_object('x', ((g % 1000) / 8.0)::float8, 's', 'str "q" ' || g))
       FROM generate_series(${from}::bigint, ${to}) g;`;
}
