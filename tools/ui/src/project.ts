import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, interpolateEnv, parsePipelineConfig, type InterpolatedValue, type PipelineConfig } from '@mage-int/core';
import { parseDocument, type Document } from 'yaml';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** A pipeline file name without `.yaml`: what URLs and the list use. */
export function checkPipelineName(name: string): string {
  if (!NAME.test(name)) {
    throw new ConfigError('PIPELINE_NAME_INVALID', `pipeline name "${name}" may only hold letters, digits, ".", "_" and "-"`, {
      field: 'name',
      hint: 'pick a name such as shop-orders',
    });
  }
  return name;
}

/** Shell-quoted so `set -a; . .mage-int/secrets.env; set +a` loads it for the CLI. */
function quote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function unquote(value: string): string {
  return value.startsWith("'") && value.endsWith("'") && value.length >= 2 ? value.slice(1, -1).replace(/'\\''/g, "'") : value;
}

/**
 * A project as the CLI sees it: pipeline files in `pipelines/`, their state in `pipelines/.mage-int/`, and the
 * values of secrets the UI was given in `.mage-int/secrets.env` (mode 600), referenced from the files as `${VAR}`.
 */
export class Project {
  readonly pipelinesDir: string;
  readonly secretsFile: string;

  constructor(readonly root: string) {
    this.pipelinesDir = join(root, 'pipelines');
    this.secretsFile = join(root, '.mage-int', 'secrets.env');
  }

  fileOf(name: string): string {
    return join(this.pipelinesDir, `${checkPipelineName(name)}.yaml`);
  }

  /** Pipeline names (`pipelines/<name>.yaml` / `.yml`), sorted. */
  async names(): Promise<string[]> {
    const entries = await readdir(this.pipelinesDir).catch(() => [] as string[]);
    return entries
      .filter((e) => /\.ya?ml$/i.test(e))
      .map((e) => e.replace(/\.ya?ml$/i, ''))
      .filter((n) => NAME.test(n))
      .sort();
  }

  exists(name: string): boolean {
    return existsSync(this.fileOf(name));
  }

  async readDocument(name: string): Promise<Document> {
    let text: string;
    try {
      text = await readFile(this.fileOf(name), 'utf8');
    } catch {
      throw new ConfigError('PIPELINE_NOT_FOUND', `there is no pipeline ${name} (pipelines/${name}.yaml)`, { hint: 'create it first' });
    }
    return parseDocument(text);
  }

  async writeDocument(name: string, doc: Document): Promise<void> {
    await mkdir(this.pipelinesDir, { recursive: true });
    await writeFile(this.fileOf(name), doc.toString({ lineWidth: 0 }));
  }

  async remove(name: string): Promise<void> {
    await rm(this.fileOf(name), { force: true });
  }

  async secrets(): Promise<Record<string, string>> {
    const text = await readFile(this.secretsFile, 'utf8').catch(() => '');
    const out: Record<string, string> = {};
    for (const line of text.split('\n')) {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
      if (m) out[m[1]!] = unquote(m[2]!);
    }
    return out;
  }

  async saveSecret(variable: string, value: string): Promise<void> {
    const all = { ...(await this.secrets()), [variable]: value };
    await mkdir(join(this.root, '.mage-int'), { recursive: true });
    const body = Object.entries(all)
      .map(([k, v]) => `${k}=${quote(v)}`)
      .join('\n');
    await writeFile(
      this.secretsFile,
      `# Secrets the mage-int UI was given; pipelines reference them as \${NAME}. Keep out of git.\n${body}\n`,
      { mode: 0o600 },
    );
    await chmod(this.secretsFile, 0o600);
  }

  /** The environment `${VAR}`s are read from: the process's, then the secrets file. */
  async env(): Promise<Record<string, string | undefined>> {
    return { ...process.env, ...(await this.secrets()) };
  }

  /** Parses, interpolates and validates a pipeline document as `loadPipelineFile` does, from `pipelines/`. */
  async configOf(name: string, document?: unknown): Promise<{ config: PipelineConfig; interpolated: InterpolatedValue[] }> {
    const raw = document ?? (await this.readDocument(name)).toJS();
    const interpolated: InterpolatedValue[] = [];
    const config = parsePipelineConfig(interpolateEnv(raw, await this.env(), '', interpolated), {
      id: name,
      baseDir: this.pipelinesDir,
      file: `pipelines/${name}.yaml`,
    });
    const of = (end: 'source' | 'destination') => ({
      ...config[end],
      interpolated: interpolated
        .filter((v) => v.path.startsWith(`${end}.config.`))
        .map((v) => ({ path: v.path.slice(`${end}.config.`.length), value: v.value })),
    });
    return { config: { ...config, source: of('source'), destination: of('destination') }, interpolated };
  }
}
