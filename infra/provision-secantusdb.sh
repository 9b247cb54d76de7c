#!/usr/bin/env bash
# Installs SecantusDB (the local MongoDB wire-protocol server) into a venv once per machine, interpreter and pinned
# package set; prints the venv's python. Every package is pinned by hash in secantusdb-requirements.txt.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$INFRA_DIR/venv.sh"

# The server is run through the venv's python (secantusdb.sh): that works from wherever the venv is moved to, while the
# generated bin/ scripts name the build path in their first line and would not.
provision_venv secantusdb "$INFRA_DIR/secantusdb-requirements.txt" -c 'import sys; from secantus.cli import main; sys.exit(main())' --help
