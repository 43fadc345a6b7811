// What the Redshift stand-in knows of Redshift SQL, written from AWS's Database Developer Guide
// (docs.aws.amazon.com/redshift/latest/dg/): the statements PostgreSQL cannot run for it (COPY from S3, UNLOAD,
// table attributes such as DISTKEY/SORTKEY), the constraints Redshift declares but never enforces (PRIMARY KEY,
// UNIQUE), and what Redshift refuses that PostgreSQL would accept (ON CONFLICT, RETURNING, array types, JSONB, BYTEA,
// UUID, ADD COLUMN IF NOT EXISTS, ALTER COLUMN TYPE to anything but a longer VARCHAR, VARCHAR over 65535 bytes,
// NUMERIC over 38 digits, COPY FROM STDIN, MERGE from a subquery or with conditional or repeated WHEN clauses).

export interface RsToken {
  kind: 'word' | 'ident' | 'string' | 'number' | 'punct' | 'space';
  text: string;
  /** Words upper-cased; identifiers and strings unquoted. */
  value: string;
}

/** An error Redshift would raise, with its SQLSTATE. */
export class RedshiftRefusal extends Error {
  constructor(
    message: string,
    readonly sqlState = '0A000',
  ) {
    super(message);
  }
}

export function tokenize(sql: string): RsToken[] {
  const tokens: RsToken[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i] as string;
    const start = i;
    if (/\s/.test(c)) {
      while (i < sql.length && /\s/.test(sql[i] as string)) i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      while (i < sql.length && sql[i] !== '\n') i++;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if (c === "'" || c === '"') {
      i++;
      let value = '';
      for (;;) {
        if (i >= sql.length) throw new RedshiftRefusal(`unterminated quoted ${c === "'" ? 'string' : 'identifier'}`, '42601');
        const d = sql[i] as string;
        if (d === c && sql[i + 1] === c) {
          value += c;
          i += 2;
        } else if (d === c) {
          i++;
          break;
        } else {
          value += d;
          i++;
        }
      }
      tokens.push({ kind: c === "'" ? 'string' : 'ident', text: sql.slice(start, i), value });
      continue;
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      while (i < sql.length && /[\w$\u0080-\uffff]/.test(sql[i] as string)) i++;
      tokens.push({ kind: 'word', text: sql.slice(start, i), value: sql.slice(start, i).toUpperCase() });
      continue;
    } else if (/\d/.test(c)) {
      while (i < sql.length && /[\d.]/.test(sql[i] as string)) i++;
      tokens.push({ kind: 'number', text: sql.slice(start, i), value: sql.slice(start, i) });
      continue;
    } else {
      i++;
      tokens.push({ kind: 'punct', text: c, value: c });
      continue;
    }
    tokens.push({ kind: 'space', text: sql.slice(start, i), value: ' ' });
  }
  return tokens;
}

const solid = (tokens: readonly RsToken[]) => tokens.filter((t) => t.kind !== 'space');
const isWord = (t: RsToken | undefined, ...words: string[]) => t?.kind === 'word' && words.includes(t.value);
const isPunct = (t: RsToken | undefined, p: string) => t?.kind === 'punct' && t.text === p;

/** The index of the `)` closing the `(` at `open` in `tokens`. */
function closing(tokens: readonly RsToken[], open: number): number {
  let depth = 0;
  for (let j = open; j < tokens.length; j++) {
    if (isPunct(tokens[j], '(')) depth++;
    if (isPunct(tokens[j], ')') && --depth === 0) return j;
  }
  throw new RedshiftRefusal('syntax error: unbalanced parentheses', '42601');
}

/** Splits a script into statements at top-level semicolons. */
export function splitStatements(sql: string): RsToken[][] {
  const statements: RsToken[][] = [[]];
  for (const token of tokenize(sql)) {
    if (isPunct(token, ';')) statements.push([]);
    else (statements[statements.length - 1] as RsToken[]).push(token);
  }
  return statements.filter((s) => s.some((t) => t.kind !== 'space'));
}

