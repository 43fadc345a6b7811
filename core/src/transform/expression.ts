import { hash } from 'node:crypto';
import { Decimal, parseExactJson, stringifyExactJson } from '../protocol/exact-json.js';
import { schemaTypes, type JsonSchema } from '../protocol/json-schema.js';
import type { RecordData } from '../protocol/messages.js';
import { ExpressionError, parseExpression, type Node } from './expression-parser.js';
import {
  arithmetic,
  compare,
  compareNumbers,
  contains,
  equals,
  float,
  int,
  isNumber,
  numeric,
  plain,
  str,
  truthy,
  typeName,
} from './expression-values.js';

/** What an expression reads: the record, the property being computed (`self`) and the step's `stream_map_config`. */
export interface ExpressionEnv {
  record: RecordData;
  self: unknown;
  config: Record<string, unknown>;
}

export type Evaluator = (env: ExpressionEnv) => unknown;

/** The properties an expression may name, and the property it computes (for `self`). */
export interface ExpressionScope {
  properties: Record<string, JsonSchema>;
  current?: string;
}

// crypto.hash is the one-shot digest (several times faster than createHash for short values); strings skip str().
const hex = (algorithm: string) => (v: unknown) =>
  typeof v === 'string' ? hash(algorithm, v, 'hex') : v === null || v === undefined ? null : hash(algorithm, str(plain(v)), 'hex');

const DIGEST_CACHE_SIZE = 4096;
const DIGEST_SAMPLE = 8192;

/**
 * A digest function for one call site that remembers recent digests while that pays: hashed columns are often
 * categorical (a country, a status), where a lookup replaces a ~1 µs digest. Every DIGEST_SAMPLE calls the hit rate
 * is checked; below one in four (unique values such as e-mail addresses) the cache is dropped for good.
 */
function cachedDigest(algorithm: string): (v: unknown) => unknown {
  const digest = hex(algorithm);
  let cache: Map<string, string> | undefined = new Map();
  let calls = 0;
  let hits = 0;
  return (v) => {
    if (cache === undefined || typeof v !== 'string') return digest(v);
    const known = cache.get(v);
    if (++calls === DIGEST_SAMPLE) {
      if (hits < DIGEST_SAMPLE / 4) cache = undefined;
      calls = hits = 0;
    }
    if (known !== undefined) {
      hits++;
      return known;
    }
    const value = hash(algorithm, v, 'hex');
    if (cache) {
      if (cache.size >= DIGEST_CACHE_SIZE) cache.clear();
      cache.set(v, value);
    }
    return value;
  };
}

const FUNCTIONS: Record<string, (...args: unknown[]) => unknown> = {
  md5: hex('md5'),
  sha256: hex('sha256'),
  str: (v) => str(plain(v)),
  int: (v) => int(plain(v)),
  float: (v) => float(plain(v)),
  bool: (v) => truthy(v),
  len: (v) => {
    const p = plain(v);
    if (typeof p === 'string') return [...p].length;
    if (Array.isArray(p)) return p.length;
    if (p !== null && typeof p === 'object') return Object.keys(p).length;
    throw new ExpressionError(`object of type '${typeName(p)}' has no len()`);
  },
  abs: (v) => {
    const n = numeric(v, 'abs');
    return compareNumbers(n, 0) < 0 ? arithmetic('-', 0, n) : n;
  },
  round: (v, digits) => {
    const n = Number(str(numeric(v, 'round')));
    if (digits === undefined || digits === null) return Math.round(n);
    const f = 10 ** Number(digits);
    return Math.round(n * f) / f;
  },
  min: (...args) => pick(args, -1),
  max: (...args) => pick(args, 1),
};

function pick(args: unknown[], sign: number): unknown {
  const list = args.length === 1 && Array.isArray(plain(args[0])) ? (plain(args[0]) as unknown[]) : args;
  if (list.length === 0) throw new ExpressionError('min()/max() of nothing');
  return list.reduce((best, v) => (compare(sign > 0 ? '>' : '<', v, best) ? v : best));
}

