import type { Hook } from '@oclif/core';

/** `mage-int frobnicate` → `error: unknown command` with the list of commands, exit 2 (not oclif's default output). */
const hook: Hook.CommandNotFound = async (options) => {
  const ids = options.config.commands.filter((c) => !c.hidden).map((c) => c.id.replace(/:/g, ' '));
  // With a space as topic separator oclif joins the arguments into the id: keep the command words only.
  const words = options.id.split(':');
  const isTopic = options.config.topics.some((t) => t.name === words[0]);
  const typed = words.slice(0, isTopic ? 2 : 1).join(' ');
  const close = ids.filter((id) => id.startsWith(`${words[0] ?? ''} `) || id === words[0]);
  process.stderr.write(`error: unknown command "${typed}"\n`);
  process.stderr.write(
    `hint: ${close.length > 0 ? `${words[0]} has: ${close.map((c) => `\`${c}\``).join(', ')}; ` : ''}commands: ${[...ids].sort().join(', ')}; run \`mage-int --help\`\n`,
  );
  process.exit(2);
};

export default hook;
