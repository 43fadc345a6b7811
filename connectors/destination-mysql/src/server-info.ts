/** What the destination needs to know about the server it loads into. */
export interface ServerInfo {
  /** `VERSION()` as the server reports it: `10.11.6-MariaDB-log`, `8.0.36`. */
  version: string;
  mariadb: boolean;
  /**
   * MySQL ≥ 8.0.19: `INSERT … SELECT … ON DUPLICATE KEY UPDATE` names the new row by the derived table's alias
   * (`VALUES(col)` is deprecated there). MariaDB has no such alias and keeps `VALUES(col)`.
   */
  upsertAlias: boolean;
  /** The utf8mb4 collation tables get: binary and without padding where the server has one. */
  collation: string;
}

/** Reads the flavour and version from `SELECT VERSION()`. */
export function serverInfo(version: string): ServerInfo {
  const mariadb = /mariadb/i.test(version);
  const [major = 0, minor = 0, patch = 0] = (/^(\d+)\.(\d+)\.(\d+)/.exec(version)?.slice(1) ?? []).map(Number);
  const at = (a: number, b: number, c: number) => major > a || (major === a && (minor > b || (minor === b && patch >= c)));
  const collation = mariadb ? (at(10, 2, 0) ? 'utf8mb4_nopad_bin' : 'utf8mb4_bin') : at(8, 0, 0) ? 'utf8mb4_0900_bin' : 'utf8mb4_bin';
  return { version, mariadb, upsertAlias: !mariadb && at(8, 0, 19), collation };
}