const render = (tokens: readonly RsToken[]) => tokens.map((t) => t.text).join('');

/** Type names PostgreSQL has and Redshift does not (docs: "Unsupported PostgreSQL data types"). */
const UNSUPPORTED_TYPES = new Set(['JSONB', 'JSON', 'BYTEA', 'UUID', 'SERIAL', 'BIGSERIAL', 'MONEY', 'INTERVAL', 'XML', 'INET', 'CIDR']);

/** Redshift's table attributes after the column list (CREATE TABLE: DISTSTYLE, DISTKEY, SORTKEY, ENCODE, BACKUP). */
export interface TableAttributes {
  table: string;
  attributes: string;
  /** Keys Redshift would keep as informational constraints (the stand-in drops them: PostgreSQL would enforce them). */
  declaredKeys: string[];
}

/**
 * One statement as PostgreSQL should run it, or a refusal. CREATE TABLE loses its PRIMARY KEY / UNIQUE constraints
 * (informational in Redshift: duplicates load) and its table attributes (reported in `attributes`).
 */
export function translateStatement(tokens: RsToken[]): { sql: string; attributes?: TableAttributes } {
  const words = solid(tokens);
  const first = words[0]?.value;
  for (let i = 0; i < words.length; i++) {
    const t = words[i] as RsToken;
    const next = words[i + 1];
    if (isWord(t, 'ON') && isWord(next, 'CONFLICT'))
      throw new RedshiftRefusal('Amazon Redshift has no INSERT … ON CONFLICT (use a staging table and MERGE or DELETE + INSERT)', '42601');
    if (isWord(t, 'RETURNING')) throw new RedshiftRefusal('Amazon Redshift has no RETURNING clause', '42601');
    if (t.kind === 'word' && UNSUPPORTED_TYPES.has(t.value) && !isPunct(next, '('))
      throw new RedshiftRefusal(`Amazon Redshift has no type ${t.value} (SUPER holds JSON, VARBYTE bytes)`, '42704');
    if (isPunct(t, '[') || (isWord(t, 'ARRAY') && (isPunct(next, '[') || isPunct(next, '('))))
      throw new RedshiftRefusal('Amazon Redshift has no array types (SUPER holds arrays)', '0A000');
    if (isWord(t, 'ADD') && isWord(next, 'COLUMN') && isWord(words[i + 2], 'IF'))
      throw new RedshiftRefusal('Amazon Redshift has no ALTER TABLE … ADD COLUMN IF NOT EXISTS', '42601');
    if (isWord(t, 'ALTER') && isWord(next, 'COLUMN')) {
      const type = words.slice(i + 3);
      if (isWord(words[i + 3], 'TYPE') && !isWord(type[1], 'VARCHAR', 'CHARACTER'))
        throw new RedshiftRefusal('Amazon Redshift changes a column type in place only to a longer VARCHAR', '0A000');
    }
    if (isWord(t, 'VARCHAR', 'NVARCHAR') && isPunct(next, '(') && Number(words[i + 2]?.value) > 65535)
      throw new RedshiftRefusal('length for type varchar cannot exceed 65535', '42601');
    if (isWord(t, 'NUMERIC', 'DECIMAL') && isPunct(next, '(') && Number(words[i + 2]?.value) > 38)
      throw new RedshiftRefusal('NUMERIC precision must be between 1 and 38', '22023');
  }
  if (first === 'MERGE') checkMerge(words);
  if (first === 'COPY')
    throw new RedshiftRefusal('Amazon Redshift copies from S3 (and EMR, DynamoDB, SSH), not from STDIN or a file', '0A000');
  if (first === 'CREATE' && words.some((w, i) => isWord(w, 'TABLE') && i <= 3) && !words.some((w) => isWord(w, 'AS')))
    return createTable(tokens);
  return { sql: render(tokens) };
}

