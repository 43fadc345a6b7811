import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { InterpolatedValue } from '../connector/config.js';
import { ConfigError } from '../errors.js';
import type { StreamOverride } from '../runner/stream-selection.js';
import type { AfterLoadStep } from '../transform/after-load.js';
import type { TransformStep } from '../transform/transform-steps.js';

export interface ConnectorRef {
  name?: string;
  package?: string;
  command?: string;
  args?: string[];
  config?: Record<string, unknown>;
  /**
   * The values `${VAR}` put into `config` (set by `loadPipelineFile`, never read from the file): treated as
   * secrets where the connector's spec does not describe the setting (see `secretValues`).
   */
  interpolated?: InterpolatedValue[];
}

/** A pipeline file, after interpolation and validation. See docs/pipeline-config.md. */
export interface PipelineConfig {
  id: string;
  source: ConnectorRef;
  destination: ConnectorRef;
  streams?: Record<string, StreamOverride>;
  /** What to sync: Meltano-style patterns, applied before `streams`. */
  select?: string[];
  /** Where state is kept: files (default) or a PostgreSQL table (`backend: postgres`, `url`, optional `schema`/`table`). */
  state?: { backend?: 'file' | 'postgres'; path?: string; url?: string; schema?: string; table?: string };
  /** Follow mode: log-based streams keep streaming until the run is stopped. */
  follow?: boolean;
  /** In follow mode, the longest a change waits before the destination commits it (seconds, default 1). */
  max_lag_seconds?: number;
  options?: { validate_records?: boolean; buffer_records?: number };
  /** Between source and destination, in order: stream_maps, module, sql steps (docs/transforms.md). */
  transforms?: TransformStep[];
  /** After the last commit of a successful run: sql (in the destination) and command steps. */
  after_load?: AfterLoadStep[];
  /** Directory of the pipeline file: relative paths in it are resolved from here. */
  baseDir: string;
}

/** The JSON Schema of pipeline files (also published as @mage-int/core/pipeline-schema.json). */
export const pipelineSchema: Record<string, unknown> = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../pipeline-schema.json', import.meta.url)), 'utf8'),
) as Record<string, unknown>;

// Compiled at first use, not at import: compiling took ~90 ms of every program's start, runs of no pipeline file included.
let pipelineValidator: ValidateFunction | undefined;
const validatePipeline = (): ValidateFunction =>
  (pipelineValidator ??= new Ajv({ strict: false, allErrors: true, useDefaults: true }).compile(pipelineSchema));

