#!/usr/bin/env bash
# Neovim's built-in LSP client against the real kg-ls binary, in two runs:
# - smoke.lua: the raw client (vim.lsp.start_client) on a workspace made from the Terraphim
#   fixtures in tests/fixtures;
# - smoke_demo.lua: the kg_ls Lua module's setup() on the bundled examples/demo.
# Needs `nvim` (0.7+; NVIM=/path/to/nvim picks another) and a built kg-ls (KG_LS, default
# target/debug/kg-ls).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=${KG_LS:-$top/target/debug/kg-ls}
nvim=${NVIM:-nvim}
ws=$(mktemp -d)
trap 'rm -rf "$ws"' EXIT
cp -r "$top/tests/fixtures/terraphim/docs/src/kg" "$ws/kg"
cp "$top/tests/fixtures/terraphim/terraphim_server/fixtures/thesaurus_Default.json" "$ws/"
printf '[kg]\npaths = ["kg", "thesaurus_Default.json"]\n' > "$ws/.kg-ls.toml"
echo "-- terraphim fixtures, vim.lsp.start_client"
KG_LS="$bin" KG_WS="$ws" timeout 120 "$nvim" --headless --noplugin -u NONE -c "luafile $here/smoke.lua"
echo "-- examples/demo, require('kg_ls').setup()"
KG_LS="$bin" KG_DEMO="$top/examples/demo" KG_NVIM_RTP="$here" \
  timeout 120 "$nvim" --headless --noplugin -u NONE -c "luafile $here/smoke_demo.lua"
if "$nvim" --headless -u NONE -c 'if !has("nvim-0.11") | cquit! | endif | qall!' >/dev/null 2>&1; then
  echo "-- examples/demo, lsp/kg_ls.lua + vim.lsp.enable('kg_ls')"
  KG_LS="$bin" KG_DEMO="$top/examples/demo" KG_NVIM_RTP="$here" KG_NVIM_MODE=runtime \
    timeout 120 "$nvim" --headless --noplugin -u NONE -c "luafile $here/smoke_demo.lua"
fi
