import type { RecordData } from '@mage-int/core';
import type { ProcessingStep } from './generated/config.js';
import { filterPredicate } from './json-path.js';
import { fill, type PlaceholderValues } from './placeholders.js';

/** A record transform: the resource's processing steps in order; undefined drops the record. */
export type RecordStep = (record: RecordData, values: PlaceholderValues) => RecordData | undefined;

/** A copy of `record` without the field at a dotted path (objects on the path are copied, the rest shared). */
function withoutPath(record: Record<string, unknown>, parts: readonly string[]): Record<string, unknown> {
  const [head, ...rest] = parts as [string, ...string[]];
  if (!(head in record)) return record;
  const out = { ...record };
  if (rest.length === 0) delete out[head];
  else {
    const child = out[head];
    if (typeof child === 'object' && child !== null && !Array.isArray(child))
      out[head] = withoutPath(child as Record<string, unknown>, rest);
  }
  return out;
}

/** Compiles `processing_steps` (filters are RFC 9535 filter expressions, nothing is evaluated as code). */
export function compileSteps(steps: readonly ProcessingStep[], stream: string): RecordStep[] {
  return steps.map((step, i): RecordStep => {
    if (step.filter !== undefined) {
      const keep = filterPredicate(step.filter, { resource: stream, field: `processing_steps[${i}].filter` });
      return (record) => (keep(record) ? record : undefined);
    }
    if (step.add_fields) {
      const fields = step.add_fields;
      return (record, values) => ({
        ...record,
        ...(fill(fields, values, { stream, field: `processing_steps[${i}].add_fields` }) as Record<string, unknown>),
      });
    }
    if (step.remove_fields) {
      const paths = step.remove_fields.map((path) => path.split('.'));
      return (record) => paths.reduce<RecordData>((out, parts) => withoutPath(out, parts), record);
    }
    const renames = Object.entries(step.rename_fields ?? {}) as [string, string][];
    return (record) => {
      const out: RecordData = {};
      for (const [name, value] of Object.entries(record)) out[renames.find(([from]) => from === name)?.[1] ?? name] = value;
      return out;
    };
  });
}
