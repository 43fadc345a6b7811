import type { RowDataPacket } from 'mysql2';
import type { MySqlClient } from './connection.js';
import type { ColumnInfo } from './type-map.js';

/** A table or view as information_schema describes it. */
export interface TableInfo {
  database: string;
  table: string;
  isView: boolean;
  rowEstimate?: number;
  columns: ColumnInfo[];
  /** The primary key, else the narrowest unique key of NOT NULL columns, else none. */
  keys: string[];
}

interface TableRow extends RowDataPacket {
  db: string;
  name: string;
  type: string;
  rows_estimate: string | number | null;
}
interface ColumnRow extends RowDataPacket {
  db: string;
  tbl: string;
  name: string;
  data_type: string;
  column_type: string;
  collation: string | null;
  is_nullable: string;
}
interface IndexRow extends RowDataPacket {
  db: string;
  tbl: string;
  index_name: string;
  column_name: string;
}
interface CheckRow extends RowDataPacket {
  db: string;
  tbl: string;
  clause: string;
}

function byTable<T extends { db: string; tbl: string }>(rows: readonly T[]): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const row of rows) {
    const key = `${row.db}.${row.tbl}`;
    const list = map.get(key);
    if (list) list.push(row);
    else map.set(key, [row]);
  }
  return map;
}

/** Columns of MariaDB json type: a longtext whose check constraint is `json_valid(column)`. */
async function jsonColumns(client: MySqlClient, databases: readonly string[]): Promise<Set<string>> {
  try {
    const rows = await client.query<CheckRow>(
      `SELECT CONSTRAINT_SCHEMA AS db, TABLE_NAME AS tbl, CHECK_CLAUSE AS clause FROM information_schema.CHECK_CONSTRAINTS
       WHERE CONSTRAINT_SCHEMA IN (?) AND CHECK_CLAUSE LIKE 'json_valid(%'`,
      [databases],
    );
    const out = new Set<string>();
    for (const row of rows) {
      const match = /^json_valid\(`((?:[^`]|``)+)`\)$/.exec(String(row.clause).trim());
      if (match?.[1]) out.add(`${row.db}.${row.tbl}.${match[1].replace(/``/g, '`')}`);
    }
    return out;
  } catch {
    // MySQL 8 has no TABLE_NAME in CHECK_CONSTRAINTS, and a real json type: nothing to find.
    return new Set();
  }
}

/**
 * The tables and views of `databases` (only `only`, `database.table` names, when given), in a few
 * information_schema queries.
 */
export async function loadTables(client: MySqlClient, databases: readonly string[], only?: ReadonlySet<string>): Promise<TableInfo[]> {
  if (databases.length === 0 || only?.size === 0) return [];
  // With `only`, the server reads just those tables' rows of information_schema (the exact names are checked below).
  const names = only ? [...only].map((id) => id.slice(id.indexOf('.') + 1)) : undefined;
  const byName = (column: string) => (names ? ` AND ${column} IN (?)` : '');
  const params = names ? [databases, names] : [databases];
  const [tables, columns, indexes, json] = await Promise.all([
    client.query<TableRow>(
      `SELECT TABLE_SCHEMA AS db, TABLE_NAME AS name, TABLE_TYPE AS type, TABLE_ROWS AS rows_estimate FROM information_schema.TABLES
       WHERE TABLE_SCHEMA IN (?)${byName('TABLE_NAME')} ORDER BY TABLE_SCHEMA, TABLE_NAME`,
      params,
    ),
    client.query<ColumnRow>(
      `SELECT TABLE_SCHEMA AS db, TABLE_NAME AS tbl, COLUMN_NAME AS name, DATA_TYPE AS data_type, COLUMN_TYPE AS column_type, COLLATION_NAME AS collation, IS_NULLABLE AS is_nullable
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA IN (?)${byName('TABLE_NAME')} ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION`,
      params,
    ),
    client.query<IndexRow>(
      `SELECT s.TABLE_SCHEMA AS db, s.TABLE_NAME AS tbl, s.INDEX_NAME AS index_name, s.COLUMN_NAME AS column_name
       FROM information_schema.STATISTICS s WHERE s.TABLE_SCHEMA IN (?)${byName('s.TABLE_NAME')} AND s.NON_UNIQUE = 0 AND s.COLUMN_NAME IS NOT NULL
       ORDER BY s.TABLE_SCHEMA, s.TABLE_NAME, s.INDEX_NAME = 'PRIMARY' DESC, s.INDEX_NAME, s.SEQ_IN_INDEX`,
      params,
    ),
    jsonColumns(client, databases),
  ]);
  const columnsByTable = byTable(columns);
  const indexesByTable = byTable(indexes);
  const out: TableInfo[] = [];
  for (const row of tables) {
    const id = `${row.db}.${row.name}`;
    if (only && !only.has(id)) continue;
    const cols: ColumnInfo[] = (columnsByTable.get(id) ?? []).map((c) => ({
      name: String(c.name),
      dataType: String(c.data_type).toLowerCase(),
      columnType: String(c.column_type),
      ...(c.collation ? { collation: String(c.collation) } : {}),
      nullable: c.is_nullable === 'YES',
      ...(json.has(`${id}.${c.name}`) ? { json: true } : {}),
    }));
    const estimate = row.rows_estimate === null ? undefined : Number(row.rows_estimate);
    out.push({
      database: String(row.db),
      table: String(row.name),
      isView: String(row.type).toUpperCase().includes('VIEW'),
      ...(estimate !== undefined && Number.isFinite(estimate) ? { rowEstimate: estimate } : {}),
      columns: cols,
      keys: chooseKey(indexesByTable.get(id) ?? [], cols),
    });
  }
  return out;
}

/** The primary key, else the narrowest unique index whose columns are all NOT NULL, else none. */
function chooseKey(rows: readonly IndexRow[], columns: readonly ColumnInfo[]): string[] {
  const byIndex = new Map<string, string[]>();
  for (const row of rows) {
    const list = byIndex.get(row.index_name) ?? [];
    list.push(String(row.column_name));
    byIndex.set(row.index_name, list);
  }
  const primary = byIndex.get('PRIMARY');
  if (primary) return primary;
  const notNull = new Set(columns.filter((c) => !c.nullable).map((c) => c.name));
  const unique = [...byIndex.values()].filter((cols) => cols.every((c) => notNull.has(c))).sort((a, b) => a.length - b.length);
  return unique[0] ?? [];
}
