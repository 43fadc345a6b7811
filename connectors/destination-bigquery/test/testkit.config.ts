// The conformance test config (tools/testkit/test/connectors.test.ts): every scenario gets a BigQuery stand-in of
// its own (DuckDB behind the BigQuery REST API, tools/testkit/src/stand-ins/bigquery) and a fresh dataset on it;
// readTable reads the table's rows back from the stand-in's storage, as plain values.
import { normalizeIdentifier } from '@mage-int/core/sql';
import { defineTestConfig, type BigQueryStandIn } from '@mage-int/testkit';
import type { Config } from '../src/generated/config.js';
import { standInConfig } from './stand-in.js';

const standIns = new Map<string, BigQueryStandIn>();

export default defineTestConfig<Config>({
  kind: 'destination',
  async setup() {
    const { standIn, config } = await standInConfig({ runningPolls: 0 });
    standIns.set(config.dataset, standIn);
    return {
      config,
      teardown: async () => {
        standIns.delete(config.dataset);
        await standIn.close();
      },
    };
  },
  readTable(config, stream) {
    const table = normalizeIdentifier(`${config.table_prefix ?? ''}${stream}`, {
      maxBytes: 300,
      lengthUnit: 'characters',
      lowercase: true,
    });
    const standIn = standIns.get(config.dataset) as BigQueryStandIn;
    return standIn.rows(config.dataset, table);
  },
  skipFixtures: {
    'nul-characters-reject':
      'no nul_characters setting: GoogleSQL STRING and JSON hold U+0000 (\\x00) as any character; the stand-in cannot store it, and it was not tried live',
    'nul-characters-strip': 'no nul_characters setting (see nul-characters-reject)',
  },
});