const JSON_FUNCTIONS: Record<string, (...args: unknown[]) => unknown> = {
  dumps: (v) => stringifyExactJson(plain(v) ?? null),
  loads: (v) => {
    if (typeof v !== 'string') throw new ExpressionError(`json.loads() needs a string, not '${typeName(v)}'`);
    return parseExactJson(v);
  },
};

function stringMethod(s: string, name: string, args: unknown[]): unknown {
  const arg = (i: number) => {
    const v = args[i];
    if (typeof v !== 'string') throw new ExpressionError(`str.${name}() argument ${i + 1} must be a string, not '${typeName(v)}'`);
    return v;
  };
  const chars = (i: number) => (args[i] === undefined || args[i] === null ? undefined : arg(i));
  const trim = (text: string, set: string | undefined, start: boolean, end: boolean) => {
    const strip = (c: string) => (set === undefined ? /\s/.test(c) : set.includes(c));
    let a = 0;
    let b = text.length;
    while (start && a < b && strip(text[a]!)) a++;
    while (end && b > a && strip(text[b - 1]!)) b--;
    return text.slice(a, b);
  };
  switch (name) {
    case 'lower':
      return s.toLowerCase();
    case 'upper':
      return s.toUpperCase();
    case 'strip':
      return trim(s, chars(0), true, true);
    case 'lstrip':
      return trim(s, chars(0), true, false);
    case 'rstrip':
      return trim(s, chars(0), false, true);
    case 'title':
      return s.toLowerCase().replace(/(^|[^A-Za-z])([a-z])/g, (_m, a: string, b: string) => a + b.toUpperCase());
    case 'capitalize':
      return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
    case 'startswith':
      return s.startsWith(arg(0));
    case 'endswith':
      return s.endsWith(arg(0));
    case 'replace':
      return s.split(arg(0)).join(arg(1));
    case 'find':
      return s.indexOf(arg(0));
    case 'count':
      return s.split(arg(0)).length - 1;
    case 'zfill':
      return s.padStart(Number(args[0]), '0');
    case 'split': {
      const sep = chars(0);
      const parts =
        sep === undefined
          ? s
              .trim()
              .split(/\s+/)
              .filter((p) => p !== '')
          : s.split(sep);
      const max = args[1] === undefined ? -1 : Number(args[1]);
      return max >= 0 && parts.length > max + 1 ? [...parts.slice(0, max), parts.slice(max).join(sep ?? ' ')] : parts;
    }
    case 'join': {
      const items = plain(args[0]);
      if (!Array.isArray(items) || items.some((i) => typeof i !== 'string'))
        throw new ExpressionError('str.join() needs a list of strings');
      return items.join(s);
    }
    default:
      throw new ExpressionError(`'str' has no method '${name}'`);
  }
}

function callMethod(target: unknown, name: string, args: unknown[]): unknown {
  const value = plain(target);
  if (typeof value === 'string') return stringMethod(value, name, args);
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Decimal)) {
    const dict = value as Record<string, unknown>;
    if (name === 'get') return typeof args[0] === 'string' && Object.hasOwn(dict, args[0]) ? (dict[args[0]] ?? null) : (args[1] ?? null);
    if (name === 'keys') return Object.keys(dict);
    if (name === 'values') return Object.values(dict);
  }
  throw new ExpressionError(`'${typeName(value)}' has no method '${name}'`);
}

function index(target: unknown, key: unknown): unknown {
  const value = plain(target);
  if (typeof value === 'string' || Array.isArray(value)) {
    if (!isNumber(key) || typeof key === 'object')
      throw new ExpressionError(`${typeName(value)} indices must be integers, not '${typeName(key)}'`);
    const items = typeof value === 'string' ? [...value] : value;
    const i = Number(key) < 0 ? items.length + Number(key) : Number(key);
    if (i < 0 || i >= items.length) throw new ExpressionError(`${typeName(value)} index out of range`);
    return items[i];
  }
  if (value !== null && typeof value === 'object') {
    if (typeof key !== 'string' || !Object.hasOwn(value, key))
      throw new ExpressionError(`key ${JSON.stringify(str(key))} is not in the dict`);
    return (value as Record<string, unknown>)[key] ?? null;
  }
  throw new ExpressionError(`'${typeName(value)}' object is not subscriptable`);
}

