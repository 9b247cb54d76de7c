#!/usr/bin/env bash
# Builds FerretDB once per machine and version, prints the binary's path.
# `go install` of the release panics at start (its version file is git-ignored upstream,
# FerretDB issue #2982), so we build from a writable copy of the module with that file restored.
# Two small fixes to its SQLite backend are applied to that copy (patch_id_lookup); the cache key
# names them, so a machine holding an unpatched build makes a new one.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FERRETDB_PATCHES="id-lookup-2"
target="$CACHE_DIR/ferretdb-$FERRETDB_VERSION-$FERRETDB_PATCHES/ferretdb"

# Lookups by _id in FerretDB 1.24's SQLite backend, fixed so that a filter naming one order costs one index lookup
# instead of a scan of the collection (checked by test/integration/store-plan.test.ts):
# 1. It looked documents up by `_ferretdb_sjson->'$._id'`, while the unique index it creates on every collection is
#    on `_ferretdb_sjson->"_id"`; SQLite matches index expressions literally, so every find, update and delete by _id
#    scanned the table in SQL (40 ms per lookup at 10,000 orders, with the write lock held during updates).
#    `->'_id'` means the same path and matches the index.
# 2. It pushed `_id` down to SQL only when it was the filter's only field; `{_id: x, version: n}` (every conditional
#    write) read and decoded the whole collection. The full filter is applied to what SQL returns anyway, so narrowing
#    by a top-level string `_id` whatever else the filter holds returns the same documents.
patch_id_lookup() {
  local metadata="$1/internal/backends/sqlite/metadata/metadata.go" collection="$1/internal/backends/sqlite/collection.go"
  grep -q "IDColumn = DefaultColumn + \"->'\$._id'\"" "$metadata" || die "FerretDB source changed: no IDColumn to patch in $metadata"
  sed -i "s|IDColumn = DefaultColumn + \"->'\$._id'\"|IDColumn = DefaultColumn + \"->'_id'\"|" "$metadata"
  [ "$(grep -c 'if params.Filter.Len() == 1 {' "$collection")" = 2 ] || die "FerretDB source changed: no _id pushdown to patch in $collection"
  sed -i 's|if params.Filter.Len() == 1 {|if params.Filter.Len() >= 1 {|' "$collection"
  grep -q "IDColumn = DefaultColumn + \"->'_id'\"" "$metadata" && [ "$(grep -c 'if params.Filter.Len() >= 1 {' "$collection")" = 2 ] \
    || die "could not patch FerretDB's SQLite backend"
}
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
patch_id_lookup "$work/src"
log "building FerretDB (SQLite backend, pure Go) — a few minutes on 2 cores the first time"
( cd "$work/src" && CGO_ENABLED=0 go build -buildvcs=false -trimpath -o "$work/ferretdb" ./cmd/ferretdb ) \
  || ( log "retrying with -checklinkname=0 (newer Go refuses the SQLite library's go:linkname)"; \
       cd "$work/src" && CGO_ENABLED=0 go build -buildvcs=false -trimpath -ldflags=-checklinkname=0 -o "$work/ferretdb" ./cmd/ferretdb ) \
  || die "FerretDB build failed"
mkdir -p "$(dirname "$target")"
mv "$work/ferretdb" "$target.tmp.$$" && mv "$target.tmp.$$" "$target"
log "FerretDB ready: $target"
echo "$target"
