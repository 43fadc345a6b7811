import { normalizeIdentifier, type IdentifierRules } from '@mage-int/core/sql';

/** Comments that remember which stream or field a normalised name stands for, so mappings stay stable across runs. */
const FIELD_COMMENT = 'mage-int field: ';
const STREAM_COMMENT = 'mage-int stream: ';

/** The comment to put on a column whose name differs from its field (undefined when they are equal). */
export function fieldComment(field: string, column: string): string | undefined {
  return field === column ? undefined : FIELD_COMMENT + field;
}

export function streamComment(stream: string, table: string): string | undefined {
  return stream === table ? undefined : STREAM_COMMENT + stream;
}

/** The field a column holds per its mage-int comment; null when it has none (any field normalising to it may use it). */
export function fieldOfColumn(comment: string | null | undefined): string | null {
  return comment?.startsWith(FIELD_COMMENT) ? comment.slice(FIELD_COMMENT.length) : null;
}

/** The stream a table holds per its mage-int comment; null when it has none. */
export function streamOfTable(comment: string | null | undefined): string | null {
  return comment?.startsWith(STREAM_COMMENT) ? comment.slice(STREAM_COMMENT.length) : null;
}

/**
 * Picks a name for `wanted` (a stream or a field). `owners` maps every name already in use to what it holds:
 * a stream or field from its mage-int comment, or null for a name created by someone else (which any `wanted`
 * normalising to it may take). A name already holding `wanted` is reused, a free or unowned one is taken, and a
 * name held by something else gets `_2`, `_3`… (re-normalised, so the 63-byte limit still holds).
 */
export function pickName(wanted: string, owners: ReadonlyMap<string, string | null>, rules: IdentifierRules, prefix = ''): string {
  for (const [name, owner] of owners) if (owner === wanted) return name;
  const base = normalizeIdentifier(prefix + wanted, rules);
  let candidate = base;
  for (let i = 2; owners.has(candidate) && owners.get(candidate) !== null; i++) candidate = normalizeIdentifier(`${base}_${i}`, rules);
  return candidate;
}

/**
 * Maps the fields of a schema to columns, given the table's existing columns (column → field, see pickName).
 * Fields whose name is already a valid identifier claim it first, the rest follow in schema order, so
 * `a_b` keeps `a_b` and `A B` gets `a_b_2` whatever order the schema lists them in.
 */
export function mapColumns(
  fields: readonly string[],
  existing: ReadonlyMap<string, string | null>,
  rules: IdentifierRules,
): Map<string, string> {
  const owners = new Map(existing);
  const out = new Map<string, string>();
  const claimsItself = (field: string) => normalizeIdentifier(field, rules) === field;
  const ordered = [...fields.filter(claimsItself), ...fields.filter((f) => !claimsItself(f))];
  for (const field of ordered) {
    const column = pickName(field, owners, rules);
    owners.set(column, field);
    out.set(field, column);
  }
  // Back in schema order.
  return new Map(fields.map((f) => [f, out.get(f) as string]));
}