function slice(target: unknown, lo: unknown, hi: unknown): unknown {
  const value = plain(target);
  if (typeof value !== 'string' && !Array.isArray(value)) throw new ExpressionError(`'${typeName(value)}' object cannot be sliced`);
  const items = typeof value === 'string' ? [...value] : value;
  const bound = (v: unknown, fallback: number) =>
    v === undefined || v === null ? fallback : Number(v) < 0 ? Math.max(0, items.length + Number(v)) : Number(v);
  const out = items.slice(bound(lo, 0), bound(hi, items.length));
  return typeof value === 'string' ? out.join('') : out;
}

const RECORD_NAMES = new Set(['record', '_']);

/** Compiles a parsed expression into a function of the record; names are checked against the scope now, not per record. */
function compileNode(node: Node, scope: ExpressionScope): Evaluator {
  switch (node.k) {
    case 'lit': {
      const v = node.v;
      return () => v;
    }
    case 'name': {
      const n = node.n;
      if (RECORD_NAMES.has(n)) return (env) => env.record;
      if (n === 'self') return (env) => env.self;
      if (n === 'config') return (env) => env.config;
      if (Object.hasOwn(scope.properties, n)) return (env) => env.record[n] ?? null;
      if (n === 'json' || Object.hasOwn(FUNCTIONS, n)) throw new ExpressionError(`${n} is a function: call it, e.g. ${n}(…)`);
      throw new ExpressionError(
        `unknown name "${n}": not a property of the stream (${Object.keys(scope.properties).join(', ') || 'none'}) nor record, _, self, config`,
      );
    }
    case 'list': {
      const items = node.items.map((i) => compileNode(i, scope));
      return (env) => items.map((i) => i(env));
    }
    case 'neg': {
      const a = compileNode(node.a, scope);
      return (env) => arithmetic('-', 0, a(env));
    }
    case 'not': {
      const a = compileNode(node.a, scope);
      return (env) => !truthy(a(env));
    }
    case 'bin': {
      const a = compileNode(node.a, scope);
      const b = compileNode(node.b, scope);
      const op = node.op;
      return (env) => arithmetic(op, plain(a(env)), plain(b(env)));
    }
    case 'and': {
      const a = compileNode(node.a, scope);
      const b = compileNode(node.b, scope);
      return (env) => {
        const x = a(env);
        return truthy(x) ? b(env) : x;
      };
    }
    case 'or': {
      const a = compileNode(node.a, scope);
      const b = compileNode(node.b, scope);
      return (env) => {
        const x = a(env);
        return truthy(x) ? x : b(env);
      };
    }
    case 'cmp': {
      const a = compileNode(node.a, scope);
      const b = compileNode(node.b, scope);
      switch (node.op) {
        case '==':
          return (env) => equals(plain(a(env)), plain(b(env)));
        case '!=':
          return (env) => !equals(plain(a(env)), plain(b(env)));
        case 'in':
          return (env) => contains(b(env), plain(a(env)));
        case 'not in':
          return (env) => !contains(b(env), plain(a(env)));
        case 'is':
          return (env) => (a(env) ?? null) === (b(env) ?? null);
        case 'is not':
          return (env) => (a(env) ?? null) !== (b(env) ?? null);
        default: {
          const op = node.op;
          return (env) => compare(op, plain(a(env)), plain(b(env)));
        }
      }
    }
    case 'if': {
      const test = compileNode(node.test, scope);
      const a = compileNode(node.a, scope);
      const b = compileNode(node.b, scope);
      return (env) => (truthy(test(env)) ? a(env) : b(env));
    }
    case 'index': {
      const obj = compileNode(node.obj, scope);
      const idx = compileNode(node.idx, scope);
      return (env) => index(obj(env), plain(idx(env)));
    }
    case 'slice': {
      const obj = compileNode(node.obj, scope);
      const lo = node.lo ? compileNode(node.lo, scope) : () => undefined;
      const hi = node.hi ? compileNode(node.hi, scope) : () => undefined;
      return (env) => slice(obj(env), lo(env), hi(env));
    }
    case 'attr':
      throw new ExpressionError(`.${node.name} must be called: .${node.name}(…)`);
    case 'call': {
      const args = node.args.map((a) => compileNode(a, scope));
      const f = node.f;
      if (f.k === 'name') {
        const fn = f.n === 'md5' || f.n === 'sha256' ? cachedDigest(f.n) : FUNCTIONS[f.n];
        if (!fn)
          throw new ExpressionError(
            `unknown function "${f.n}" (functions: ${Object.keys(FUNCTIONS).join(', ')}, json.dumps, json.loads, and str/dict methods)`,
          );
        // The common one-argument call (md5(email)) without an argument array per record.
        if (args.length === 1) {
          const only = args[0]!;
          return (env) => fn(only(env));
        }
        return (env) => fn(...args.map((a) => a(env)));
      }
      if (f.k === 'attr') {
        const name = f.name;
        if (f.obj.k === 'name' && f.obj.n === 'json' && !Object.hasOwn(scope.properties, 'json')) {
          const fn = JSON_FUNCTIONS[name];
          if (!fn) throw new ExpressionError(`json has no function "${name}" (dumps, loads)`);
          return (env) => fn(...args.map((a) => a(env)));
        }
        const obj = compileNode(f.obj, scope);
        return (env) =>
          callMethod(
            obj(env),
            name,
            args.map((a) => plain(a(env))),
          );
      }
      throw new ExpressionError('only functions and methods can be called');
    }
  }
}

