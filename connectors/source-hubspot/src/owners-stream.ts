import type { SourceStream, StreamBatch, StreamSync } from '@mage-int/core';
import { call, type HubSpotConnection } from './hubspot-client.js';

/** owners (`GET /crm/v3/owners`, paged by `after`): the users records are assigned to; FULL_TABLE. */
export class OwnersStream implements SourceStream {
  readonly name = 'owners';
  readonly keyProperties = ['id'] as const;
  readonly methods = ['FULL_TABLE'] as const;

  constructor(private readonly connection: HubSpotConnection) {}

  async *read(sync: StreamSync): AsyncGenerator<StreamBatch> {
    const { connection } = this;
    const site = { stream: this.name, request: 'GET /crm/v3/owners', scope: 'crm.objects.owners.read' };
    let after: string | undefined;
    do {
      sync.signal.throwIfAborted();
      const page = await call(connection, site, () => connection.owners.getPage(undefined, after, 100, false));
      yield {
        records: page.results.map((owner) => ({
          ...owner,
          createdAt: owner.createdAt?.toISOString() ?? null,
          updatedAt: owner.updatedAt?.toISOString() ?? null,
          teams: owner.teams ?? null,
        })),
        time_extracted: new Date().toISOString(),
      };
      after = page.paging?.next?.after;
    } while (after !== undefined);
  }
}
