/** The files `mage-int init` writes, by path relative to the project directory. */
export interface StarterFile {
  path: string;
  content: string;
}

export interface StarterOptions {
  /** npm package name of the project. */
  name: string;
  /** Version ranges of the @mage-int packages to depend on (they are versioned independently), e.g. `^0.1.0`. */
  ranges: { cli: string; core: string; sourceFaker: string; destinationDuckdb: string };
  /** The registry serving @mage-int packages, written to the project's .npmrc; npm's own config when undefined. */
  registry?: string;
}

/** A valid npm package name made from a directory name. */
export function packageNameFor(directoryName: string): string {
  const name = directoryName
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[._-]+|[-]+$/g, '');
  return name || 'mage-int-project';
}

const EXAMPLE_PIPELINE = `# yaml-language-server: $schema=../node_modules/@mage-int/core/pipeline-schema.json
#
# A starter pipeline: synthetic customers, products and orders (source-faker) into a local DuckDB file.
#   npx mage-int run pipelines/example.yaml
# Every key is described in docs/pipeline-config.md; editors with the YAML language server complete them
# from the schema named on the first line. Strings may use \${ENV_VAR} or \${ENV_VAR:-default}.

source:
  name: faker
  config:
    seed: 42            # same seed, same records
    customers: 1000
    products: 100
    orders: \${ORDERS:-5000}

destination:
  name: duckdb
  config:
    path: ../example.duckdb   # relative paths are resolved from this file's directory

streams:
  orders:
    unique_conflict_method: UPDATE   # upsert by key (the default for keyed streams)

state:
  path: ../.mage-int/state    # where bookmarks are kept between runs (relative to this file)
`;

const GITIGNORE = `node_modules/
.mage-int/
*.duckdb
*.duckdb.wal
`;

/** Only the @mage-int scope comes from the given registry; every other package from npm's usual one. */
function npmrc(registry: string): string {
  return `# @mage-int packages (mage-int itself and its connectors) come from this registry; everything else from npm's usual one.
# \`mage-int add\` treats @mage-int connectors as first party only when they come from here.
@mage-int:registry=${registry}
`;
}

/** The starter project: package.json, one example pipeline, .gitignore, and .npmrc when a registry is given. */
export function starterProject(options: StarterOptions): StarterFile[] {
  const packageJson = {
    name: options.name,
    version: '0.1.0',
    private: true,
    type: 'module',
    description: 'Data pipelines run with mage-int',
    scripts: {
      sync: 'mage-int run pipelines/example.yaml',
      check: 'mage-int check pipelines/example.yaml',
    },
    dependencies: {
      '@mage-int/cli': options.ranges.cli,
      '@mage-int/core': options.ranges.core,
      '@mage-int/destination-duckdb': options.ranges.destinationDuckdb,
      '@mage-int/source-faker': options.ranges.sourceFaker,
    },
  };
  const files = [
    { path: 'package.json', content: JSON.stringify(packageJson, null, 2) + '\n' },
    { path: 'pipelines/example.yaml', content: EXAMPLE_PIPELINE },
    { path: '.gitignore', content: GITIGNORE },
  ];
  if (options.registry) files.push({ path: '.npmrc', content: npmrc(options.registry) });
  return files;
}
