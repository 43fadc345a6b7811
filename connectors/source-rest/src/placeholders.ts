import { ConfigError, ConnectorError } from '@mage-int/core';

/** `{resources.<parent>.<field>}`: a parent record's field (dotted for nested ones). */
const REFERENCE = /\{resources\.([A-Za-z_][A-Za-z0-9_]*)\.([^{}]+)\}/g;
/** `{incremental.start_value}` / `{incremental.end_value}` (dlt's placeholders in params). */
const INCREMENTAL = /\{incremental\.(start_value|end_value)\}/g;

export interface ParentReference {
  parent: string;
  field: string;
}

/** The parent references in a value (strings, and strings inside objects and arrays). */
export function referencesIn(value: unknown): ParentReference[] {
  if (typeof value === 'string') return [...value.matchAll(REFERENCE)].map((m) => ({ parent: m[1] as string, field: m[2] as string }));
  if (Array.isArray(value)) return value.flatMap(referencesIn);
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(referencesIn);
  return [];
}

/** What placeholders are filled from: the partition (parent fields by name) and the incremental range. */
export interface PlaceholderValues {
  partition?: Record<string, unknown>;
  start?: unknown;
  end?: unknown;
}

/**
 * Fills placeholders. A string that is one placeholder takes the value's own type (a number stays a number in a
 * JSON body); inside longer text, values are written as text (`encode` escapes them for a URL path).
 */
export function fill(
  value: unknown,
  values: PlaceholderValues,
  where: { stream: string; field: string },
  encode?: (text: string) => string,
): unknown {
  if (typeof value === 'string') return fillText(value, values, where, encode);
  if (Array.isArray(value)) return value.map((item) => fill(item, values, where, encode));
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, values, where, encode)]));
  return value;
}

function fillText(
  text: string,
  values: PlaceholderValues,
  where: { stream: string; field: string },
  encode?: (text: string) => string,
): unknown {
  const lookup = (kind: 'ref' | 'inc', name: string): unknown => {
    const found = kind === 'ref' ? values.partition?.[name] : name === 'start_value' ? values.start : values.end;
    if (found === undefined || found === null) {
      if (kind === 'inc') return undefined;
      throw new ConnectorError('PLACEHOLDER_UNRESOLVED', `the parent record has no "${name}" for the placeholder in ${where.field}`, {
        stream: where.stream,
        field: where.field,
        hint: "check the field name after resources.<parent>. against the parent's records",
      });
    }
    return found;
  };
  const whole = /^\{resources\.[A-Za-z_][A-Za-z0-9_]*\.([^{}]+)\}$/.exec(text) ?? undefined;
  if (whole) return lookup('ref', whole[1] as string);
  const wholeInc = /^\{incremental\.(start_value|end_value)\}$/.exec(text);
  if (wholeInc) return lookup('inc', wholeInc[1] as string);
  const asText = (v: unknown) => {
    const s = typeof v === 'object' ? JSON.stringify(v) : String(v ?? '');
    return encode ? encode(s) : s;
  };
  return text
    .replace(REFERENCE, (_m, _parent: string, field: string) => asText(lookup('ref', field)))
    .replace(INCREMENTAL, (_m, name: string) => asText(lookup('inc', name)));
}

/** Fails when a placeholder names a resource that is not defined (or the resource itself). */
export function checkReferences(resource: string, value: unknown, field: string, resources: readonly string[]): ParentReference[] {
  const refs = referencesIn(value);
  for (const ref of refs) {
    if (ref.parent === resource || !resources.includes(ref.parent)) {
      throw new ConfigError(
        'PARENT_UNKNOWN',
        `{resources.${ref.parent}.${ref.field}} names ${ref.parent === resource ? 'the resource itself' : `no resource "${ref.parent}"`}`,
        {
          stream: resource,
          field,
          hint: `a child refers to its parent by name; resources: ${resources.join(', ')}`,
        },
      );
    }
  }
  return refs;
}
