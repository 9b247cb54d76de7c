#!/usr/bin/env bash
# Installs SecantusDB (the local MongoDB wire-protocol server) into a venv once per machine, interpreter and pinned
# package set; prints the venv's python. Every package is pinned by hash in secantusdb-requirements.txt.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

requirements="$INFRA_DIR/secantusdb-requirements.txt"
python="$(python_for_store)"
py_tag="$("$python" -c 'import sys; print(f"py{sys.version_info[0]}{sys.version_info[1]}")')"
# Keyed by the pins' content and the interpreter, so a changed pin or Python gets a venv of its own.
key="$(sha256sum "$requirements" | cut -c1-12)"
target="$CACHE_DIR/secantusdb-$py_tag-$key"
if [ -f "$target/.complete" ]; then echo "$target/bin/python"; exit 0; fi

require_disk "$CACHE_DIR" 512
mkdir -p "$CACHE_DIR"
exec 9>"$CACHE_DIR/secantusdb.lock"
flock 9
if [ -f "$target/.complete" ]; then echo "$target/bin/python"; exit 0; fi

work=$(mktemp -d "$CACHE_DIR/secantusdb-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
log "installing SecantusDB into a venv with $python (first run only)"
"$python" -m venv "$work/venv" >&2 || die "could not create a venv with $python (Debian: apt-get install python3-venv)"
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
  --require-hashes --only-binary=:all: -r "$requirements" >&2 \
  || die "pip could not install SecantusDB from $requirements"
# The server is run through the venv's python (secantusdb.sh): that works from wherever the venv is moved to, while the
# generated bin/ scripts name the build path in their first line and would not.
"$work/venv/bin/python" -c 'import sys; from secantus.cli import main; sys.exit(main())' --help >/dev/null \
  || die "SecantusDB does not run after install"
touch "$work/venv/.complete"
rm -rf "$target"
mv "$work/venv" "$target"
log "SecantusDB ready: $target"
echo "$target/bin/python"
