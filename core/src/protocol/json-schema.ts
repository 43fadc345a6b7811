/** JSON Schema as Singer uses it (draft-07 style, loosely typed: connectors put extra keys on it). */
export interface JsonSchema {
  /** Typed loosely so a spec.json imported as a JSON module is a JsonSchema without casts. */
  type?: JsonSchemaType | JsonSchemaType[] | string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema | JsonSchema[];
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  format?: string;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  multipleOf?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  contentEncoding?: string;
  description?: string;
  title?: string;
  default?: unknown;
  /** mage-int: the field holds a credential; never logged. */
  secret?: boolean;
  writeOnly?: boolean;
  [key: string]: unknown;
}

export type JsonSchemaType = 'null' | 'boolean' | 'integer' | 'number' | 'string' | 'object' | 'array';

/** The list of types a schema allows (empty when it says nothing, which allows anything). */
export function schemaTypes(schema: JsonSchema): JsonSchemaType[] {
  if (schema.type === undefined) {
    const branches = schema.anyOf ?? schema.oneOf;
    if (branches) return [...new Set(branches.flatMap(schemaTypes))];
    return [];
  }
  return (Array.isArray(schema.type) ? schema.type : [schema.type]) as JsonSchemaType[];
}
