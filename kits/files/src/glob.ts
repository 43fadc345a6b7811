/**
 * Glob patterns over `/`-separated keys: `*` and `?` stay inside one path segment, `**` spans segments
 * (`a/**\/b` also matches `a/b`), `{csv,tsv}` is an alternation and `[0-9]` a character class.
 */
export function globToRegExp(pattern: string): RegExp {
  let out = '';
  let braces = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        const slash = pattern[i + 2] === '/';
        out += slash ? '(?:.*/)?' : '.*';
        i += slash ? 2 : 1;
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end === -1) out += '\\[';
      else {
        const body = pattern
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        out += `[${body}]`;
        i = end;
      }
    } else if (c === '{') {
      braces++;
      out += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      out += ')';
    } else if (c === ',' && braces > 0) out += '|';
    else out += c.replace(/[.+^$()|\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** The part of a pattern before its first wildcard, cut at a `/`: the prefix a listing can start from. */
export function staticPrefix(pattern: string): string {
  const wild = pattern.search(/[*?[{]/);
  const literal = wild === -1 ? pattern : pattern.slice(0, wild);
  return literal.slice(0, literal.lastIndexOf('/') + 1);
}

/** Hive-style partition values in a key's folders: `dt=2024-01-01/region=eu/x.csv` → {dt, region}. */
export function hivePartitions(key: string): Record<string, string> {
  const values: Record<string, string> = {};
  const folders = key.split('/').slice(0, -1);
  for (const folder of folders) {
    const at = folder.indexOf('=');
    if (at > 0) values[folder.slice(0, at)] = decodeURIComponent(folder.slice(at + 1));
  }
  return values;
}
