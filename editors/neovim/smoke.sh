#!/usr/bin/env bash
# Runs smoke.lua: Neovim's built-in LSP client against the real kg-ls binary on a workspace
# made from the Terraphim fixtures in tests/fixtures. Needs `nvim` (0.7+) and a built kg-ls.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=${KG_LS:-$top/target/debug/kg-ls}
ws=$(mktemp -d)
trap 'rm -rf "$ws"' EXIT
cp -r "$top/tests/fixtures/terraphim/docs/src/kg" "$ws/kg"
cp "$top/tests/fixtures/terraphim/terraphim_server/fixtures/thesaurus_Default.json" "$ws/"
printf '[kg]\npaths = ["kg", "thesaurus_Default.json"]\n' > "$ws/.kg-ls.toml"
KG_LS="$bin" KG_WS="$ws" timeout 120 nvim --headless --noplugin -u NONE -c "luafile $here/smoke.lua"