/**
 * Redshift's MERGE (docs: MERGE): `USING source_table` — a table, never a subquery or view — and at most one
 * `WHEN MATCHED THEN UPDATE | DELETE` and one `WHEN NOT MATCHED THEN INSERT`, without extra conditions.
 */
function checkMerge(words: RsToken[]): void {
  const using = words.findIndex((w) => isWord(w, 'USING'));
  if (using >= 0 && isPunct(words[using + 1], '('))
    throw new RedshiftRefusal("Amazon Redshift's MERGE takes a table as its source, not a subquery", '0A000');
  let matched = 0;
  let notMatched = 0;
  for (let i = 0; i < words.length; i++) {
    if (!isWord(words[i], 'WHEN')) continue;
    const not = isWord(words[i + 1], 'NOT');
    const next = words[i + (not ? 3 : 2)];
    if (!isWord(next, 'THEN'))
      throw new RedshiftRefusal("Amazon Redshift's MERGE has no conditions on WHEN [NOT] MATCHED (only THEN)", '42601');
    if (not) notMatched++;
    else matched++;
  }
  if (matched > 1 || notMatched > 1)
    throw new RedshiftRefusal("Amazon Redshift's MERGE takes one WHEN MATCHED and one WHEN NOT MATCHED clause", '42601');
}

