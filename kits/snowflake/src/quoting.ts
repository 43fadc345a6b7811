/** `"name"` exactly as given (case kept), embedded double quotes doubled (docs.snowflake.com: identifier requirements). */
export function quoteSnowflakeIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * A single-quoted string constant: Snowflake reads backslash escapes in them (`\\`, `\'`, `\n` …), so the backslash
 * is doubled as well as the quote.
 */
export function quoteSnowflakeString(text: string): string {
  if (text.includes('\0')) throw new Error('a SQL literal cannot hold a NUL character');
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}
