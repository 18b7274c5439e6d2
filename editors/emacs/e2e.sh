#!/usr/bin/env bash
# Emacs + eglot with keys against the real kg-ls binary: Debian's emacs-nox (Emacs 28) and
# elpa-eglot (eglot 1.9), or `emacs` on PATH (EMACS=/path/to/emacs picks another). A new user:
# an empty HOME whose ~/.emacs.d/init.el is the snippet of editors/emacs/README.md exactly as
# written (only /path/to/kg-ls replaced by this checkout), `kg-ls` on PATH, and copies of
# examples/demo (one with no .git above it, one inside a git repository) and of the Terraphim
# concept files. e2e.el presses the keys and checks what a user would see.
#
# KG_LS: the server binary (default target/debug/kg-ls). KG_EMACS_README: where the snippet
# is (default editors/emacs/README.md; it follows the `<!-- e2e: init.el -->` line).
# Exits non-zero when a check fails; an Emacs that cannot be installed is skipped, loudly.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=${KG_LS:-$top/target/debug/kg-ls}
readme=${KG_EMACS_README:-$here/README.md}
if [ ! -x "$bin" ]; then
  echo "e2e: KG_LS=$bin is not an executable kg-ls" >&2
  exit 2
fi
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

emacs=${EMACS:-}
if [ -z "$emacs" ]; then
  if ! command -v emacs >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "== installing Debian's emacs-nox and elpa-eglot"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq emacs-nox elpa-eglot) >/dev/null 2>&1 || true
  fi
  emacs=$(command -v emacs || true)
fi
if [ -z "$emacs" ]; then
  echo "!!!!!!!! SKIPPED: Emacs (Debian's emacs-nox, elpa-eglot) could not be installed; its checks did not run !!!!!!!!" >&2
  exit 0
fi
if ! "$emacs" --batch --eval "(require 'eglot)" >/dev/null 2>&1; then
  echo "!!!!!!!! SKIPPED: $("$emacs" --version | head -n 1) has no eglot (Debian: apt-get install elpa-eglot) !!!!!!!!" >&2
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/home/.emacs.d" "$tmp/ws" "$tmp/repo/sub" "$tmp/terraphim"
ln -s "$bin" "$tmp/bin/kg-ls"
awk '
  $0 == "<!-- e2e: init.el -->" { found = 1; next }
  found && /^```elisp/ { inside = 1; next }
  inside && /^```/ { exit }
  inside { print }
' "$readme" | sed "s#/path/to/kg-ls#$top#g" > "$tmp/home/.emacs.d/init.el"
if [ ! -s "$tmp/home/.emacs.d/init.el" ]; then
  echo "FAIL: no init.el snippet in $readme" >&2
  exit 1
fi
cp -r "$top/examples/demo" "$tmp/ws/demo"
if git -C "$tmp/ws/demo" rev-parse --git-dir >/dev/null 2>&1; then
  echo "FAIL: $tmp is inside a git repository; the no-.git check needs a folder outside one" >&2
  exit 1
fi
if command -v git >/dev/null 2>&1; then
  git init -q "$tmp/repo"
else
  mkdir "$tmp/repo/.git"
fi
cp -r "$top/examples/demo" "$tmp/repo/sub/demo"
cp -r "$top/tests/fixtures/terraphim/docs/src/kg" "$tmp/terraphim/kg"
printf '[kg]\npaths = ["kg"]\n' > "$tmp/terraphim/.kg-ls.toml"

echo "== $("$emacs" --version | head -n 1), init.el:"
sed 's/^/   | /' "$tmp/home/.emacs.d/init.el"
start=$SECONDS
status=0
(
  cd "$tmp/ws/demo/docs"
  HOME="$tmp/home" PATH="$tmp/bin:$PATH" KG_E2E_DEMO="$tmp/ws/demo" KG_E2E_NESTED="$tmp/repo/sub/demo" \
    KG_E2E_TERRAPHIM="$tmp/terraphim" \
    exec timeout 180 "$emacs" --batch -l "$tmp/home/.emacs.d/init.el" -l "$here/e2e.el"
) >"$tmp/out" 2>&1 || status=$?
grep -v '^Loading ' "$tmp/out" || true
echo "   ($((SECONDS - start)) s)"
if [ "$status" != 0 ]; then
  echo "emacs e2e: failed"
  exit 1
fi
echo "emacs e2e: all passed"
