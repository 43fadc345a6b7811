import type { SourceStream, StreamBatch, StreamSync } from '@mage-int/core';
import { call, type HubSpotConnection } from './hubspot-client.js';
import { PIPELINE_OBJECT_TYPES } from './streams.js';

/** pipelines of deals and tickets (`GET /crm/v3/pipelines/{objectType}`), stages kept as JSON; FULL_TABLE. */
export class PipelinesStream implements SourceStream {
  readonly name = 'pipelines';
  readonly keyProperties = ['object_type', 'id'] as const;
  readonly methods = ['FULL_TABLE'] as const;

  constructor(private readonly connection: HubSpotConnection) {}

  async *read(sync: StreamSync): AsyncGenerator<StreamBatch> {
    const { connection } = this;
    for (const objectType of PIPELINE_OBJECT_TYPES) {
      sync.signal.throwIfAborted();
      const site = {
        stream: this.name,
        request: `GET /crm/v3/pipelines/${objectType}`,
        scope: objectType === 'deals' ? 'crm.objects.deals.read' : 'tickets',
      };
      const answer = await call(connection, site, () => connection.pipelines.getAll(objectType));
      yield {
        records: answer.results.map((pipeline) => ({
          object_type: objectType,
          id: pipeline.id,
          label: pipeline.label,
          displayOrder: pipeline.displayOrder,
          createdAt: pipeline.createdAt?.toISOString() ?? null,
          updatedAt: pipeline.updatedAt?.toISOString() ?? null,
          archived: pipeline.archived,
          archivedAt: pipeline.archivedAt?.toISOString() ?? null,
          stages: JSON.parse(JSON.stringify(pipeline.stages)) as unknown,
        })),
        time_extracted: new Date().toISOString(),
      };
    }
  }
}