/** A compiled stream-map expression: its evaluator and the schema of what it yields. */
export interface CompiledExpression {
  evaluate: Evaluator;
  schema: JsonSchema;
}

/** Parses and compiles `text` against a stream's properties; throws ExpressionError on a syntax error or unknown name. */
export function compileExpression(text: string, scope: ExpressionScope): CompiledExpression {
  const node = parseExpression(text);
  return { evaluate: compileNode(node, scope), schema: outputSchema(node, scope) };
}

// ---- output schema inference (documented in docs/transforms.md) ----

const STRING_METHODS = new Set(['lower', 'upper', 'strip', 'lstrip', 'rstrip', 'title', 'capitalize', 'replace', 'zfill', 'join']);

function typed(type: string): JsonSchema {
  return { type };
}

function nonNull(schema: JsonSchema): string[] {
  return schemaTypes(schema).filter((t) => t !== 'null');
}

function union(a: JsonSchema, b: JsonSchema): JsonSchema {
  const ta = schemaTypes(a);
  const tb = schemaTypes(b);
  if (ta.length === 0 || tb.length === 0) return {};
  const types = [...new Set([...ta, ...tb])];
  // Integers meet floats in number.
  if (types.includes('integer') && types.includes('number')) types.splice(types.indexOf('integer'), 1);
  const same = stringifyExactJson({ ...a, type: undefined }) === stringifyExactJson({ ...b, type: undefined });
  return { ...(same ? a : {}), type: types.length === 1 ? types[0]! : types };
}

function numericResult(a: JsonSchema, b: JsonSchema, op: string): JsonSchema {
  const ta = nonNull(a);
  const tb = nonNull(b);
  if (ta.length === 1 && tb.length === 1 && ta[0] === 'integer' && tb[0] === 'integer' && op !== '/') return typed('integer');
  if ([...ta, ...tb].every((t) => t === 'integer' || t === 'number' || t === 'boolean') && ta.length > 0 && tb.length > 0)
    return typed('number');
  return {};
}

