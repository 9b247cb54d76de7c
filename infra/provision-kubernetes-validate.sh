#!/usr/bin/env bash
# Installs kubernetes-validate (the offline Kubernetes schema validator run by test/unit/k8s-manifests.test.ts) into a
# venv once per machine, interpreter and pinned package set; prints the venv's python. Every package is pinned by hash in
# kubernetes-validate-requirements.txt. Run it as `<python> -m kubernetes_validate`: the venv's bin/ scripts name the
# build path.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$INFRA_DIR/venv.sh"

provision_venv kubernetes-validate "$INFRA_DIR/kubernetes-validate-requirements.txt" -m kubernetes_validate --version
