import { ConfigError } from '../errors.js';
import { keyProperties, replicationKey, setMetadata, type Catalog, type CatalogStream } from './catalog.js';

/** One `select:` entry: `stream`, `stream.field`, with `*`, `?`, `[abc]` wildcards, `!` in front to exclude. */
interface SelectPattern {
  text: string;
  exclude: boolean;
  stream: RegExp;
  /** Absent: the whole stream (every field). */
  field?: RegExp;
  /** Without wildcards a pattern names one thing, which must exist (a typo must not silently sync nothing). */
  streamLiteral: boolean;
  fieldLiteral: boolean;
}

const WILDCARD = /[*?[]/;

/** A shell-style glob (as Meltano's fnmatch) as an anchored regular expression. */
function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end === -1) source += '\\[';
      else {
        const body = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
        source += body.startsWith('!') ? `[^${body.slice(1)}]` : `[${body}]`;
        i = end;
      }
    } else source += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

function parsePattern(text: string): SelectPattern {
  const exclude = text.startsWith('!');
  const body = exclude ? text.slice(1) : text;
  // The stream part ends at the first dot: tap_stream_ids (`public-orders`) hold none, field names may.
  const dot = body.indexOf('.');
  const streamPart = dot === -1 ? body : body.slice(0, dot);
  const fieldPart = dot === -1 ? undefined : body.slice(dot + 1);
  if (streamPart === '' || fieldPart === '') {
    throw new ConfigError('SELECT_PATTERN_INVALID', `select pattern "${text}" is incomplete`, {
      hint: 'write `stream`, `stream.field` or a glob such as `public-*`, `public-orders.*`; `!` in front excludes',
    });
  }
  return {
    text,
    exclude,
    stream: globToRegExp(streamPart),
    field: fieldPart === undefined || fieldPart === '*' ? undefined : globToRegExp(fieldPart),
    streamLiteral: !WILDCARD.test(streamPart),
    fieldLiteral: fieldPart !== undefined && !WILDCARD.test(fieldPart),
  };
}

const streamMatches = (pattern: SelectPattern, stream: CatalogStream) =>
  pattern.stream.test(stream.tap_stream_id) || pattern.stream.test(stream.stream);

/**
 * Applies a pipeline's `select:` patterns (Meltano's style) to a catalog, in place: a stream is selected when an
 * include pattern matches its tap_stream_id (or name) and no `!` pattern excludes it as a whole; every other stream is
 * deselected. A selected stream gets every field when a stream-level pattern (`orders`, `orders.*`) includes it (even
 * fields not selected by default), else
 * only the fields its `stream.field` patterns name; `!stream.field` drops fields. Keys and the replication key are
 * always kept. A pattern without wildcards must match something, so a typo is an error rather than an empty sync.
 */
export function applySelectPatterns(catalog: Catalog, texts: readonly string[]): void {
  const patterns = texts.map(parsePattern);
  const includes = patterns.filter((p) => !p.exclude);
  if (includes.length === 0) {
    throw new ConfigError('SELECT_ONLY_EXCLUDES', `select lists only exclusions (${texts.join(', ')}), so it selects nothing`, {
      hint: 'add "*" (or "public-*", …) before the exclusions to select everything else',
    });
  }
  for (const pattern of patterns) {
    const matched = catalog.streams.filter((s) => streamMatches(pattern, s));
    if (pattern.streamLiteral && matched.length === 0) {
      throw new ConfigError('SELECT_STREAM_UNKNOWN', `select pattern "${pattern.text}" names no stream of the source's catalog`, {
        stream: pattern.text.replace(/^!/, '').split('.')[0],
        hint: `known streams: ${catalog.streams.map((s) => s.tap_stream_id).join(', ') || '(none)'}; run \`mage-int discover\` to list them`,
      });
    }
    if (pattern.field && pattern.fieldLiteral) {
      for (const stream of matched) {
        if (!Object.keys(stream.schema.properties ?? {}).some((f) => pattern.field!.test(f))) {
          throw new ConfigError('SELECT_FIELD_UNKNOWN', `select pattern "${pattern.text}" names a field the stream does not have`, {
            stream: stream.tap_stream_id,
            field: pattern.text.slice(pattern.text.indexOf('.') + 1),
          });
        }
      }
    }
  }
  for (const stream of catalog.streams) {
    const including = includes.filter((p) => streamMatches(p, stream));
    const selected = including.length > 0 && !patterns.some((p) => p.exclude && !p.field && streamMatches(p, stream));
    setMetadata(stream, [], { selected });
    if (!selected) continue;
    const whole = including.some((p) => !p.field);
    const fieldIncludes = including.filter((p) => p.field).map((p) => p.field!);
    const fieldExcludes = patterns.filter((p) => p.exclude && p.field && streamMatches(p, stream)).map((p) => p.field!);
    // A whole stream is every field, also those its source does not select by default (Salesforce with
    // select_fields_by_default false), so each field is selected explicitly.
    const kept = new Set([...keyProperties(stream), ...(replicationKey(stream) === undefined ? [] : [replicationKey(stream) as string])]);
    for (const field of Object.keys(stream.schema.properties ?? {})) {
      const wanted = (whole || fieldIncludes.some((re) => re.test(field))) && !fieldExcludes.some((re) => re.test(field));
      setMetadata(stream, ['properties', field], { selected: wanted || kept.has(field) });
    }
  }
}
