/**
 * Identifier rules shared by SQL destinations. Stream and field names come from anywhere ("Order Items",
 * "user:id", "select"); tables and columns must be valid, predictable and collision-free.
 */
export interface IdentifierRules {
  /** Longest identifier in bytes (PostgreSQL 63, DuckDB effectively unlimited), or in characters with `lengthUnit`. */
  maxBytes: number;
  /** What `maxBytes` counts: bytes of UTF-8 (the default) or characters (MySQL: 64 characters). */
  lengthUnit?: 'bytes' | 'characters';
  /** Names that differ only in case are the same name (MySQL columns): collisions are found case-insensitively. */
  caseInsensitive?: boolean;
  /** Fold to lower case (the default: unquoted SQL and most users expect it). */
  lowercase?: boolean;
  /** Words that need quoting; identifiers are always quoted, so this only matters for `normalize` callers. */
  reserved?: ReadonlySet<string>;
  /** Names (lower case) that get a `_` prefix rather than being used as they are (Mage's reserved words: `default` → `_default`). */
  prefixed?: ReadonlySet<string>;
}

/**
 * Normalises one name: lower case (optional), every run of characters other than letters, digits and `_`
 * becomes `_`, a leading digit gets a `_` prefix, and names over the byte limit are cut and suffixed with a
 * short hash of the full name so two long names never collide.
 */
export function normalizeIdentifier(name: string, rules: IdentifierRules): string {
  let out = (rules.lowercase ?? true) ? name.toLowerCase() : name;
  out = out.normalize('NFC').replace(/[^\p{L}\p{N}_]+/gu, '_');
  if (out === '' || out === '_') out = `_${hash(name)}`;
  if (/^\p{N}/u.test(out) || rules.prefixed?.has(out.toLowerCase())) out = `_${out}`;
  const length = rules.lengthUnit === 'characters' ? (text: string) => [...text].length : (text: string) => Buffer.byteLength(text);
  if (length(out) > rules.maxBytes) {
    const suffix = `_${hash(name)}`;
    let cut = [...out];
    while (length(cut.join('')) + suffix.length > rules.maxBytes) cut = cut.slice(0, -1);
    out = cut.join('') + suffix;
  }
  return out;
}

/** The form of a name two names collide in (lower case when the engine ignores case). */
export function identifierKey(name: string, rules: IdentifierRules): string {
  return rules.caseInsensitive ? name.toLowerCase() : name;
}

/** 8 hex characters of FNV-1a: short, stable, good enough to tell names apart. */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/**
 * Maps every field of a stream to a distinct column name. When two fields normalise to the same name
 * ("a b" and "a_b"), a field that is already a valid name keeps it and the others get `_2`, `_3`… in schema
 * order, so the mapping does not depend on the order a schema lists them in. Returned in schema order.
 */
export function columnNames(fields: readonly string[], rules: IdentifierRules, taken: Iterable<string> = []): Map<string, string> {
  const used = new Set([...taken].map((name) => identifierKey(name, rules)));
  const picked = new Map<string, string>();
  const claimsItself = (field: string) => normalizeIdentifier(field, rules) === field;
  for (const field of [...fields.filter(claimsItself), ...fields.filter((f) => !claimsItself(f))]) {
    const base = normalizeIdentifier(field, rules);
    let candidate = base;
    for (let i = 2; used.has(identifierKey(candidate, rules)); i++) candidate = normalizeIdentifier(`${base}_${i}`, rules);
    used.add(identifierKey(candidate, rules));
    picked.set(field, candidate);
  }
  return new Map(fields.map((f) => [f, picked.get(f) as string]));
}

/** Quotes an identifier with double quotes (ANSI, PostgreSQL, DuckDB), doubling embedded quotes. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
