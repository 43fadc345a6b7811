import { Ajv, type ErrorObject } from 'ajv';
import { ConfigError } from '../errors.js';
import type { JsonSchema } from '../protocol/json-schema.js';

// `format` in a spec ("path", "date-time") is a hint for people and tools, not checked here: without
// validateFormats: false ajv prints "unknown format ignored" to the console for every such field.
const ajv = new Ajv({
  strict: false,
  allErrors: true,
  useDefaults: true,
  coerceTypes: false,
  allowUnionTypes: true,
  validateFormats: false,
});

/** A value `${VAR}` interpolation put into a connector config: where (`auth.token`, `hosts[0]`) and what. */
export interface InterpolatedValue {
  path: string;
  value: string;
}

function isSecret(schema: JsonSchema | undefined): boolean {
  return schema?.secret === true || schema?.writeOnly === true || schema?.['x-secret'] === true;
}

// Setting names that hold credentials, for configs no spec describes (external taps, open maps such as
// `headers`). Matched on whole words of snake_case, kebab-case or camelCase names.
const SECRET_WORDS = new Set([
  'password',
  'passwd',
  'pwd',
  'passphrase',
  'secret',
  'secrets',
  'token',
  'tokens',
  'credential',
  'credentials',
  'apikey',
  'authorization',
  'cookie',
]);
const SECRET_PHRASES = [
  'api_key',
  'private_key',
  'access_key',
  'secret_key',
  'session_key',
  'signing_key',
  'encryption_key',
  'account_key',
  'master_key',
  'connection_string',
];
// …unless the name says the value only points at one: `token_url`, `private_key_path`, `access_key_id`.
const NOT_SECRET_LAST_WORDS = new Set([
  'url',
  'uri',
  'endpoint',
  'path',
  'file',
  'dir',
  'type',
  'method',
  'id',
  'name',
  'expires',
  'expiry',
]);

/** Whether a setting's name says it holds a credential (`password`, `clientSecret`, `x-api-key`, `aws_secret_access_key`). */
export function isSecretName(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  if (words.length === 0 || NOT_SECRET_LAST_WORDS.has(words[words.length - 1]!)) return false;
  const joined = `_${words.join('_')}_`;
  return words.some((word) => SECRET_WORDS.has(word)) || SECRET_PHRASES.some((phrase) => joined.includes(`_${phrase}_`));
}

/** A schema with the members of its `allOf` / `anyOf` / `oneOf` (recursively) and local `$ref`s followed. */
function branches(schema: JsonSchema, root: JsonSchema, seen = new Set<JsonSchema>()): JsonSchema[] {
  if (seen.has(schema)) return [];
  seen.add(schema);
  const out = [schema];
  const ref = schema['$ref'];
  if (typeof ref === 'string' && ref.startsWith('#/')) {
    let target: unknown = root;
    for (const part of ref.slice(2).split('/'))
      target = (target as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    if (target && typeof target === 'object') out.push(...branches(target as JsonSchema, root, seen));
  }
  for (const member of [...(schema.allOf ?? []), ...(schema.anyOf ?? []), ...(schema.oneOf ?? [])])
    out.push(...branches(member, root, seen));
  return out;
}

/** The schemas a spec gives for property `key`: its `properties` entry, else matching `patternProperties`, else `additionalProperties`. */
function propertySchemas(schemas: readonly JsonSchema[], key: string): { explicit: boolean; schemas: JsonSchema[] } {
  const explicit = schemas.flatMap((s) => (s.properties?.[key] ? [s.properties[key]] : []));
  if (explicit.length > 0) return { explicit: true, schemas: explicit };
  const pattern = schemas.flatMap((s) =>
    Object.entries((s['patternProperties'] as Record<string, JsonSchema> | undefined) ?? {}).flatMap(([regex, child]) =>
      new RegExp(regex, 'u').test(key) ? [child] : [],
    ),
  );
  const additional = schemas.flatMap((s) => (typeof s.additionalProperties === 'object' ? [s.additionalProperties] : []));
  return { explicit: false, schemas: [...pattern, ...additional] };
}

function itemSchemas(schemas: readonly JsonSchema[], index: number): JsonSchema[] {
  return schemas.flatMap((s) => {
    const prefix = s['prefixItems'] as JsonSchema[] | undefined;
    if (prefix?.[index]) return [prefix[index]];
    if (Array.isArray(s.items)) return s.items[index] ? [s.items[index]] : [];
    return s.items ? [s.items] : [];
  });
}

interface ConfigLeaf {
  path: string;
  segments: (string | number)[];
  value: unknown;
  /** The spec marks it (or a setting holding it) secret, or no spec describes it and its name says so. */
  secret: boolean;
  /** Some schema of the spec describes this value. */
  described: boolean;
}

/** Every scalar of a config with what the spec (through combinators, items and open maps) says about it. */
function* configLeaves(
  root: JsonSchema,
  schemas: readonly JsonSchema[],
  value: unknown,
  segments: (string | number)[],
  path: string,
  secret: boolean,
  described: boolean,
): Generator<ConfigLeaf> {
  const expanded = schemas.flatMap((s) => branches(s, root));
  const isSecretHere = secret || expanded.some(isSecret);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const children = itemSchemas(expanded, i);
      yield* configLeaves(root, children, value[i], [...segments, i], `${path}[${i}]`, isSecretHere, children.length > 0);
    }
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      const found = propertySchemas(expanded, key);
      // The author of a spec decides for the settings it names; names alone decide for keys it does not.
      const byName = !found.explicit && isSecretName(key);
      yield* configLeaves(
        root,
        found.schemas,
        child,
        [...segments, key],
        path ? `${path}.${key}` : key,
        isSecretHere || byName,
        found.schemas.length > 0,
      );
    }
  } else {
    yield { path, segments, value, secret: isSecretHere, described };
  }
}

