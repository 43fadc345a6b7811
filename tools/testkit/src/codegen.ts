import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { compile } from 'json-schema-to-typescript';
import type { JsonSchema } from '@mage-int/core';
import shared from '@mage-int/core/destination-settings.json' with { type: 'json' };

/** The markdown config table for a spec: one row per setting, nested objects flattened with dots. */
export function configTable(schema: JsonSchema): string {
  const rows: string[] = [];
  // A `$ref` to the spec's own definitions is shown as what it refers to (its description wins when it has one).
  const definitions = (schema.definitions ?? {}) as Record<string, JsonSchema>;
  const deref = (prop: JsonSchema, seen: ReadonlySet<string>): [JsonSchema, Set<string>] => {
    const ref = typeof prop.$ref === 'string' ? /^#\/definitions\/(.+)$/.exec(prop.$ref)?.[1] : undefined;
    const target = ref === undefined || seen.has(ref) ? undefined : definitions[ref];
    if (!target || ref === undefined) return [prop, new Set(seen)];
    const { $ref: _ref, ...own } = prop;
    return [{ ...target, ...own }, new Set([...seen, ref])];
  };
  const walk = (node: JsonSchema, prefix: string, seen: ReadonlySet<string> = new Set()) => {
    const required = new Set(node.required ?? []);
    for (const [name, raw] of Object.entries(node.properties ?? {})) {
      const [own, inner] = deref(raw, seen);
      // Another tool's name for a setting (no `deprecated`) is shown as what it names: its type, and a pointer to it.
      const target = typeof own['x-alias-of'] === 'string' && own.deprecated !== true ? own['x-alias-of'] : undefined;
      const prop = target === undefined ? own : { ...deref(node.properties?.[target] ?? {}, seen)[0], ...own };
      const path = prefix ? `${prefix}.${name}` : name;
      const type = prop.enum ? prop.enum.map((v) => JSON.stringify(v)).join(' \\| ') : [prop.type ?? 'any'].flat().join(' \\| ');
      const dflt = prop.default === undefined || target !== undefined ? '' : `\`${JSON.stringify(prop.default)}\``;
      const description =
        target !== undefined
          ? `alias of \`${target}\` (Mage's name)${own.description ? `: ${own.description}` : '.'}`
          : own['x-ignored'] === true
            ? `Mage's setting, accepted and ignored${own.description ? `: ${own.description}` : '.'}`
            : (prop.description ?? '');
      const notes = [description, prop.secret || prop.writeOnly ? '(secret: never logged)' : ''].filter(Boolean).join(' ');
      rows.push(
        `| \`${path}\` | ${type} | ${required.has(name) ? 'yes' : ''} | ${dflt} | ${notes.replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`,
      );
      if (prop.type === 'object' && prop.properties) walk(prop, path, inner);
    }
  };
  walk(schema, '');
  return ['| setting | type | required | default | description |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
}

/**
 * The schema of a config after `validateConfig`: every property with a `default` is required (ajv fills it in
 * wherever it fills defaults: `properties` of an object that is present, at any depth, not inside
 * `anyOf`/`oneOf`), and aliases are gone (their value has moved to the setting they name), as are ignored settings.
 */
export function resolvedSchema(spec: JsonSchema): JsonSchema {
  const resolve = (node: JsonSchema): JsonSchema => {
    // A nested `title` would make json-schema-to-typescript emit a named type, clashing with the input type's.
    const { title: _title, ...copy } = node;
    if (copy.properties) {
      const properties: Record<string, JsonSchema> = {};
      const required = new Set(copy.required ?? []);
      for (const [name, child] of Object.entries(copy.properties)) {
        if (typeof child['x-alias-of'] === 'string' || child['x-ignored'] === true) {
          required.delete(name);
          continue;
        }
        properties[name] = resolve(child);
        if (child.default !== undefined) required.add(name);
      }
      copy.properties = properties;
      copy.required = [...required];
    }
    if (copy.items && !Array.isArray(copy.items)) copy.items = resolve(copy.items);
    if (typeof copy.additionalProperties === 'object') copy.additionalProperties = resolve(copy.additionalProperties);
    return copy;
  };
  return resolve(spec);
}

/**
 * Another name for a setting (`{"x-alias-of": "path"}`, no type of its own) takes its setting's type in `Config`, so
 * `file_path: string` is typed as `path` is (without, json-schema-to-typescript would make it an open object).
 */
function aliasesTyped(schema: JsonSchema): JsonSchema {
  for (const property of Object.values(schema.properties ?? {})) {
    const target = property['x-alias-of'];
    const setting = typeof target === 'string' ? schema.properties?.[target] : undefined;
    if (!setting || property.type !== undefined || property.$ref !== undefined) continue;
    const { description: _description, default: _default, title: _title, ...shape } = setting;
    Object.assign(property, { ...shape, ...property });
  }
  return schema;
}

const COMPILE_OPTIONS = {
  additionalProperties: false,
  strictIndexSignatures: true,
  style: { singleQuote: true },
  format: false,
} as const;

/**
 * For the connector package in `directory`: writes src/generated/config.ts from spec.json (json-schema-to-typescript)
 * — `Config`, what a user may write, and `ResolvedConfig`, what `validateConfig` returns: settings with a default are
 * always set, so connector code never repeats a default — and refreshes the README's config table between
 * `<!-- config:start -->` and `<!-- config:end -->`. spec.json is the single source of truth.
 */
export async function generateConnectorCode(directory = '.'): Promise<void> {
  const dir = resolve(directory);
  const spec = await syncSharedSettings(dir, JSON.parse(await readFile(join(dir, 'spec.json'), 'utf8')) as JsonSchema);
  // A root `title` would rename the interface; the generated type is always `Config`.
  const { title: _title, ...schema } = spec;
  const input = await compile(aliasesTyped(structuredClone(schema)) as Parameters<typeof compile>[0], 'Config', {
    ...COMPILE_OPTIONS,
    bannerComment: '/* Generated from spec.json by mage-int-codegen (@mage-int/testkit). Do not edit. */',
  });
  const { description: _description, ...resolved } = resolvedSchema(schema);
  const output = await compile(
    {
      ...structuredClone(resolved),
      description: '`Config` after validateConfig: every setting with a default is set; deprecated names are moved to their new ones.',
    } as Parameters<typeof compile>[0],
    'ResolvedConfig',
    // Types of `definitions` were declared with Config above; declaring them again would clash.
    { ...COMPILE_OPTIONS, bannerComment: '', declareExternallyReferenced: false },
  );
  await mkdir(join(dir, 'src/generated'), { recursive: true });
  await writeFile(join(dir, 'src/generated/config.ts'), `${input}\n${output}`);
  const readmePath = join(dir, 'README.md');
  const readme = await readFile(readmePath, 'utf8').catch(() => undefined);
  if (readme?.includes('<!-- config:start -->')) {
    const updated = readme.replace(
      /<!-- config:start -->[\s\S]*?<!-- config:end -->/,
      `<!-- config:start -->\n${configTable(spec)}\n<!-- config:end -->`,
    );
    if (updated !== readme) await writeFile(readmePath, updated);
  }
}

const SHARED: Record<string, JsonSchema> = shared.properties;

/**
 * Brings the settings every destination shares (core/destination-settings.json: batch_size_rows, hard_delete, …)
 * in line in a connector's spec: their type, bounds and wording come from that one file, the connector keeps its
 * own `default`; a deprecated alias (`"x-alias-of": "batch_size_rows"`) gets its target's type and a
 * "Deprecated" description. Returns the spec, changed in place; spec.json is rewritten when it changed, so
 * the published spec and the README say the same as every other destination.
 */
export async function syncSharedSettings(directory: string, spec: JsonSchema): Promise<JsonSchema> {
  const before = JSON.stringify(spec);
  for (const [name, property] of Object.entries(spec.properties ?? {})) {
    const alias = property['x-alias-of'];
    const source = typeof alias === 'string' ? SHARED[alias] : SHARED[name];
    if (!source) continue;
    const { description, ...shape } = source;
    const own = property.default === undefined || typeof alias === 'string' ? {} : { default: property.default };
    // An alias that changed its unit keeps its own type and scale (`batch_max_age_ms`: integer milliseconds).
    const scale = property['x-alias-scale'];
    const scaled = typeof scale === 'number' ? { type: property.type, minimum: property.minimum, 'x-alias-scale': scale } : {};
    // Another tool's name for a shared setting stays what it is: not deprecated, its own note (if any).
    const otherName = typeof alias === 'string' && property.deprecated !== true;
    const text =
      typeof alias !== 'string'
        ? description
        : otherName
          ? property.description
          : typeof scale === 'number'
            ? `Deprecated: use \`${alias}\` (the same setting under its shared name, in its unit: this value × ${scale}).`
            : `Deprecated: use \`${alias}\` (the same setting under its shared name).`;
    spec.properties![name] = {
      ...shape,
      ...scaled,
      ...own,
      ...(typeof alias === 'string' ? { ...(otherName ? {} : { deprecated: true }), 'x-alias-of': alias } : {}),
      ...(text === undefined ? {} : { description: text }),
    };
  }
  if (JSON.stringify(spec) !== before) await writeFile(join(directory, 'spec.json'), `${JSON.stringify(spec, null, 2)}\n`);
  return spec;
}
