# Sourced by the other scripts: puts a Node.js >= 22 on PATH.
# The machine's own node is used when it is new enough; otherwise Node 24 LTS is installed from the
# npm registry (the `node` package ships the binary) into .tools/node, once.
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ -x "$_root/.tools/node/bin/node" ]; then
  export PATH="$_root/.tools/node/bin:$PATH"
fi
if [ "$(_node_major)" -lt 22 ]; then
  echo "node $(node --version 2>/dev/null || echo missing) is older than 22: installing node@24 into .tools/node" >&2
  npm install -g --prefix "$_root/.tools/node" --no-audit --no-fund node@24 >&2
  export PATH="$_root/.tools/node/bin:$PATH"
  if [ "$(_node_major)" -lt 22 ]; then echo "could not provision Node >= 22" >&2; exit 1; fi
fi
# The npm that came with the machine is fine; make sure it runs under the new node.
export NX_DAEMON=false NX_NO_CLOUD=true NX_SKIP_NX_CACHE_PROMPT=true NX_TUI=false
unset _root