/**
 * The paths of config fields a spec marks `secret: true` / `writeOnly`, through `allOf`/`anyOf`/`oneOf`, `items`
 * (`hosts[].password`) and `additionalProperties` (`headers.*`).
 */
export function secretPaths(spec: JsonSchema, prefix = '', root: JsonSchema = spec, seen = new Set<JsonSchema>()): string[] {
  const out: string[] = [];
  for (const schema of branches(spec, root)) {
    if (seen.has(schema)) continue;
    seen.add(schema);
    const children: [string, JsonSchema][] = Object.entries(schema.properties ?? {}).map(([name, child]) => [
      prefix ? `${prefix}.${name}` : name,
      child,
    ]);
    if (typeof schema.additionalProperties === 'object') children.push([prefix ? `${prefix}.*` : '*', schema.additionalProperties]);
    for (const items of Array.isArray(schema.items) ? schema.items : schema.items ? [schema.items] : [])
      children.push([`${prefix}[]`, items]);
    for (const [path, child] of children) {
      if (branches(child, root).some(isSecret)) out.push(path);
      else out.push(...secretPaths(child, path, root, seen));
    }
  }
  return [...new Set(out)];
}

// Ports, counts and flags: an interpolated value spelling a number or a boolean is configuration, not a credential
// (redacting "5432" would also mangle every log line containing those digits).
const PLAIN_SCALAR = /^(true|false|-?\d+(\.\d+)?)$/;

/** The config's secret scalars, each with the text to hide: its value, or only the part(s) `${VAR}` put in. */
function secretLeaves(
  spec: JsonSchema,
  config: unknown,
  interpolated: readonly InterpolatedValue[],
): { leaf: ConfigLeaf; hidden: string[] }[] {
  const fromEnv = new Map<string, string[]>();
  for (const { path, value } of interpolated) if (!PLAIN_SCALAR.test(value)) fromEnv.set(path, [...(fromEnv.get(path) ?? []), value]);
  const out: { leaf: ConfigLeaf; hidden: string[] }[] = [];
  for (const leaf of configLeaves(spec, [spec], config, [], '', false, true)) {
    const scalar = typeof leaf.value === 'string' || typeof leaf.value === 'number' || typeof leaf.value === 'bigint';
    if (leaf.secret && scalar) out.push({ leaf, hidden: [String(leaf.value)] });
    // In `https://${HOST}/api?key=${KEY}` only the variables' values count, each on its own.
    else if (!leaf.described && fromEnv.has(leaf.path)) out.push({ leaf, hidden: fromEnv.get(leaf.path)! });
  }
  return out;
}

/**
 * The secret values present in a config, for a logger to redact: fields the spec marks secret; where no spec
 * describes a setting (an external tap, an open map), those whose name says credential (`password`, `api_key`,
 * `client_secret`, …) and every value `${VAR}` put into it (`interpolated`), unless that is a plain number or
 * true/false.
 */
export function secretValues(spec: JsonSchema, config: unknown, interpolated: readonly InterpolatedValue[] = []): string[] {
  const out = new Set(secretLeaves(spec, config, interpolated).flatMap(({ hidden }) => hidden));
  out.delete('');
  return [...out];
}

