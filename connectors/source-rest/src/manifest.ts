import { ConfigError, type JsonSchema } from '@mage-int/core';
import type { Config, Endpoint, ProcessingStep } from './generated/config.js';
import { checkedPath, filterPredicate } from './json-path.js';
import { checkReferences } from './placeholders.js';
import type { Manifest } from './mage-api.js';

export type ResourceConfig = NonNullable<Config['resources']>[number];

/** A resource with its defaults applied and its references checked. */
export interface Resource {
  name: string;
  endpoint: Endpoint & { path: string };
  primaryKey: string[];
  writeDisposition: 'merge' | 'append';
  /** The parent named by `{resources.<parent>.<field>}`, and the fields taken from its records. */
  parent?: { name: string; fields: string[] };
  includeFromParent: string[];
  processingSteps: ProcessingStep[];
  schema?: JsonSchema;
  inferSchema: boolean;
  concurrency: number;
  incrementalDependency: boolean;
  selected: boolean;
}

/** Endpoint settings merge (params and headers key by key); a resource's own win. */
function mergeEndpoint(defaults: Endpoint | undefined, own: Endpoint | undefined, name: string): Endpoint & { path: string } {
  const merged: Endpoint = { ...defaults, ...own };
  if (defaults?.params || own?.params) merged.params = { ...defaults?.params, ...own?.params };
  if (defaults?.headers || own?.headers) merged.headers = { ...defaults?.headers, ...own?.headers };
  return { ...merged, path: merged.path ?? name };
}

/**
 * Applies `resource_defaults` to every resource and checks what the spec cannot: unique names, parents that
 * exist (one per child, no cycles), JSONPaths and filter expressions that parse, merge without a key. Errors name
 * the resource and the setting.
 */
export function resolveResources(config: Manifest): Resource[] {
  const defaults = config.resource_defaults ?? {};
  const names = config.resources.map((r) => r.name);
  const seen = new Set<string>();
  const resources = config.resources.map((own): Resource => {
    if (seen.has(own.name))
      throw new ConfigError('RESOURCE_DUPLICATE', 'two resources have this name', {
        stream: own.name,
        field: 'name',
        hint: 'give every resource its own name',
      });
    seen.add(own.name);
    const r = { ...defaults, ...own };
    const endpoint = mergeEndpoint(defaults.endpoint, own.endpoint, own.name);
    const primaryKey = r.primary_key === undefined ? [] : [r.primary_key].flat();
    const writeDisposition = r.write_disposition ?? (primaryKey.length > 0 ? 'merge' : 'append');
    if (writeDisposition === 'merge' && primaryKey.length === 0) {
      throw new ConfigError('PRIMARY_KEY_MISSING', 'write_disposition merge needs a primary_key', {
        stream: own.name,
        field: 'primary_key',
        hint: 'set primary_key, or use write_disposition: append',
      });
    }
    const refs = [
      ...checkReferences(own.name, endpoint.path, 'endpoint.path', names),
      ...checkReferences(own.name, endpoint.params, 'endpoint.params', names),
      ...checkReferences(own.name, endpoint.json, 'endpoint.json', names),
    ];
    const parents = [...new Set(refs.map((ref) => ref.parent))];
    if (parents.length > 1) {
      throw new ConfigError('PARENT_AMBIGUOUS', `the endpoint refers to several parents (${parents.join(', ')})`, {
        stream: own.name,
        field: 'endpoint',
        hint: 'a child has one parent; chain them (grandchild → child → parent) instead',
      });
    }
    const include = r.include_from_parent ?? [];
    if (include.length > 0 && parents.length === 0) {
      throw new ConfigError(
        'PARENT_MISSING',
        'include_from_parent needs a parent: refer to one with {resources.<parent>.<field>} in the path, params or json',
        { stream: own.name, field: 'include_from_parent' },
      );
    }
    checkPaths(own.name, endpoint);
    for (const [i, step] of (r.processing_steps ?? []).entries())
      if (step.filter !== undefined) filterPredicate(step.filter, { resource: own.name, field: `processing_steps[${i}].filter` });
    return {
      name: own.name,
      endpoint,
      primaryKey: writeDisposition === 'append' ? [] : primaryKey,
      writeDisposition,
      ...(parents[0] ? { parent: { name: parents[0], fields: [...new Set(refs.map((ref) => ref.field))] } } : {}),
      includeFromParent: include,
      processingSteps: r.processing_steps ?? [],
      ...(r.schema ? { schema: r.schema as JsonSchema } : {}),
      inferSchema: r.infer_schema ?? r.schema === undefined,
      concurrency: r.concurrency ?? 1,
      incrementalDependency: r.incremental_dependency ?? false,
      selected: r.selected ?? true,
    };
  });
  for (const resource of resources) checkNoCycle(resource, resources);
  return resources;
}

function checkPaths(name: string, endpoint: Endpoint): void {
  const place = (field: string) => ({ resource: name, field });
  if (endpoint.data_selector) checkedPath(endpoint.data_selector, place('endpoint.data_selector'));
  const p = endpoint.paginator;
  for (const key of ['next_url_path', 'cursor_path', 'total_path', 'has_more_path', 'stop_path'] as const) {
    const value = p?.[key];
    if (typeof value === 'string') checkedPath(value, place(`endpoint.paginator.${key}`));
  }
  for (const [i, action] of (endpoint.response_actions ?? []).entries()) {
    if (action.body_filter) filterPredicate(action.body_filter, place(`endpoint.response_actions[${i}].body_filter`));
  }
}

function checkNoCycle(start: Resource, all: readonly Resource[]): void {
  const chain = [start.name];
  let current = start.parent?.name;
  while (current) {
    if (chain.includes(current)) {
      throw new ConfigError('PARENT_CYCLE', `parents go round in a circle: ${[...chain, current].join(' → ')}`, {
        stream: start.name,
        field: 'endpoint',
        hint: 'a parent cannot depend on its own child',
      });
    }
    chain.push(current);
    const name = current;
    current = all.find((r) => r.name === name)?.parent?.name;
  }
}
