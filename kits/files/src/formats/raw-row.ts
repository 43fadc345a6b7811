/** One row of a file before typing: field values and the line (CSV, JSON Lines, JSON) or row number (Parquet) it came from. */
export interface RawRow {
  values: Record<string, unknown>;
  line: number;
}

/** The text of a byte stream in `encoding`; a BOM is dropped; bytes that are not `encoding` fail (`fatal`). */
export async function* decodeText(input: AsyncIterable<Uint8Array>, encoding: string): AsyncGenerator<string> {
  const decoder = new TextDecoder(encoding, { fatal: true });
  for await (const chunk of input) {
    const text = decoder.decode(chunk, { stream: true });
    if (text.length > 0) yield text;
  }
  const tail = decoder.decode();
  if (tail.length > 0) yield tail;
}

/** Rows per batch the readers yield: one async step per batch rather than per row. */
export const ROWS_PER_BATCH = 1000;
