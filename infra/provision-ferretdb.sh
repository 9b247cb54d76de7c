#!/usr/bin/env bash
# Builds FerretDB once per machine and version, prints the binary's path.
# `go install` of the release panics at start (its version file is git-ignored upstream,
# FerretDB issue #2982), so we build from a writable copy of the module with that file restored.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

target="$CACHE_DIR/ferretdb-$FERRETDB_VERSION/ferretdb"
if [ -x "$target" ]; then echo "$target"; exit 0; fi

require_cmd go "install Go 1.22 or newer"
require_disk "$CACHE_DIR" 2048
mkdir -p "$CACHE_DIR"
exec 9>"$CACHE_DIR/ferretdb.lock"
flock 9
if [ -x "$target" ]; then echo "$target"; exit 0; fi   # another process built it while we waited

work=$(mktemp -d "$CACHE_DIR/ferretdb-build.XXXXXX")
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
log "downloading FerretDB $FERRETDB_VERSION module (first run only)"
moddir=$(GOFLAGS=-mod=mod go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')
[ -d "$moddir" ] || die "go mod download did not give a module directory"
cp -r "$moddir" "$work/src" && chmod -R u+w "$work/src"
echo "$FERRETDB_VERSION" > "$work/src/build/version/version.txt"
log "building FerretDB (SQLite backend, pure Go) — a few minutes on 2 cores the first time"
( cd "$work/src" && CGO_ENABLED=0 go build -buildvcs=false -trimpath -o "$work/ferretdb" ./cmd/ferretdb ) \
  || ( log "retrying with -checklinkname=0 (newer Go refuses the SQLite library's go:linkname)"; \
       cd "$work/src" && CGO_ENABLED=0 go build -buildvcs=false -trimpath -ldflags=-checklinkname=0 -o "$work/ferretdb" ./cmd/ferretdb ) \
  || die "FerretDB build failed"
mkdir -p "$(dirname "$target")"
mv "$work/ferretdb" "$target.tmp.$$" && mv "$target.tmp.$$" "$target"
log "FerretDB ready: $target"
echo "$target"