/** A copy of `config` with secret fields (as `secretValues` finds them) replaced by `***`, safe to print. */
export function redactConfig<T>(spec: JsonSchema, config: T, interpolated: readonly InterpolatedValue[] = []): T {
  const copy = structuredClone(config);
  for (const { leaf } of secretLeaves(spec, config, interpolated)) {
    if (leaf.segments.length === 0 || leaf.value === undefined || leaf.value === null) continue;
    let holder = copy as Record<string | number, unknown>;
    for (const segment of leaf.segments.slice(0, -1)) holder = holder[segment] as Record<string | number, unknown>;
    holder[leaf.segments[leaf.segments.length - 1]!] = '***';
  }
  return copy;
}

const compiled = new WeakMap<JsonSchema, ReturnType<typeof ajv.compile>>();

/**
 * Other names of settings: a spec property `{"x-alias-of": "name"}` is another name for setting `name`; its value moves
 * there (the connector only ever sees `name`). Two kinds:
 * - `"deprecated": true`: a renamed setting, kept so a config written for the previous minor version still loads;
 *   `warn` is told once per name what to change. When both names are given the new one wins.
 * - without `deprecated`: a name another tool documents for the same setting (Mage's `client_secret` for Stripe's
 *   `api_key`), accepted for good and silently. Given together with the setting's own name, the two must agree.
 * `"x-alias-scale": 0.001` multiplies a numeric value on the way (a renamed setting that changed its unit:
 * `batch_max_age_ms` → `batch_max_age_seconds`); `"x-alias-values": {"infer": "auto"}` translates the other tool's
 * words for values.
 */
function applyAliases(spec: JsonSchema, config: Record<string, unknown>, connector: string, warn?: (message: string) => void): void {
  for (const [name, child] of Object.entries(spec.properties ?? {})) {
    const target = child['x-alias-of'];
    if (typeof target !== 'string' || !(name in config)) continue;
    const scale = child['x-alias-scale'];
    // `"x-alias-values": {"infer": "auto"}`: the other tool's word for a value (Mage's file_type `infer`).
    const words = child['x-alias-values'] as Record<string, unknown> | undefined;
    const raw = config[name];
    const value =
      typeof scale === 'number' && typeof raw === 'number'
        ? raw * scale
        : typeof raw === 'string' && words && Object.hasOwn(words, raw)
          ? words[raw]
          : raw;
    const deprecated = child.deprecated === true;
    if (!deprecated && target in config && JSON.stringify(config[target]) !== JSON.stringify(value)) {
      throw new ConfigError(
        'CONFIG_INVALID',
        `invalid config for ${connector}: "${name}" and "${target}" are the same setting ("${name}" is another name for "${target}") but have different values`,
        {
          field: name,
          hint: `give only one of them`,
        },
      );
    }
    if (!(target in config)) config[target] = value;
    delete config[name];
    if (deprecated) warn?.(`${connector}: setting "${name}" is deprecated, use "${target}"`);
  }
}

/**
 * What the spec says about setting `name` as written in a config: its own property, and for another name of a
 * setting (`x-alias-of`) the setting's type and format under the alias's own keys. For steps that look at a
 * config before `validateConfig` moves aliases (turning `${VAR}` text into numbers, resolving paths).
 */
export function settingSchema(spec: JsonSchema, name: string): JsonSchema | undefined {
  const own = spec.properties?.[name];
  const target = own?.['x-alias-of'];
  return typeof target === 'string' ? { ...spec.properties?.[target], ...own } : own;
}

/** Whether a setting's schema takes null: a `type` with "null", else an enum or const holding it, else no constraint. */
function acceptsNull(schema: JsonSchema, root: JsonSchema): boolean {
  return branches(schema, root).some((s) => {
    const type = s.type;
    if (type !== undefined) return type === 'null' || (Array.isArray(type) && type.includes('null'));
    if (Array.isArray(s.enum)) return s.enum.includes(null);
    if ('const' in s) return s['const'] === null;
    return s['$ref'] === undefined && !s.anyOf && !s.oneOf && !s.allOf;
  });
}

/**
 * Mage's config templates write null for the optional settings they leave unset (`prefix: null`, `table: null`,
 * `headers: null`), and Mage reads null as not given: so does this, for a top-level setting that does not itself take
 * null (its default applies; a required one is reported missing). A setting the spec does not know stays refused.
 */
function dropUnsetNulls(spec: JsonSchema, config: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(config)) {
    if (value !== null) continue;
    const schema = settingSchema(spec, name);
    if (schema !== undefined && !acceptsNull(schema, spec)) delete config[name];
  }
}

