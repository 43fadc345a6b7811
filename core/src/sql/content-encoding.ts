import { RecordValidationError } from '../errors.js';

const HEX = /^[0-9a-fA-F]*$/;

/**
 * The hex digits of a `contentEncoding: base16` string, or undefined when it is not hex: an optional `0x`/`0X`
 * (or PostgreSQL's `\x`) prefix, then an even number of hex digits. `""` and `"0x"` are zero bytes.
 */
export function base16Digits(text: string): string | undefined {
  const digits = text.startsWith('0x') || text.startsWith('0X') || text.startsWith('\\x') ? text.slice(2) : text;
  return digits.length % 2 === 0 && HEX.test(digits) ? digits : undefined;
}

/** Decodes a base16 string to bytes (see base16Digits); undefined when it is not hex. */
export function decodeBase16(text: string): Buffer | undefined {
  const digits = base16Digits(text);
  return digits === undefined ? undefined : Buffer.from(digits, 'hex');
}

/** The error for a string that is not the hex its schema's `contentEncoding: base16` promises. */
export function base16Error(stream: string, record: number | string, field: string, value: string): RecordValidationError {
  const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  return new RecordValidationError(
    'CONTENT_ENCODING_INVALID',
    `${JSON.stringify(shown)} is not base16 (hex) text, as the schema's contentEncoding says`,
    {
      stream,
      record,
      field,
      hint: 'fix the source data, or set interpret_content_encoding: false in the destination config to store such strings as text',
    },
  );
}
