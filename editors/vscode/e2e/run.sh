#!/usr/bin/env bash
# The kg-ls VS Code extension in the real VS Code: code-server (VS Code 1.100 in a browser)
# driven by playwright-core in Debian's Chromium, pressing the keys a user presses (drive.mjs).
#
#   KG_LS=/path/to/kg-ls editors/vscode/e2e/run.sh      (default: target/debug/kg-ls)
#
# It installs what it needs: Debian's chromium, ripgrep and libkrb5-dev (with apt-get, as
# root), and code-server, playwright-core and @vscode/vsce from npm into a cache outside the
# repository, keyed by their versions (KG_LS_E2E_CACHE, default
# ${XDG_CACHE_HOME:-~/.cache}/kg-ls-ci/vscode), so that a second run installs nothing.
# It builds a .vsix of editors/vscode, installs it into a fresh code-server profile whose only
# setting is `kg-ls.path`, serves code-server on 127.0.0.1 without authentication and runs the
# checks on a copy of examples/demo.
#
# Exit status: 0 when every check passes, or, with a loud SKIPPED line, when an install step
# cannot reach a registry; 1 when a check fails or an install fails for another reason.
# Screenshots and logs of a failed run stay in the folder printed at the start.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ext=$(cd "$here/.." && pwd)
top=$(cd "$ext/../.." && pwd)
bin=$(realpath "${KG_LS:-$top/target/debug/kg-ls}")
[ -x "$bin" ] || { echo "kg-ls binary not found: $bin (set KG_LS)" >&2; exit 1; }

CODE_SERVER=4.100.3 # the last code-server line that runs on node 20
PLAYWRIGHT=1.65.1
VSCE=3.9.2
# What code-server 4.100.3's VS Code pins (lib/vscode/npm-shrinkwrap.json): @vscode/ripgrep
# 1.15.11, whose postinstall downloads ripgrep v13.0.0-10 from GitHub unless the archive is in
# $TMPDIR/vscode-ripgrep-cache-1.15.11/ already (lib/download.js). Debian's rg goes there.
RIPGREP_NPM=1.15.11
RIPGREP_TAG=v13.0.0-10

cache=${KG_LS_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kg-ls-ci/vscode}
tools=$cache/code-server-$CODE_SERVER+playwright-$PLAYWRIGHT+vsce-$VSCE

skip() {
  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
  echo "!!! SKIPPED: the VS Code editor test did not run: $*"
  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
  exit 0
}
npm_reachable() { timeout 60 npm ping >/dev/null 2>&1; }

major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" != 20 ]; then
  echo "code-server $CODE_SERVER needs node 20; this is node $(node --version)" >&2
  exit 1
fi

# Debian packages: the browser, ripgrep for VS Code's search, Kerberos headers for the
# `kerberos` native module.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v rg >/dev/null 2>&1 || missing+=(ripgrep)
[ -e /usr/include/krb5.h ] || [ -e /usr/include/gssapi/gssapi.h ] || missing+=(libkrb5-dev)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "missing Debian packages: ${missing[*]} (install them, or run as root with apt-get)" >&2
    exit 1
  fi
  echo "== apt-get install ${missing[*]}"
  timeout 300 apt-get update -qq >/dev/null 2>&1 || skip "apt-get update cannot reach the Debian archive"
  apt_log=$(mktemp)
  if ! DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq "${missing[@]}" >"$apt_log" 2>&1; then
    tail -n 20 "$apt_log" >&2
    if grep -qE 'Could not resolve|Failed to fetch|Temporary failure|Connection failed' "$apt_log"; then
      skip "apt-get install ${missing[*]} cannot reach the Debian archive"
    fi
    exit 1
  fi
fi
[ -e /usr/include/node/node.h ] || { echo "node's headers are not in /usr/include/node (Debian: libnode-dev)" >&2; exit 1; }

# npm packages, once per version set. Native modules build against /usr/include/node.
if [ ! -e "$tools/.complete" ]; then
  echo "== npm install code-server@$CODE_SERVER playwright-core@$PLAYWRIGHT @vscode/vsce@$VSCE into $tools"
  npm_reachable || skip "the npm registry is unreachable"
  mkdir -p "$cache"
  rm -rf "$tools.partial"
  mkdir -p "$tools.partial/tmp/vscode-ripgrep-cache-$RIPGREP_NPM" "$tools.partial/rg"
  target=$(node -p '({x64: "x86_64-unknown-linux-musl", arm64: "aarch64-unknown-linux-musl"})[process.arch]')
  cp "$(command -v rg)" "$tools.partial/rg/rg"
  tar czf "$tools.partial/tmp/vscode-ripgrep-cache-$RIPGREP_NPM/ripgrep-$RIPGREP_TAG-$target.tar.gz" -C "$tools.partial/rg" rg
  echo '{"private": true}' >"$tools.partial/package.json"
  if ! (cd "$tools.partial" && TMPDIR="$tools.partial/tmp" npm_config_nodedir=/usr npm_config_unsafe_perm=true \
    npm_config_yes=true timeout 1200 npm install --no-audit --no-fund --no-save \
    "code-server@$CODE_SERVER" "playwright-core@$PLAYWRIGHT" "@vscode/vsce@$VSCE") >"$cache/install.log" 2>&1; then
    grep -v '^npm error npm error  ' "$cache/install.log" | tail -n 30 >&2
    npm_reachable || skip "the npm registry became unreachable during npm install (log: $cache/install.log)"
    echo "npm install failed (log: $cache/install.log)" >&2
    exit 1
  fi
  rg_bin=$tools.partial/node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin/rg
  [ -x "$rg_bin" ] || { echo "code-server's @vscode/ripgrep has no rg at $rg_bin" >&2; exit 1; }
  rm -rf "$tools.partial/tmp" "$tools.partial/rg" "$tools"
  mv "$tools.partial" "$tools"
  touch "$tools/.complete"
