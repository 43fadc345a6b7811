'use strict';
// The verdaccio auth plugin `mage-int registry start` configures: verdaccio's own htpasswd accounts, plus the
// groups listed in the storage's groups.json ({"mage-int-publishers": ["alice"]}) added to a user when they log
// in. verdaccio's package rules can then name a group: only the first-party publisher group may publish
// @mage-int/*. (htpasswd alone knows no groups, and verdaccio stops at the first plugin that authenticates.)
// Loaded by verdaccio with require(), hence CommonJS.
const { readFileSync } = require('node:fs');
const { dirname } = require('node:path');

/** verdaccio-htpasswd is a dependency of verdaccio: resolve it from there, wherever npm put it. */
function loadHtpasswd() {
  const paths = [__dirname];
  try {
    paths.unshift(dirname(require.resolve('verdaccio/package.json')));
  } catch {
    // verdaccio not resolvable from here: rely on the plain lookup below
  }
  return require(require.resolve('verdaccio-htpasswd', { paths }));
}

/** The groups `user` belongs to according to the groups file (missing or unreadable file: none). */
function groupsOf(file, user) {
  let document;
  try {
    document = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return [];
  }
  return Object.keys(document).filter((group) => Array.isArray(document[group]) && document[group].includes(user));
}

class MageIntAuth {
  constructor(config, options) {
    const { HTPasswd } = loadHtpasswd();
    this.groupsFile = config.groups_file;
    this.htpasswd = new HTPasswd({ file: config.file, max_users: config.max_users, slow_verify_ms: config.slow_verify_ms }, options);
    // Tells startRegistry (same process) that this plugin, not verdaccio's open-sign-up default, guards this storage.
    const loaded = (globalThis[Symbol.for('@mage-int/registry:auth-plugin')] ??= new Set());
    loaded.add(config.groups_file);
  }

  authenticate(user, password, cb) {
    this.htpasswd.authenticate(user, password, (err, groups) => {
      if (err || !groups) return cb(err, groups);
      return cb(null, [...groups, ...groupsOf(this.groupsFile, user).filter((g) => !groups.includes(g))]);
    });
  }

  adduser(user, password, cb) {
    return this.htpasswd.adduser(user, password, cb);
  }

  changePassword(user, password, newPassword, cb) {
    return this.htpasswd.changePassword(user, password, newPassword, cb);
  }
}

module.exports = (config, options) => new MageIntAuth(config, options);
