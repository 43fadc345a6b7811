// Token-level helpers the warehouse stand-ins' SQL translators share (bigquery-sql.ts, snowflake-sql.ts): each
// dialect tokenizes its own way (quoting and literals differ), but punctuation and spaces are tokens alike.

/** The part of a token these helpers look at: its kind, and the text of punctuation. */
export interface SqlToken {
  kind: string;
  text?: string;
}

export function isPunct(token: SqlToken | undefined, text: string): boolean {
  return token?.kind === 'punct' && token.text === text;
}

/** The next token after `index` that is not white space (or a comment), with its index. */
export function nextSolid<T extends SqlToken>(tokens: readonly T[], index: number): { token: T; index: number } | undefined {
  for (let j = index + 1; j < tokens.length; j++) {
    const token = tokens[j] as T;
    if (token.kind !== 'space') return { token, index: j };
  }
  return undefined;
}

/** The index of the `)` that closes the `(` at `open`; `unclosed` makes the dialect's error when there is none. */
export function matchingParen(tokens: readonly SqlToken[], open: number, unclosed: () => Error): number {
  let depth = 0;
  for (let j = open; j < tokens.length; j++) {
    const t = tokens[j] as SqlToken;
    if (isPunct(t, '(')) depth++;
    if (isPunct(t, ')') && --depth === 0) return j;
  }
  throw unclosed();
}

/** Splits a script into its statements at top-level semicolons (empty statements dropped). */
export function splitStatements<T extends SqlToken>(tokens: readonly T[]): T[][] {
  const statements: T[][] = [[]];
  for (const token of tokens) {
    if (isPunct(token, ';')) statements.push([]);
    else (statements[statements.length - 1] as T[]).push(token);
  }
  return statements.filter((s) => s.some((t) => t.kind !== 'space'));
}

/** Splits a list at its top-level commas; `brackets` are the pairs that nest (default parentheses). */
export function splitTopLevel<T extends SqlToken>(tokens: readonly T[], brackets: readonly [string, string][] = [['(', ')']]): T[][] {
  const out: T[][] = [[]];
  let depth = 0;
  for (const t of tokens) {
    if (brackets.some(([open]) => isPunct(t, open))) depth++;
    if (brackets.some(([, close]) => isPunct(t, close))) depth--;
    if (depth === 0 && isPunct(t, ',')) out.push([]);
    else (out[out.length - 1] as T[]).push(t);
  }
  return out;
}