fi
code_server=$tools/node_modules/code-server/out/node/entry.js

# The run's own folders: workspace, profiles, logs, screenshots.
work=$(mktemp -d "${TMPDIR:-/tmp}/kg-ls-vscode-e2e.XXXXXX")
echo "== artifacts (screenshots and logs of a failed run): $work"
cs_pid=
finish() {
  status=$?
  if [ -n "$cs_pid" ]; then
    # code-server's own process group: its server, the extension host and kg-ls.
    kill -TERM -- "-$cs_pid" 2>/dev/null || true
    wait "$cs_pid" 2>/dev/null || true
    kill -KILL -- "-$cs_pid" 2>/dev/null || true
  fi
  # KG_E2E_SHOTS=DIR keeps the run's screenshots (the concept graph's among them) there.
  if [ -n "${KG_E2E_SHOTS:-}" ]; then
    mkdir -p "$KG_E2E_SHOTS" && cp "$work"/*.png "$KG_E2E_SHOTS"/ 2>/dev/null || true
  fi
  if [ "$status" = 0 ]; then
    rm -rf "$work"
  else
    rm -rf "$work/chromium" "$work/ext"
    echo "== kept for inspection: $work (screenshots, code-server.log, user/logs)"
  fi
  exit "$status"
}
trap finish EXIT

# The extension as a user installs it: npm ci, compile, vsce package, --install-extension.
echo "== build the extension (.vsix)"
(cd "$ext" && npm ci --no-audit --no-fund --loglevel=error && npm run --silent compile) >"$work/build.log" 2>&1 \
  || { cat "$work/build.log" >&2; npm_reachable || skip "the npm registry is unreachable (npm ci)"; exit 1; }
(cd "$ext" && "$tools/node_modules/.bin/vsce" package --allow-missing-repository --out "$work/kg-ls.vsix") \
  >>"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }

mkdir -p "$work/user/User" "$work/xdg-config" "$work/xdg-data"
cp -r "$top/examples/demo" "$work/demo"
# Default settings: only the binary path.
node -e 'process.stdout.write(JSON.stringify({"kg-ls.path": process.argv[1]}, null, 2))' "$bin" \
  >"$work/user/User/settings.json"
port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
printf 'bind-addr: 127.0.0.1:%s\nauth: none\ncert: false\n' "$port" >"$work/config.yaml"
# The server logs at debug level, and the output channels keep debug lines: a refused progress
# token ("Progress handler for token kg-ls/indexing already registered") goes back to the
# server as an error response, and only the server's log says so.
cs=(env XDG_CONFIG_HOME="$work/xdg-config" XDG_DATA_HOME="$work/xdg-data" RUST_LOG=kg_ls=debug node "$code_server"
  --config "$work/config.yaml" --user-data-dir "$work/user" --extensions-dir "$work/ext")
timeout 120 "${cs[@]}" --install-extension "$work/kg-ls.vsix" >>"$work/build.log" 2>&1 \
  || { cat "$work/build.log" >&2; exit 1; }

echo "== code-server $CODE_SERVER on 127.0.0.1:$port, kg-ls $("$bin" --version 2>/dev/null || echo "$bin")"
setsid "${cs[@]}" --log debug --disable-telemetry --disable-update-check --disable-workspace-trust \
  --disable-getting-started-override --ignore-last-opened >"$work/code-server.log" 2>&1 &
cs_pid=$!
healthy() {
  node -e 'require("http").get(process.argv[1], (r) => process.exit(r.statusCode === 200 ? 0 : 1)).on("error", () => process.exit(1))' \
    "http://127.0.0.1:$port/healthz"
}
for _ in $(seq 1 120); do
  healthy && break
  kill -0 "$cs_pid" 2>/dev/null || { cat "$work/code-server.log" >&2; exit 1; }
  sleep 0.5
done
healthy || { echo "code-server did not answer on 127.0.0.1:$port" >&2; cat "$work/code-server.log" >&2; exit 1; }

folder=$(node -p 'encodeURIComponent(process.argv[1])' "$work/demo")
KG_E2E_URL="http://127.0.0.1:$port/?folder=$folder" KG_E2E_SETTINGS="$work/user/User/settings.json" KG_E2E_LOGS="$work/user/logs" \
  KG_E2E_ARTIFACTS="$work" KG_E2E_PLAYWRIGHT="$tools/node_modules/playwright-core" \
  KG_E2E_PROFILE="$work/chromium" timeout 480 node "$here/drive.mjs"