/** The schema of an expression's value, from the types of what it reads (the rules in docs/transforms.md). */
function infer(node: Node, scope: ExpressionScope): JsonSchema {
  switch (node.k) {
    case 'lit':
      if (node.v === null) return typed('null');
      if (typeof node.v === 'string') return typed('string');
      if (typeof node.v === 'boolean') return typed('boolean');
      return typed(typeof node.v === 'bigint' || Number.isInteger(node.v) ? 'integer' : 'number');
    case 'name':
      if (Object.hasOwn(scope.properties, node.n)) return scope.properties[node.n]!;
      if (node.n === 'self' && scope.current !== undefined && Object.hasOwn(scope.properties, scope.current))
        return scope.properties[scope.current]!;
      if (RECORD_NAMES.has(node.n) || node.n === 'config') return typed('object');
      return {};
    case 'list':
      return typed('array');
    case 'neg':
      return infer(node.a, scope);
    case 'not':
    case 'cmp':
      return typed('boolean');
    case 'bin': {
      const a = infer(node.a, scope);
      const b = infer(node.b, scope);
      if (node.op === '+' && (nonNull(a).includes('string') || nonNull(b).includes('string'))) return typed('string');
      if (node.op === '+' && nonNull(a)[0] === 'array') return typed('array');
      return numericResult(a, b, node.op);
    }
    case 'and':
    case 'or':
    case 'if':
      return union(infer(node.a, scope), infer(node.b, scope));
    case 'index':
      if (node.obj.k === 'name' && RECORD_NAMES.has(node.obj.n) && node.idx.k === 'lit' && typeof node.idx.v === 'string') {
        return scope.properties[node.idx.v] ?? {};
      }
      return nonNull(infer(node.obj, scope))[0] === 'string' ? typed('string') : {};
    case 'slice':
      return nonNull(infer(node.obj, scope))[0] === 'string' ? typed('string') : typed('array');
    case 'attr':
      return {};
    case 'call': {
      const f = node.f;
      if (f.k === 'name') {
        switch (f.n) {
          case 'md5':
          case 'sha256':
          case 'str':
            return typed('string');
          case 'int':
          case 'len':
            return typed('integer');
          case 'float':
            return typed('number');
          case 'bool':
            return typed('boolean');
          case 'round':
            return typed(node.args.length > 1 ? 'number' : 'integer');
          case 'abs':
            return node.args[0] ? numericResult(infer(node.args[0], scope), typed('integer'), '+') : {};
          default:
            return node.args.length > 0 ? node.args.map((a) => infer(a, scope)).reduce(union) : {};
        }
      }
      if (f.k === 'attr') {
        if (f.obj.k === 'name' && f.obj.n === 'json') return f.name === 'dumps' ? typed('string') : {};
        if (STRING_METHODS.has(f.name)) return typed('string');
        if (f.name === 'startswith' || f.name === 'endswith') return typed('boolean');
        if (f.name === 'find' || f.name === 'count') return typed('integer');
        if (f.name === 'split' || f.name === 'keys' || f.name === 'values') return typed('array');
        if (
          f.name === 'get' &&
          f.obj.k === 'name' &&
          RECORD_NAMES.has(f.obj.n) &&
          node.args[0]?.k === 'lit' &&
          typeof node.args[0].v === 'string'
        ) {
          return scope.properties[node.args[0].v] ?? {};
        }
      }
      return {};
    }
  }
}

/** A bare reference to a property keeps its schema as is; anything computed may be null. */
function outputSchema(node: Node, scope: ExpressionScope): JsonSchema {
  const schema = infer(node, scope);
  const isReference = node.k === 'name' || (node.k === 'index' && node.obj.k === 'name' && RECORD_NAMES.has(node.obj.n));
  const types = schemaTypes(schema);
  if (isReference || types.length === 0 || types.includes('null')) return schema;
  const { type: _type, ...rest } = schema;
  const keep = types.includes('string') && types.length === 1 ? rest : {};
  return { ...keep, type: [...types, 'null'] };
}
