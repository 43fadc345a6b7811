import { Decimal, JsonText } from '@mage-int/core';

/**
 * Turns PostgreSQL's text output of a value into the value mage-int carries. The session runs with
 * DateStyle=ISO, TimeZone=UTC, IntervalStyle=iso_8601, bytea_output=hex and lc_monetary=C (see connection.ts),
 * so the text forms here are stable. COPY, pgoutput and ordinary queries all go through these functions.
 */
export type TextParser = (text: string) => unknown;

export const parseText: TextParser = (text) => text;

export const parseBool: TextParser = (text) => text === 't';

export const parseInt4: TextParser = (text) => Number(text);

/** int8 stays a number while exact, else becomes a bigint. */
export const parseInt8: TextParser = (text) => {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : BigInt(text);
};

/** float4/float8: NaN and ±Infinity become the JS numbers of the same name. */
export const parseFloat8: TextParser = (text) => Number(text);

/** numeric: an exact Decimal; the special values NaN and ±Infinity (PostgreSQL 14+) become JS numbers. */
export const parseNumeric: TextParser = (text) => {
  if (text === 'NaN' || text === 'Infinity' || text === '-Infinity') return Number(text);
  return new Decimal(text);
};

/** money (lc_monetary=C prints `$1,234.56` / `-$1,234.56`): an exact Decimal. */
export const parseMoney: TextParser = (text) => new Decimal(text.replace(/[^0-9.-]/g, ''));

/**
 * json/jsonb: the JSON text as PostgreSQL printed it, parsed only if a consumer asks (`JsonText.value`, exact):
 * destinations that store JSON write the text as it is.
 */
export const parseJson: TextParser = (text) => new JsonText(text);

/** bytea (hex output `\x0a0b`): the hex digits, announced as contentEncoding base16. */
export const parseBytea: TextParser = (text) => (text.startsWith('\\x') ? text.slice(2) : text);

/** `0044-03-15 BC` → `-0043-03-15` (ISO 8601 astronomical years); other dates unchanged. */
function isoYear(date: string): string {
  if (!date.endsWith(' BC')) return date;
  const body = date.slice(0, -3);
  const dash = body.indexOf('-', 1);
  const year = 1 - Number(body.slice(0, dash));
  const sign = year < 0 ? '-' : '';
  return `${sign}${String(Math.abs(year)).padStart(4, '0')}${body.slice(dash)}`;
}

export const parseDate: TextParser = (text) => isoYear(text);

/** timestamp: `2024-01-02 03:04:05.123456` → `2024-01-02T03:04:05.123456` (no offset: it has none). */
export const parseTimestamp: TextParser = (text) => {
  if (text.length >= 19 && text.charCodeAt(10) === 32 && text.charCodeAt(4) === 45 && !text.endsWith(' BC'))
    return `${text.slice(0, 10)}T${text.slice(11)}`;
  if (text === 'infinity' || text === '-infinity') return text;
  const iso = isoYear(text);
  const space = iso.indexOf(' ');
  return space < 0 ? iso : `${iso.slice(0, space)}T${iso.slice(space + 1)}`;
};

/** timestamptz (TimeZone=UTC): `2024-01-02 03:04:05.123456+00` → `2024-01-02T03:04:05.123456+00:00`. */
export const parseTimestamptz: TextParser = (text) => {
  // Fast path for the common `YYYY-MM-DD HH:MM:SS[.ffffff]+00` (TimeZone=UTC).
  if (text.length >= 22 && text.charCodeAt(10) === 32 && text.endsWith('+00') && text.charCodeAt(4) === 45) {
    return `${text.slice(0, 10)}T${text.slice(11, -3)}+00:00`;
  }
  if (text === 'infinity' || text === '-infinity') return text;
  const bc = text.endsWith(' BC');
  const body = bc ? text.slice(0, -3) : text;
  const m = /^(.*)([+-]\d\d)(?::?(\d\d))?(?::?(\d\d))?$/.exec(body);
  const local = m ? m[1]! : body;
  const offset = m ? `${m[2]}:${m[3] ?? '00'}${m[4] ? `:${m[4]}` : ''}` : '';
  const iso = isoYear(bc ? `${local} BC` : local);
  const space = iso.indexOf(' ');
  return `${space < 0 ? iso : `${iso.slice(0, space)}T${iso.slice(space + 1)}`}${offset}`;
};

/** timetz: `03:04:05.123456+02` → `03:04:05.123456+02:00`. */
export const parseTimetz: TextParser = (text) => {
  const m = /^(.*)([+-]\d\d)(?::?(\d\d))?(?::?(\d\d))?$/.exec(text);
  if (!m) return text;
  return `${m[1]}${m[2]}:${m[3] ?? '00'}${m[4] ? `:${m[4]}` : ''}`;
};

/**
 * Parses a PostgreSQL array literal (`{1,2,NULL}`, `{{a,b},{c,d}}`, `[0:1]={x,y}`) into nested JS arrays,
 * running `element` on every non-null element. `delimiter` is the element type's (`;` for box).
 */
export function parseArray(text: string, element: TextParser, delimiter = ','): unknown[] {
  let pos = 0;
  if (text[0] === '[') {
    const eq = text.indexOf('=');
    pos = eq + 1;
  }
  const parseLevel = (): unknown[] => {
    // text[pos] === '{'
    pos++;
    const out: unknown[] = [];
    if (text[pos] === '}') {
      pos++;
      return out;
    }
    for (;;) {
      const ch = text[pos];
      if (ch === '{') {
        out.push(parseLevel());
      } else if (ch === '"') {
        pos++;
        let value = '';
        let start = pos;
        for (;;) {
          const c = text.charCodeAt(pos);
          if (c === 92 /* \ */) {
            value += text.slice(start, pos) + text[pos + 1];
            pos += 2;
            start = pos;
          } else if (c === 34 /* " */) {
            value += text.slice(start, pos);
            pos++;
            break;
          } else if (Number.isNaN(c)) {
            throw new Error(`unterminated array literal: ${text}`);
          } else pos++;
        }
        out.push(element(value));
      } else {
        const start = pos;
        while (pos < text.length && text[pos] !== delimiter && text[pos] !== '}') pos++;
        const raw = text.slice(start, pos).trim();
        out.push(raw === 'NULL' ? null : element(raw));
      }
      if (text[pos] === delimiter) pos++;
      else if (text[pos] === '}') {
        pos++;
        return out;
      } else throw new Error(`malformed array literal: ${text}`);
    }
  };
  return parseLevel();
}

/**
 * Undoes the conversions above for values sent back to PostgreSQL as literals (keyset bounds, resumed
 * primary keys): ISO astronomical years before 1 AD become `… BC` again.
 */
export function toPostgresText(value: unknown): string {
  if (value instanceof Decimal) return value.text;
  if (typeof value === 'string') {
    const m = /^-(\d{4,})(-\d\d-\d\d)(.*)$/.exec(value);
    if (m) {
      const year = 1 + Number(m[1]);
      return `${String(year).padStart(4, '0')}${m[2]}${m[3]!.replace('T', ' ')} BC`;
    }
    return value;
  }
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}
