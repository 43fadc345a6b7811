/** `` `name` ``: a quoted GoogleSQL identifier, backticks and backslashes escaped (GoogleSQL lexical structure). */
export function quoteIdentifier(name: string): string {
  return `\`${name.replace(/[\\`]/g, (c) => `\\${c}`)}\``;
}

/** A GoogleSQL string literal: backslash escapes for the quote, the backslash, line breaks, tabs and NUL. */
export function quoteLiteral(text: string): string {
  const escaped = text.replace(
    /[\\'\n\r\t\0]/g,
    (c) => ({ '\\': '\\\\', "'": "\\'", '\n': '\\n', '\r': '\\r', '\t': '\\t', '\0': '\\x00' })[c] as string,
  );
  return `'${escaped}'`;
}

/** `` `dataset`.`table` ``: a table of a dataset, each part quoted. */
export function qualifiedTable(dataset: string, table: string): string {
  return `${quoteIdentifier(dataset)}.${quoteIdentifier(table)}`;
}