/** CREATE TABLE without PRIMARY KEY/UNIQUE constraints and table attributes, and what was dropped. */
function createTable(tokens: RsToken[]): { sql: string; attributes?: TableAttributes } {
  const open = tokens.findIndex((t) => isPunct(t, '('));
  if (open < 0) return { sql: render(tokens) };
  const close = closing(tokens, open);
  const table = render(tokens.slice(0, open))
    .replace(/^\s*CREATE\s+(?:TEMP(?:ORARY)?\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?/i, '')
    .trim();
  const declaredKeys: string[] = [];
  const body: RsToken[] = [];
  for (let i = open + 1; i < close; i++) {
    const t = tokens[i] as RsToken;
    // `, PRIMARY KEY (…)` / `, UNIQUE (…)` table constraints, and column-level PRIMARY KEY / UNIQUE.
    if (isWord(t, 'PRIMARY', 'UNIQUE')) {
      let j = i + 1;
      if (isWord(t, 'PRIMARY')) {
        while (tokens[j]?.kind === 'space') j++;
        j++; // KEY
      }
      let k = j;
      while (tokens[k]?.kind === 'space') k++;
      if (isPunct(tokens[k], '(')) {
        const end = closing(tokens, k);
        declaredKeys.push(render(tokens.slice(k + 1, end)).trim());
        // drop the preceding comma too
        while (body.length > 0 && (body[body.length - 1] as RsToken).kind === 'space') body.pop();
        if (isPunct(body[body.length - 1], ',')) body.pop();
        i = end;
      } else i = j - 1;
      continue;
    }
    body.push(t);
  }
  const attributes = render(tokens.slice(close + 1)).trim();
  if (
    attributes !== '' &&
    !/^((DISTSTYLE\s+(AUTO|EVEN|KEY|ALL)|DISTKEY\s*\(\s*("[^"]+"|\w+)\s*\)|((COMPOUND|INTERLEAVED)\s+)?SORTKEY\s*\([^)]*\)|SORTKEY\s+AUTO|ENCODE\s+AUTO|BACKUP\s+(YES|NO))\s*)+$/i.test(
      attributes,
    )
  )
    throw new RedshiftRefusal(`syntax error at or near "${attributes.split(/\s+/)[0]}" (table attributes Redshift does not know)`, '42601');
  return {
    sql: `${render(tokens.slice(0, open + 1))}${render(body)})`,
    attributes: { table, attributes, declaredKeys },
  };
}

/** Credentials of a COPY or UNLOAD: an IAM role, or access keys. */
export interface S3Authorization {
  iamRole?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
}

export interface CopyStatement {
  table: string;
  columns: string[];
  url: string;
  auth: S3Authorization;
  format: 'CSV';
  delimiter: string;
  quote: string;
  gzip: boolean;
  nullAs?: string;
  emptyAsNull: boolean;
  roundec: boolean;
  timeformat?: string;
  dateformat?: string;
  region?: string;
  ignoreHeader: number;
}

export interface UnloadStatement {
  select: string;
  url: string;
  auth: S3Authorization;
  header: boolean;
  gzip: boolean;
  parallel: boolean;
  allowOverwrite: boolean;
  nullAs: string;
  delimiter: string;
  region?: string;
}

/** Reads `[AS] 'text'` after index `i` of `words`; returns the text and the next index. */
function stringArg(words: RsToken[], i: number, option: string): [string, number] {
  let j = i + 1;
  if (isWord(words[j], 'AS')) j++;
  const t = words[j];
  if (t?.kind !== 'string') throw new RedshiftRefusal(`syntax error: ${option} takes a quoted string`, '42601');
  return [t.value, j + 1];
}

/** Parses the authorization options common to COPY and UNLOAD; returns true when `words[i]` was one. */
function authOption(words: RsToken[], i: number, auth: S3Authorization): number | undefined {
  const t = words[i] as RsToken;
  if (isWord(t, 'IAM_ROLE')) {
    if (isWord(words[i + 1], 'DEFAULT')) {
      auth.iamRole = 'default';
      return i + 2;
    }
    const [role, next] = stringArg(words, i, 'IAM_ROLE');
    auth.iamRole = role;
    return next;
  }
  if (isWord(t, 'CREDENTIALS')) {
    const [text, next] = stringArg(words, i, 'CREDENTIALS');
    for (const part of text.split(';')) {
      const [key, value] = part.split('=', 2).map((s) => s.trim());
      if (key === 'aws_iam_role') auth.iamRole = value;
      else if (key === 'aws_access_key_id') auth.accessKeyId = value;
      else if (key === 'aws_secret_access_key') auth.secretAccessKey = value;
      else if (key === 'token') auth.sessionToken = value;
      else throw new RedshiftRefusal(`invalid credentials string: unknown key "${key}"`, '22023');
    }
    return next;
  }
  if (isWord(t, 'ACCESS_KEY_ID')) {
    const [value, next] = stringArg(words, i, 'ACCESS_KEY_ID');
    auth.accessKeyId = value;
    return next;
  }
  if (isWord(t, 'SECRET_ACCESS_KEY')) {
    const [value, next] = stringArg(words, i, 'SECRET_ACCESS_KEY');
    auth.secretAccessKey = value;
    return next;
  }
  if (isWord(t, 'SESSION_TOKEN')) {
    const [value, next] = stringArg(words, i, 'SESSION_TOKEN');
    auth.sessionToken = value;
    return next;
  }
  return undefined;
}

/** A COPY from S3 (docs: COPY, "COPY from Amazon S3"), or undefined for any other statement. */
export function parseCopy(tokens: RsToken[]): CopyStatement | undefined {
  const words = solid(tokens);
  if (!isWord(words[0], 'COPY')) return undefined;
  const from = words.findIndex((w) => isWord(w, 'FROM'));
  const url = words[from + 1];
  if (from < 0 || url?.kind !== 'string' || !url.value.startsWith('s3://')) return undefined;
  let tableEnd = from;
  const columns: string[] = [];
  const open = words.findIndex((w, i) => i < from && isPunct(w, '('));
  if (open > 0) {
    tableEnd = open;
    for (let i = open + 1; i < from - 1; i++) {
      const w = words[i] as RsToken;
      if (w.kind === 'ident' || w.kind === 'word') columns.push(w.kind === 'ident' ? w.value : w.value.toLowerCase());
    }
  }
  const table = words
    .slice(1, tableEnd)
    .map((w) => w.text)
    .join('');
  const copy: CopyStatement = {
    table,
    columns,
    url: url.value,
    auth: {},
    format: 'CSV',
    delimiter: '|',
    quote: '"',
    gzip: false,
    emptyAsNull: false,
    roundec: false,
    ignoreHeader: 0,
  };
  let csv = false;
  let i = from + 2;
  while (i < words.length) {
    const t = words[i] as RsToken;
    const auth = authOption(words, i, copy.auth);
    if (auth !== undefined) {
      i = auth;
      continue;
    }
    if (isWord(t, 'WITH')) i++;
    else if (isWord(t, 'FORMAT')) {
      i += isWord(words[i + 1], 'AS') ? 2 : 1;
    } else if (isWord(t, 'CSV')) {
      csv = true;
      if (copy.delimiter === '|') copy.delimiter = ',';
      i++;
      if (isWord(words[i], 'QUOTE')) [copy.quote, i] = stringArg(words, i, 'QUOTE');
    } else if (isWord(t, 'QUOTE')) [copy.quote, i] = stringArg(words, i, 'QUOTE');
    else if (isWord(t, 'DELIMITER')) [copy.delimiter, i] = stringArg(words, i, 'DELIMITER');
    else if (isWord(t, 'GZIP')) {
      copy.gzip = true;
      i++;
    } else if (isWord(t, 'NULL')) {
      const [text, next] = stringArg(words, i, 'NULL AS');
      copy.nullAs = text === '\\0' || text === '\\000' ? '\0' : text;
      i = next;
    } else if (isWord(t, 'EMPTYASNULL')) {
      copy.emptyAsNull = true;
      i++;
    } else if (isWord(t, 'ROUNDEC')) {
      copy.roundec = true;
      i++;
    } else if (isWord(t, 'TIMEFORMAT')) [copy.timeformat, i] = stringArg(words, i, 'TIMEFORMAT');
    else if (isWord(t, 'DATEFORMAT')) [copy.dateformat, i] = stringArg(words, i, 'DATEFORMAT');
    else if (isWord(t, 'REGION')) [copy.region, i] = stringArg(words, i, 'REGION');
    else if (isWord(t, 'IGNOREHEADER')) {
      i += isWord(words[i + 1], 'AS') ? 2 : 1;
      copy.ignoreHeader = Number(words[i]?.value);
      i++;
    } else if (isWord(t, 'COMPUPDATE', 'STATUPDATE')) {
      i += isWord(words[i + 1], 'ON', 'OFF', 'TRUE', 'FALSE') ? 2 : 1;
    } else throw new RedshiftRefusal(`the Redshift stand-in does not implement the COPY option ${t.text}`, '0A000');
  }
  if (!csv) throw new RedshiftRefusal('the Redshift stand-in loads only FORMAT CSV files (the connector writes no other)', '0A000');
  return copy;
}

/** An UNLOAD (docs: UNLOAD), or undefined for any other statement. */
export function parseUnload(tokens: RsToken[]): UnloadStatement | undefined {
  const words = solid(tokens);
  if (!isWord(words[0], 'UNLOAD')) return undefined;
  const select = words[2];
  if (!isPunct(words[1], '(') || select?.kind !== 'string' || !isPunct(words[3], ')') || !isWord(words[4], 'TO'))
    throw new RedshiftRefusal("syntax error: UNLOAD ('select …') TO 's3://…'", '42601');
  const url = words[5];
  if (url?.kind !== 'string' || !url.value.startsWith('s3://'))
    throw new RedshiftRefusal('UNLOAD destination must be an s3:// path', '22023');
  const unload: UnloadStatement = {
    select: select.value,
    url: url.value,
    auth: {},
    header: false,
    gzip: false,
    parallel: true,
    allowOverwrite: false,
    nullAs: '',
    delimiter: ',',
  };
  let csv = false;
  let i = 6;
  while (i < words.length) {
    const t = words[i] as RsToken;
    const auth = authOption(words, i, unload.auth);
    if (auth !== undefined) {
      i = auth;
      continue;
    }
    if (isWord(t, 'FORMAT')) i += isWord(words[i + 1], 'AS') ? 2 : 1;
    else if (isWord(t, 'CSV')) {
      csv = true;
      i++;
    } else if (isWord(t, 'HEADER')) {
      unload.header = true;
      i++;
    } else if (isWord(t, 'GZIP')) {
      unload.gzip = true;
      i++;
    } else if (isWord(t, 'ALLOWOVERWRITE')) {
      unload.allowOverwrite = true;
      i++;
    } else if (isWord(t, 'PARALLEL')) {
      unload.parallel = !isWord(words[i + 1], 'OFF', 'FALSE');
      i += isWord(words[i + 1], 'ON', 'OFF', 'TRUE', 'FALSE') ? 2 : 1;
    } else if (isWord(t, 'NULL')) [unload.nullAs, i] = stringArg(words, i, 'NULL AS');
    else if (isWord(t, 'DELIMITER')) [unload.delimiter, i] = stringArg(words, i, 'DELIMITER');
    else if (isWord(t, 'REGION')) [unload.region, i] = stringArg(words, i, 'REGION');
    else throw new RedshiftRefusal(`the Redshift stand-in does not implement the UNLOAD option ${t.text}`, '0A000');
  }
  if (!csv) throw new RedshiftRefusal('the Redshift stand-in unloads only FORMAT CSV', '0A000');
  return unload;
}

/** A CSV field as COPY reads it: its text and whether it was enclosed in quotes. */
export interface CsvField {
  text: string;
  quoted: boolean;
}

/**
 * Redshift's CSV (docs: Data format parameters, CSV): fields enclosed in the quote character may hold delimiters,
 * newlines and doubled quotes; white space between a delimiter and a quote is ignored; records end at a newline.
 */
export function parseRedshiftCsv(text: string, delimiter: string, quote: string): CsvField[][] {
  const records: CsvField[][] = [];
  let record: CsvField[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    // one field
    let j = i;
    while (j < n && (text[j] === ' ' || text[j] === '\t') && text[j] !== delimiter) j++;
    let field: CsvField;
    if (text[j] === quote) {
      let value = '';
      j++;
      for (;;) {
        if (j >= n)
          throw new RedshiftRefusal('Missing newline: Unexpected character found at end of file (unterminated quoted field)', 'XX000');
        if (text[j] === quote && text[j + 1] === quote) {
          value += quote;
          j += 2;
        } else if (text[j] === quote) {
          j++;
          break;
        } else value += text[j++];
      }
      while (j < n && (text[j] === ' ' || text[j] === '\t') && text[j] !== delimiter) j++;
      field = { text: value, quoted: true };
    } else {
      let end = i;
      while (end < n && text[end] !== delimiter && text[end] !== '\n' && text[end] !== '\r') end++;
      field = { text: text.slice(i, end), quoted: false };
      j = end;
    }
    record.push(field);
    if (text[j] === delimiter) {
      i = j + 1;
      if (i >= n) record.push({ text: '', quoted: false });
      continue;
    }
    if (text[j] === '\r') j++;
    if (text[j] === '\n' || j >= n) {
      records.push(record);
      record = [];
      i = j + 1;
      continue;
    }
    throw new RedshiftRefusal(
      `Invalid quote formatting for CSV (unexpected character after a quoted field: ${JSON.stringify(text[j])})`,
      'XX000',
    );
  }
  if (record.length > 0) records.push(record);
  return records;
}

/** A value in PostgreSQL's COPY text format (backslash escapes). */
export function pgTextValue(value: string | null): string {
  if (value === null) return '\\N';
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
}

/** A CSV field for UNLOAD's CSV: enclosed in double quotes (quotes doubled) when it holds the delimiter, a quote or a newline. */
export function unloadCsvField(value: string | null, delimiter: string, nullAs: string): string {
  if (value === null) return nullAs;
  return value.includes(delimiter) || /["\r\n]/.test(value) || value === '' ? `"${value.replace(/"/g, '""')}"` : value;
}
