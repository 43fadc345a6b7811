// The documented fields of each stream (developer.zendesk.com/api-reference), typed here so keys, cursors and
// timestamps have their types even when discovery samples nothing; fields not listed (custom fields, newer API
// fields) are inferred from the sampled records and still load (the schemas are open).
type FieldType = 'integer' | 'number' | 'string' | 'boolean' | 'date-time' | 'object' | 'array';

function schema(fields: Record<string, FieldType>): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const [name, type] of Object.entries(fields)) {
    properties[name] = type === 'date-time' ? { type: ['string', 'null'], format: 'date-time' } : { type: [type, 'null'] };
  }
  return { type: 'object', properties };
}

const stamped = { id: 'integer', url: 'string', created_at: 'date-time', updated_at: 'date-time' } as const;

export const streamSchemas = {
  tickets: schema({
    ...stamped,
    external_id: 'string',
    type: 'string',
    subject: 'string',
    description: 'string',
    priority: 'string',
    status: 'string',
    requester_id: 'integer',
    submitter_id: 'integer',
    assignee_id: 'integer',
    organization_id: 'integer',
    group_id: 'integer',
    brand_id: 'integer',
    via: 'object',
    tags: 'array',
    custom_fields: 'array',
    due_at: 'date-time',
  }),
  users: schema({
    ...stamped,
    name: 'string',
    email: 'string',
    role: 'string',
    active: 'boolean',
    suspended: 'boolean',
    organization_id: 'integer',
    time_zone: 'string',
    last_login_at: 'date-time',
    tags: 'array',
    user_fields: 'object',
  }),
  organizations: schema({
    ...stamped,
    name: 'string',
    external_id: 'string',
    domain_names: 'array',
    group_id: 'integer',
    tags: 'array',
    organization_fields: 'object',
    deleted_at: 'date-time',
  }),
  groups: schema({ ...stamped, name: 'string', description: 'string', default: 'boolean', deleted: 'boolean', is_public: 'boolean' }),
  ticket_comments: schema({
    id: 'integer',
    ticket_id: 'integer',
    type: 'string',
    author_id: 'integer',
    body: 'string',
    html_body: 'string',
    public: 'boolean',
    attachments: 'array',
    via: 'object',
    created_at: 'date-time',
  }),
  ticket_metrics: schema({
    ...stamped,
    ticket_id: 'integer',
    reopens: 'integer',
    replies: 'integer',
    assignee_updated_at: 'date-time',
    solved_at: 'date-time',
    reply_time_in_minutes: 'object',
    first_resolution_time_in_minutes: 'object',
    full_resolution_time_in_minutes: 'object',
  }),
  satisfaction_ratings: schema({
    ...stamped,
    score: 'string',
    ticket_id: 'integer',
    requester_id: 'integer',
    assignee_id: 'integer',
    group_id: 'integer',
    comment: 'string',
    reason: 'string',
  }),
} satisfies Record<string, Record<string, unknown>>;
