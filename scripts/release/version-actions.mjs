// How `nx release version` reads and writes the versions of mage-int's packages: their package.json files. nx's own
// JavaScript implementation lives in @nx/js, which is not published for the nx version this workspace uses; this is
// the part of it mage-int needs (versions on disk or in a registry, internal dependency ranges).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { VersionActions } from 'nx/release';

const COLLECTIONS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'];
const readJson = (tree, path) => JSON.parse(tree.read(path, 'utf-8'));
const writeJson = (tree, path, value) => tree.write(path, `${JSON.stringify(value, null, 2)}\n`);
const packageNameOf = (projectGraph, projectName) => projectGraph.nodes[projectName]?.data.metadata?.js?.packageName ?? projectName;

export default class PackageJsonVersionActions extends VersionActions {
  validManifestFilenames = ['package.json'];

  get manifestPath() {
    return join(this.projectGraphNode.data.root, 'package.json');
  }

  async readCurrentVersionFromSourceManifest(tree) {
    return { currentVersion: readJson(tree, this.manifestPath).version, manifestPath: this.manifestPath };
  }

  async readCurrentVersionFromRegistry(tree, metadata) {
    const { name } = readJson(tree, this.manifestPath);
    const registry = metadata?.registry ?? process.env.MAGE_INT_RELEASE_REGISTRY;
    const tag = metadata?.tag ?? 'latest';
    let currentVersion = null;
    try {
      const args = [
        'view',
        `${name}@${tag}`,
        'version',
        ...(registry ? [`--registry=${registry}`, `--${name.split('/')[0]}:registry=${registry}`] : []),
      ];
      currentVersion = execFileSync('npm', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
    } catch {
      currentVersion = null; // not published there yet
    }
    return { currentVersion, logText: `${registry ?? "npm's registry"} (dist-tag ${tag})` };
  }

  async readCurrentVersionOfDependency(tree, projectGraph, dependencyProjectName) {
    const pkg = readJson(tree, this.manifestPath);
    const name = packageNameOf(projectGraph, dependencyProjectName);
    for (const collection of COLLECTIONS)
      if (pkg[collection]?.[name]) return { currentVersion: pkg[collection][name], dependencyCollection: collection };
    return { currentVersion: null, dependencyCollection: null };
  }

  async updateProjectVersion(tree, newVersion) {
    const logs = [];
    for (const { manifestPath } of this.manifestsToUpdate) {
      const pkg = readJson(tree, manifestPath);
      pkg.version = newVersion;
      writeJson(tree, manifestPath, pkg);
      logs.push(`✍️  New version ${newVersion} written to manifest: ${manifestPath}`);
    }
    return logs;
  }

  async updateProjectDependencies(tree, projectGraph, dependenciesToUpdate) {
    const logs = [];
    for (const { manifestPath } of this.manifestsToUpdate) {
      const pkg = readJson(tree, manifestPath);
      let changed = 0;
      for (const [project, version] of Object.entries(dependenciesToUpdate)) {
        const name = packageNameOf(projectGraph, project);
        for (const collection of COLLECTIONS) {
          if (pkg[collection]?.[name] === undefined || pkg[collection][name].startsWith('workspace:')) continue;
          pkg[collection][name] = version;
          changed++;
        }
      }
      if (changed > 0) {
        writeJson(tree, manifestPath, pkg);
        logs.push(`✍️  Updated ${changed} dependenc${changed === 1 ? 'y' : 'ies'} in manifest: ${manifestPath}`);
      }
    }
    return logs;
  }
}
