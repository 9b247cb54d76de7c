#!/usr/bin/env bash
# Sourced after lib.sh: one pinned Python venv per machine, interpreter and pin set, for the tools infra/ installs
# from PyPI (SecantusDB, Schemathesis).
#
# provision_venv NAME REQUIREMENTS SMOKE...: installs REQUIREMENTS (every package pinned by hash, wheels only) into
# $CACHE_DIR/NAME-<python>-<hash of the pins> and prints the venv's python. Built under a temporary name and renamed,
# guarded by flock, so parallel clones share one venv and none ever sees half of one. SMOKE is a command run with
# the venv's python before the venv is published (the install must work, not just finish).
provision_venv() {
  local name="$1" requirements="$2"; shift 2
  local python py_tag key target work
  python="$(python_for_store)"
  py_tag="$("$python" -c 'import sys; print(f"py{sys.version_info[0]}{sys.version_info[1]}")')"
  # Keyed by the pins' content and the interpreter, so a changed pin or Python gets a venv of its own.
  key="$(sha256sum "$requirements" | cut -c1-12)"
  target="$CACHE_DIR/$name-$py_tag-$key"
  if [ -f "$target/.complete" ]; then echo "$target/bin/python"; return 0; fi

  require_disk "$CACHE_DIR" 512
  mkdir -p "$CACHE_DIR"
  exec 9>"$CACHE_DIR/$name.lock"
  flock 9
  if [ -f "$target/.complete" ]; then exec 9>&-; echo "$target/bin/python"; return 0; fi

  work=$(mktemp -d "$CACHE_DIR/$name-build.XXXXXX")
  # shellcheck disable=SC2064 # the path is fixed now, on purpose
  trap "rm -rf '$work'" EXIT
  log "installing $name into a venv with $python (first run only)"
  "$python" -m venv "$work/venv" >&2 || die "could not create a venv with $python (Debian: apt-get install python3-venv)"
  "$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    --require-hashes --only-binary=:all: -r "$requirements" >&2 \
    || die "pip could not install $name from $requirements"
  "$work/venv/bin/python" "$@" >/dev/null || die "$name does not run after install"
  touch "$work/venv/.complete"
  rm -rf "$target"
  mv "$work/venv" "$target"
  exec 9>&-
  log "$name ready: $target"
  echo "$target/bin/python"
}
