import { normalizeIdentifier, type IdentifierRules } from '@mage-int/core/sql';

/** A column comment remembering the field a normalised column holds, so the mapping survives across runs. */
const FIELD_COMMENT = 'mage-int field: ';

/** The comment for a column whose name differs from its field; undefined when they are equal. */
export function fieldComment(field: string, column: string): string | undefined {
  return field === column ? undefined : FIELD_COMMENT + field;
}

/** The field a column holds per its comment; null when it has none (any field normalising to it may use it). */
export function fieldOfComment(comment: string | null | undefined): string | null {
  return comment?.startsWith(FIELD_COMMENT) ? comment.slice(FIELD_COMMENT.length) : null;
}

/**
 * Maps fields to column names. `owners` holds every column name in use (lower case: DuckDB names are
 * case-insensitive) with the field it holds, or null when it does not say. A field keeps the column that
 * holds it; otherwise fields whose name is already a valid identifier claim it first and the rest follow in
 * schema order, so `a_b` keeps `a_b` and `a b` gets `a_b_2` whatever order the schema lists them in.
 */
export function mapColumns(fields: readonly string[], owners: Map<string, string | null>, rules: IdentifierRules): Map<string, string> {
  const out = new Map<string, string>();
  const held = new Map<string, string>();
  for (const [column, owner] of owners) if (owner !== null) held.set(owner, column);
  const claimsItself = (field: string) => normalizeIdentifier(field, rules) === field;
  for (const field of [...fields.filter(claimsItself), ...fields.filter((f) => !claimsItself(f))]) {
    let column = held.get(field);
    if (column === undefined) {
      const base = normalizeIdentifier(field, rules);
      column = base;
      for (let i = 2; (owners.get(column.toLowerCase()) ?? null) !== null; i++) column = normalizeIdentifier(`${base}_${i}`, rules);
      owners.set(column.toLowerCase(), field);
    }
    out.set(field, column);
  }
  return new Map(fields.map((f) => [f, out.get(f) as string]));
}
