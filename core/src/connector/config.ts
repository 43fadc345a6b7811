import { Ajv } from 'ajv';
import { ConfigError } from '../errors.js';
import type { JsonSchema } from '../protocol/json-schema.js';

// `format` in a spec ("path", "date-time") is a hint for people and tools, not checked here: without
// validateFormats: false ajv prints "unknown format ignored" to the console for every such field.
const ajv = new Ajv({ strict: false, allErrors: true, useDefaults: true, coerceTypes: false, allowUnionTypes: true, validateFormats: false });

function isSecret(schema: JsonSchema | undefined): boolean {
  return schema?.secret === true || schema?.writeOnly === true || schema?.['x-secret'] === true;
}

/** The paths (dot-joined) of config fields marked `secret: true` or `writeOnly` in a spec. */
export function secretPaths(spec: JsonSchema, prefix = ''): string[] {
  const out: string[] = [];
  for (const [name, child] of Object.entries(spec.properties ?? {})) {
    const path = prefix ? `${prefix}.${name}` : name;
    if (isSecret(child)) out.push(path);
    else if (child.properties) out.push(...secretPaths(child, path));
  }
  return out;
}

function getPath(value: unknown, path: string): unknown {
  let current = value;
  for (const part of path.split('.')) current = (current as Record<string, unknown> | undefined)?.[part];
  return current;
}

/** The secret values present in a config, for a logger to redact. */
export function secretValues(spec: JsonSchema, config: unknown): string[] {
  return secretPaths(spec)
    .map((path) => getPath(config, path))
    .filter((v): v is string | number => typeof v === 'string' || typeof v === 'number')
    .map(String)
    .filter((v) => v.length > 0);
}

/** A copy of `config` with secret fields replaced by `***`, safe to print. */
export function redactConfig<T>(spec: JsonSchema, config: T): T {
  const copy = structuredClone(config) as Record<string, unknown>;
  for (const path of secretPaths(spec)) {
    const parts = path.split('.');
    const last = parts.pop() as string;
    const parent = getPath(copy, parts.join('.') || '') ?? copy;
    const holder = (parts.length === 0 ? copy : parent) as Record<string, unknown> | undefined;
    if (holder && holder[last] !== undefined) holder[last] = '***';
  }
  return copy as T;
}

const compiled = new WeakMap<JsonSchema, ReturnType<typeof ajv.compile>>();

/**
 * Renamed settings: a spec property `{"x-alias-of": "new_name", "deprecated": true}` keeps an old name working.
 * Its value moves to the new name (unless that is set too) and `warn` is told once per name, so a config written
 * for the previous minor version still loads while saying what to change.
 */
function applyAliases(spec: JsonSchema, config: Record<string, unknown>, connector: string, warn?: (message: string) => void): void {
  for (const [name, child] of Object.entries(spec.properties ?? {})) {
    const target = child['x-alias-of'];
    if (typeof target !== 'string' || !(name in config)) continue;
    if (!(target in config)) config[target] = config[name];
    delete config[name];
    warn?.(`${connector}: setting "${name}" is deprecated, use "${target}"`);
  }
}

/**
 * Validates a connector config against its spec before any connection is made, filling defaults.
 * Errors name every offending field; secret values never appear in the message.
 */
export function validateConfig<Config>(spec: JsonSchema, config: unknown, connector: string, warn?: (message: string) => void): Config {
  let validate = compiled.get(spec);
  if (!validate) {
    validate = ajv.compile(spec);
    compiled.set(spec, validate);
  }
  const copy = structuredClone(config ?? {});
  if (copy && typeof copy === 'object' && !Array.isArray(copy)) applyAliases(spec, copy as Record<string, unknown>, connector, warn);
  if (validate(copy)) return copy as Config;
  const secrets = new Set(secretPaths(spec));
  const problems = (validate.errors ?? []).map((error) => {
    const path = error.instancePath.split('/').slice(1).join('.');
    if (error.keyword === 'required') {
      const missing = (error.params as { missingProperty: string }).missingProperty;
      return `"${path ? `${path}.${missing}` : missing}" is required`;
    }
    if (error.keyword === 'additionalProperties') {
      const extra = (error.params as { additionalProperty: string }).additionalProperty;
      return `"${path ? `${path}.${extra}` : extra}" is not a known setting`;
    }
    const shown = secrets.has(path) ? '' : ` (got ${JSON.stringify(getPath(copy, path))})`;
    return `"${path}" ${error.message ?? 'is invalid'}${shown}`;
  });
  const first = (validate.errors ?? [])[0];
  throw new ConfigError('CONFIG_INVALID', `invalid config for ${connector}: ${problems.join('; ')}`, {
    field: first ? first.instancePath.split('/').slice(1).join('.') || undefined : undefined,
    hint: `see the ${connector} config reference (its spec.json / README)`,
  });
}
