// The conformance test config (tools/testkit/test/connectors.test.ts): every scenario gets a database of its
// own on the MariaDB of the test machine, dropped afterwards; readTable reads a stream's table back exactly.
import { normalizeIdentifier } from '@mage-int/core/sql';
import { defineTestConfig } from '@mage-int/testkit';
import type { Config } from '../src/generated/config.js';
import { dropDatabase, readRows, SERVER, uniqueDatabase } from './mysql-server.js';

export default defineTestConfig<Config>({
  kind: 'destination',
  setup() {
    const database = uniqueDatabase('mage_conformance_mysql');
    return { config: { ...SERVER, database }, teardown: () => dropDatabase(database) };
  },
  readTable(config, stream) {
    const table = normalizeIdentifier(`${config.table_prefix ?? ''}${stream}`, {
      maxBytes: 64,
      lengthUnit: 'characters',
      lowercase: config.lowercase_identifiers ?? true,
    });
    return readRows(config.database, table);
  },
  skipFixtures: {
    'nul-characters-reject':
      'MySQL text and JSON hold U+0000 as it is, so there is no nul_characters policy (values-strings-style tests load it exactly)',
    'nul-characters-strip': 'MySQL text and JSON hold U+0000 as it is, so there is no nul_characters policy',
  },
});
