import type { PlannedColumn } from '../src/row-encoder.js';

/** A planned column holding the record field of the same name, of PostgreSQL type `kind`. */
export const fieldColumn = (name: string, kind: PlannedColumn['type']['kind']): PlannedColumn => ({
  column: name,
  type: { kind },
  source: { kind: 'field', field: name },
});
