#!/usr/bin/env bash
# Installs Schemathesis (the OpenAPI fuzzer run by test/integration/schemathesis.test.ts) into a venv once per machine,
# interpreter and pinned package set; prints the venv's python. Every package is pinned by hash in
# schemathesis-requirements.txt. Run it as `<python> -m schemathesis.cli`: the venv's bin/ scripts name the build path.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$INFRA_DIR/venv.sh"

provision_venv schemathesis "$INFRA_DIR/schemathesis-requirements.txt" -m schemathesis.cli --version