function valueAt(value: unknown, instancePath: string): unknown {
  let current = value;
  for (const part of instancePath.split('/').slice(1))
    current = (current as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  return current;
}

/**
 * A JSON pointer as a dotted path for people; an item of a list of named objects is shown by its name
 * (`resources[comments].endpoint.path`, not `resources.1.endpoint.path`).
 */
function readablePath(instancePath: string, root: unknown): string {
  let current = root;
  let out = '';
  for (const raw of instancePath.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const item = (current as Record<string, unknown> | undefined)?.[part];
    const name =
      Array.isArray(current) && typeof item === 'object' && item !== null ? (item as Record<string, unknown>)['name'] : undefined;
    out += typeof name === 'string' && name !== '' ? `[${name}]` : `${out === '' ? '' : '.'}${part}`;
    current = item;
  }
  return out;
}

/** One validation error as a sentence for people; `got` is the offending value (omitted when it holds a secret). */
function describeProblem(error: ErrorObject, value: unknown, secrets: readonly string[], root?: unknown): string {
  const path = readablePath(error.instancePath, root);
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    return `"${path ? `${path}.${missing}` : missing}" is required`;
  }
  if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperty: string }).additionalProperty;
    return `"${path ? `${path}.${extra}` : extra}" is not a known setting`;
  }
  const text = JSON.stringify(value);
  const got = text === undefined || secrets.some((secret) => text.includes(secret)) ? '' : ` (got ${text})`;
  if (error.keyword === 'enum') {
    const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
    return `"${path}" must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}${got}`;
  }
  const expected = [(error.params as { type?: string | string[] }).type ?? []].flat();
  if (error.keyword === 'type' && expected.includes('string') && (typeof value === 'number' || typeof value === 'boolean')) {
    // YAML reads `password: 0123` as the number 123 and `on` or `yes` may be booleans: turning them back into
    // text could change them, so the value is refused with how to write it instead.
    const name = path.split('.').pop() ?? path;
    return `"${path}" must be a string, not a ${typeof value}${got}: quote it (${name}: "…") — unquoted digits or true/false are read as a ${typeof value}, and leading zeros are lost`;
  }
  return `"${path}" ${error.message ?? 'is invalid'}${got}`;
}

/**
 * Validates a connector config against its spec before any connection is made, filling defaults. A null for a
 * setting that does not take null counts as not given (Mage's templates write null for unset settings).
 * Errors name every offending field and list the allowed values of an enum; secret values never appear in
 * the message. A number or boolean where the spec wants a string is refused with a hint to quote it.
 */
export function validateConfig<Config>(spec: JsonSchema, config: unknown, connector: string, warn?: (message: string) => void): Config {
  let validate = compiled.get(spec);
  if (!validate) {
    validate = ajv.compile(spec);
    compiled.set(spec, validate);
  }
  const copy = structuredClone(config ?? {});
  if (copy && typeof copy === 'object' && !Array.isArray(copy)) {
    dropUnsetNulls(spec, copy as Record<string, unknown>);
    applyAliases(spec, copy as Record<string, unknown>, connector, warn);
  }
  if (validate(copy)) {
    // `"x-ignored": true`: another tool's setting that means nothing here (Mage's `connection_method: direct`): checked
    // against its schema above, then dropped, so the connector never sees it; `"x-ignored-warning"` is said when given
    // (a null, a template's unset value, says nothing).
    for (const [name, child] of Object.entries(spec.properties ?? {})) {
      if (child['x-ignored'] !== true) continue;
      const settings = copy as Record<string, unknown>;
      if (settings[name] !== undefined && settings[name] !== null && typeof child['x-ignored-warning'] === 'string')
        warn?.(`${connector}: ${name} ${child['x-ignored-warning']}`);
      delete settings[name];
    }
    return copy as Config;
  }
  const secrets = secretValues(spec, copy);
  const errors = (validate.errors ?? []).filter(
    (e) => !['anyOf', 'oneOf', 'if'].includes(e.keyword) || (validate.errors ?? []).length === 1,
  );
  const problems = [...new Set(errors.map((error) => describeProblem(error, valueAt(copy, error.instancePath), secrets, copy)))];
  const first = errors[0];
  throw new ConfigError('CONFIG_INVALID', `invalid config for ${connector}: ${problems.join('; ')}`, {
    field: first ? readablePath(first.instancePath, copy) || undefined : undefined,
    hint: `see the ${connector} config reference (its spec.json / README)`,
  });
}
