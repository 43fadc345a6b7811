import type { RecordData, SourceStream, StreamBatch, StreamSync } from '@mage-int/core';
import { call, type HubSpotConnection } from './hubspot-client.js';
import { ASSOCIATION_PAIRS, CRM_OBJECTS } from './streams.js';

/**
 * associations between CRM records, one record per associated pair (`contacts` 1 → `companies` 2) with its
 * association types (labels) as JSON; FULL_TABLE. For each pair of object types, the ids of the "from" records
 * are listed (`GET /crm/v3/objects/{type}`, no properties) and their associations read 100 at a time through
 * associations v4 batch read (`POST /crm/v4/associations/{from}/{to}/batch/read`), following each record's own
 * `after` when it has more than a page of them.
 */
export class AssociationsStream implements SourceStream {
  readonly name = 'associations';
  readonly keyProperties = ['from_object_type', 'from_id', 'to_object_type', 'to_id'] as const;
  readonly methods = ['FULL_TABLE'] as const;

  constructor(private readonly connection: HubSpotConnection) {}

  async *read(sync: StreamSync): AsyncGenerator<StreamBatch> {
    const { connection } = this;
    for (const [from, to] of ASSOCIATION_PAIRS) {
      const scope = CRM_OBJECTS.find((o) => o.objectType === from)?.scope ?? 'crm.objects.contacts.read';
      const list = { stream: this.name, request: `GET /crm/v3/objects/${from}`, scope };
      const batch = { stream: this.name, request: `POST /crm/v4/associations/${from}/${to}/batch/read`, scope };
      let after: string | undefined;
      do {
        sync.signal.throwIfAborted();
        const page = await call(connection, list, () => connection.objects.getPage(from, 100, after, [], undefined, undefined, false));
        let inputs = page.results.map((object) => ({ id: object.id }));
        const records: RecordData[] = [];
        while (inputs.length > 0) {
          const answer = await call(connection, batch, () => connection.associations.getPage(from, to, { inputs }));
          const more: { id: string; after: string }[] = [];
          for (const result of answer.results) {
            const fromId = String(result._from.id);
            for (const target of result.to) {
              records.push({
                from_object_type: from,
                from_id: fromId,
                to_object_type: to,
                to_id: String(target.toObjectId),
                association_types: JSON.parse(JSON.stringify(target.associationTypes)) as unknown,
              });
            }
            const next = result.paging?.next?.after;
            if (next) more.push({ id: fromId, after: next });
          }
          inputs = more;
        }
        yield { records, time_extracted: new Date().toISOString() };
        after = page.paging?.next?.after;
      } while (after !== undefined);
    }
  }
}
