import { secretPaths, type JsonSchema } from '@mage-int/core';
import { Document, isMap, type YAMLMap } from 'yaml';
import type { Project } from './project.js';

/** What the form shows in a secret field that has a value: the value itself is never sent to the browser. */
export const SECRET_MASK = '********';

const REFERENCE = /^\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}$/;

export interface EndDraft {
  name: string;
  /** Only the settings the user set; unset ones keep the connector's defaults and are not written. */
  config: Record<string, unknown>;
}

export interface PipelineDraft {
  source: EndDraft;
  destination: EndDraft;
}

/** Top-level config keys a spec marks secret. */
export function secretKeys(spec: JsonSchema): Set<string> {
  return new Set(secretPaths(spec).map((p) => p.split(/[.[]/)[0]!));
}

/** A connector's config as written in the file, secrets that are not `${VAR}` references masked. */
export function maskedConfig(spec: JsonSchema, raw: Record<string, unknown>): Record<string, unknown> {
  const secret = secretKeys(spec);
  return Object.fromEntries(
    Object.entries(raw).map(([k, v]) => [k, secret.has(k) && !(typeof v === 'string' && REFERENCE.test(v)) ? SECRET_MASK : v]),
  );
}

/**
 * The config to write: a secret typed into the form goes to the project's secrets file and the pipeline gets
 * `${PIPELINE_END_KEY}`; a `${VAR}` typed by the user is kept; the mask keeps the value the file had.
 */
export async function configToWrite(
  project: Project,
  pipelineName: string,
  end: 'source' | 'destination',
  spec: JsonSchema,
  config: Record<string, unknown>,
  previous: Record<string, unknown>,
  /** Store typed secrets (saving); false keeps them in the returned config only (testing a connection). */
  storeSecrets = true,
): Promise<Record<string, unknown>> {
  const secret = secretKeys(spec);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined || value === null || value === '') continue;
    if (!secret.has(key) || typeof value !== 'string' || REFERENCE.test(value)) out[key] = value;
    else if (value === SECRET_MASK) {
      if (previous[key] !== undefined) out[key] = previous[key];
    } else if (!storeSecrets)
      out[key] = value.replace(/\$\{/g, () => '$${'); // a literal `${` in the typed value
    else {
      const variable = `${pipelineName}_${end}_${key}`.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
      await project.saveSecret(variable, value);
      out[key] = `\${${variable}}`;
    }
  }
  return out;
}

function configMap(doc: Document, end: 'source' | 'destination'): YAMLMap | undefined {
  const node = doc.getIn([end, 'config'], true);
  return isMap(node) ? node : undefined;
}

/** The raw (uninterpolated) config of one end of a pipeline document. */
export function rawConfig(doc: Document, end: 'source' | 'destination'): Record<string, unknown> {
  const map = configMap(doc, end);
  return map ? (map.toJSON() as Record<string, unknown>) : {};
}

/** A new pipeline file as a person would write it. */
export function newPipelineDocument(draft: PipelineDraft): Document {
  const doc = new Document({
    source: { name: draft.source.name, config: draft.source.config },
    destination: { name: draft.destination.name, config: draft.destination.config },
  });
  doc.commentBefore = ' Written by `mage-int ui`; edit it by hand as well: the CLI and the UI read the same file.';
  return doc;
}

/**
 * Applies a draft to an existing document key by key, so comments, key order and everything the form does not
 * know (streams, select, options) stay as they were.
 */
export function updatePipelineDocument(doc: Document, draft: PipelineDraft): void {
  for (const end of ['source', 'destination'] as const) {
    const wanted = draft[end];
    if (doc.getIn([end, 'name']) !== wanted.name) {
      doc.setIn([end, 'name'], wanted.name);
      doc.deleteIn([end, 'package']);
      doc.deleteIn([end, 'command']);
    }
    const map = configMap(doc, end);
    if (!map) {
      doc.setIn([end, 'config'], doc.createNode(wanted.config));
      continue;
    }
    const before = map.toJSON() as Record<string, unknown>;
    for (const key of Object.keys(before)) if (!(key in wanted.config)) map.delete(key);
    for (const [key, value] of Object.entries(wanted.config)) {
      if (JSON.stringify(before[key]) !== JSON.stringify(value)) map.set(key, doc.createNode(value));
    }
  }
}
