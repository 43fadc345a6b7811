import type { Hook } from '@oclif/core';

/** `mage-int frobnicate` → `error: unknown command` with the list of commands, exit 2 (not oclif's default output). */
const hook: Hook.CommandNotFound = async function (options) {
  const ids = options.config.commands.filter((c) => !c.hidden).map((c) => c.id.replace(/:/g, ' '));
  const typed = options.id.replace(/:/g, ' ');
  const close = ids.filter((id) => id.startsWith(typed.split(' ')[0] ?? '') || typed.startsWith(id.split(' ')[0] ?? ''));
  process.stderr.write(`error: unknown command "${typed}"\n`);
  process.stderr.write(`hint: ${close.length > 0 ? `did you mean ${close.map((c) => `\`${c}\``).join(', ')}? ` : ''}commands: ${[...ids].sort().join(', ')}; run \`mage-int --help\`\n`);
  process.exit(2);
};

export default hook;
