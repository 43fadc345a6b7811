import { getMetadata, keyProperties, type CatalogStream } from '../catalog/catalog.js';
import { ConnectorError } from '../errors.js';

/**
 * A LOG_BASED stream must be a table with a change log and key properties: views (and a source's
 * `log-based-unsupported` relations) have no log, and a change log of a keyless table can only be appended (every
 * UPDATE a new row beside the old one, a DELETE a row of its own), which is not a copy of the table. Shared by the
 * database sources' preflight.
 */
export function assertLogBasedStreamUsable(stream: CatalogStream): void {
  const md = getMetadata(stream);
  if (md['is-view'] === true || md['log-based-unsupported'] === true) {
    throw new ConnectorError('LOG_BASED_UNSUPPORTED', 'views and foreign tables have no change log: LOG_BASED is not possible', {
      stream: stream.tap_stream_id,
      hint: 'use FULL_TABLE or INCREMENTAL for this stream',
    });
  }
  if (keyProperties(stream).length === 0) {
    throw new ConnectorError(
      'LOG_BASED_WITHOUT_KEY',
      'the table has no primary key, so LOG_BASED changes could only be appended: each UPDATE would add a second row instead of replacing the first, and a DELETE would remove nothing',
      {
        stream: stream.tap_stream_id,
        hint: `name the columns that identify a row in the pipeline file: streams: {${stream.tap_stream_id}: {key_properties: [<column>, ...]}} (the destination merges on them); or add a primary key and discover again; or use FULL_TABLE for this stream`,
      },
    );
  }
}