const VARIABLE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${VAR}` and `${VAR:-default}` in every string of a parsed document; `$${` stays a literal `${`.
 * A variable that is unset or empty and has no default is an error naming it and where it is used. Each
 * value taken from the environment is added to `found` with the path of the string it went into.
 */
export function interpolateEnv(value: unknown, env: Record<string, string | undefined>, path = '', found?: InterpolatedValue[]): unknown {
  if (typeof value === 'string') {
    return value.replace(VARIABLE, (match, name: string | undefined, fallback: string | undefined) => {
      if (match === '$${') return '${';
      const current = env[name as string];
      if (current !== undefined && current !== '') {
        found?.push({ path, value: current });
        return current;
      }
      if (fallback !== undefined) return fallback;
      const state = current === undefined ? 'is not set' : 'is set but empty';
      throw new ConfigError('ENV_VAR_MISSING', `environment variable ${name} ${state} (used at ${path || 'top level'})`, {
        field: path || undefined,
        hint: `export ${name}=… (a non-empty value) before running, or write \${${name}:-default} in the pipeline file`,
      });
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => interpolateEnv(item, env, `${path}[${i}]`, found));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateEnv(v, env, path ? `${path}.${k}` : k, found)]));
  }
  return value;
}

/** Gives each connector of a loaded pipeline the `${VAR}` values of its own config, paths relative to it. */
function attachInterpolated(config: PipelineConfig, found: readonly InterpolatedValue[]): PipelineConfig {
  const of = (end: 'source' | 'destination'): ConnectorRef => ({
    ...config[end],
    interpolated: found
      .filter((v) => v.path.startsWith(`${end}.config.`))
      .map((v) => ({ path: v.path.slice(`${end}.config.`.length), value: v.value })),
  });
  return { ...config, source: of('source'), destination: of('destination') };
}

type SchemaError = NonNullable<ValidateFunction['errors']>[number];

/**
 * A `oneOf` of step kinds (transforms, after_load) fails in every branch; only the branch whose kind key the step has
 * is worth reporting (`"streams" is not a known key` for a stream_maps step), or one line when it has none.
 */
function oneOfBranchErrors(errors: SchemaError[]): SchemaError[] {
  let out = errors;
  for (const failed of errors.filter((e) => e.keyword === 'oneOf')) {
    if (!out.includes(failed)) continue; // inside a branch already set aside
    const inBranch = (e: SchemaError) =>
      e !== failed && e.instancePath.startsWith(failed.instancePath) && e.schemaPath.startsWith(`${failed.schemaPath}/`);
    const branches = new Map<string, SchemaError[]>();
    for (const e of errors.filter(inBranch)) {
      const branch = e.schemaPath.slice(failed.schemaPath.length + 1).split('/')[0]!;
      branches.set(branch, [...(branches.get(branch) ?? []), e]);
    }
    // The branch of the step's kind is the one that does not miss its required key.
    const chosen = [...branches.values()].find(
      (list) => !list.some((e) => e.keyword === 'required' && e.instancePath === failed.instancePath),
    );
    const kinds = [...branches.values()].flatMap((list) =>
      list.filter((e) => e.keyword === 'required').map((e) => (e.params as { missingProperty: string }).missingProperty),
    );
    const replacement: SchemaError[] = chosen ?? [
      { ...failed, keyword: 'kind', message: `is a step of no known kind (it needs one of: ${[...new Set(kinds)].join(', ')})` },
    ];
    out = [...out.filter((e) => e !== failed && !inBranch(e)), ...replacement];
  }
  return out;
}

/** Validates a parsed pipeline document (already interpolated) and fills defaults. */
export function parsePipelineConfig(document: unknown, options: { id?: string; baseDir?: string; file?: string } = {}): PipelineConfig {
  const where = options.file ? `pipeline file ${options.file}` : 'pipeline';
  const validate = validatePipeline();
  if (!validate(document)) {
    const problems = oneOfBranchErrors(validate.errors ?? [])
      .filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'if')
      .map((e) => {
        const at = e.instancePath.split('/').slice(1).join('.') || '(top level)';
        if (e.keyword === 'additionalProperties')
          return `${at}: "${(e.params as { additionalProperty: string }).additionalProperty}" is not a known key`;
        if (e.keyword === 'required') return `${at}: "${(e.params as { missingProperty: string }).missingProperty}" is required`;
        if (e.keyword === 'enum')
          return `${at}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
        return `${at}: ${e.message ?? 'is invalid'}`;
      });
    throw new ConfigError('PIPELINE_INVALID', `${where} is invalid: ${[...new Set(problems)].join('; ')}`, {
      hint: 'see docs/pipeline-config.md; the file schema is @mage-int/core/pipeline-schema.json',
    });
  }
  const doc = document as Omit<PipelineConfig, 'id' | 'baseDir'> & { id?: string };
  return { ...doc, id: doc.id ?? options.id ?? 'pipeline', baseDir: options.baseDir ?? process.cwd() };
}

/** Reads a YAML (or JSON) pipeline file: parse, interpolate `${ENV_VAR}`, validate. */
export async function loadPipelineFile(path: string, env: Record<string, string | undefined> = process.env): Promise<PipelineConfig> {
  const absolute = resolve(path);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    throw new ConfigError('PIPELINE_UNREADABLE', `cannot read pipeline file ${path}: ${(error as Error).message}`);
  }
  let document: unknown;
  try {
    document = parseYaml(text, { intAsBigInt: false });
  } catch (error) {
    const detail =
      error instanceof YAMLParseError
        ? `line ${error.linePos?.[0]?.line ?? '?'}: ${error.message.split('\n')[0]}`
        : (error as Error).message;
    throw new ConfigError('PIPELINE_YAML_INVALID', `pipeline file ${path} is not valid YAML (${detail})`);
  }
  const interpolated: InterpolatedValue[] = [];
  const config = parsePipelineConfig(interpolateEnv(document, env, '', interpolated), {
    id: basename(absolute, extname(absolute)).replace(/[^A-Za-z0-9._-]/g, '_'),
    baseDir: dirname(absolute),
    file: path,
  });
  return attachInterpolated(config, interpolated);
}
