#!/usr/bin/env node
// Prints what a pipeline loaded into a DuckDB file: each table's row count and three sample rows.
//   node examples/quickstart/show.mjs examples/quickstart/quickstart.duckdb
import { existsSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

const SAMPLE_ROWS = 3;
const path = process.argv[2];
if (!path) {
  console.error('usage: node show.mjs <database.duckdb>');
  process.exit(2);
}
if (!existsSync(path)) {
  console.error(`no DuckDB file at ${path}: run the pipeline first (bash scripts/dev.sh quickstart)`);
  process.exit(1);
}

const quote = (name) => `"${name.replaceAll('"', '""')}"`;

/** One value as a person reads it: numbers and decimals bare, text and timestamps quoted, NULL as null. */
function show(value) {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'bigint' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  const text = String(value); // DuckDB values (DECIMAL, TIMESTAMP, …) print in SQL form
  return /^-?\d+(\.\d+)?$/.test(text) ? text : JSON.stringify(text);
}

const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
const connection = await instance.connect();
try {
  const tables = (
    await connection.runAndReadAll(
      `SELECT table_schema, table_name FROM information_schema.tables
       WHERE table_catalog = current_database() AND table_type = 'BASE TABLE'
       ORDER BY table_schema, table_name`,
    )
  ).getRowObjects();
  if (tables.length === 0) console.log(`${path} has no tables`);
  for (const { table_schema: schema, table_name: table } of tables) {
    const qualified = `${quote(schema)}.${quote(table)}`;
    const count = (await connection.runAndReadAll(`SELECT count(*) AS n FROM ${qualified}`)).getRowObjects()[0].n;
    console.log(`${schema === 'main' ? table : `${schema}.${table}`}: ${count} rows`);
    // The first rows by the first column (the key, for tables a pipeline created).
    const rows = (await connection.runAndReadAll(`SELECT * FROM ${qualified} ORDER BY 1 LIMIT ${SAMPLE_ROWS}`)).getRowObjects();
    for (const row of rows) {
      console.log(
        `  { ${Object.entries(row)
          .map(([column, value]) => `${column}: ${show(value)}`)
          .join(', ')} }`,
      );
    }
  }
} finally {
  connection.closeSync();
  instance.closeSync();
}
