#!/usr/bin/env bash
# Peak memory of `readygate check` on a large manifest stream (issue 8, part 6).
#
#   scripts/manifest-memory.sh [DEPLOYMENTS]     default 795000 (about 200 MB of YAML)
#
# READYGATE_BIN=path runs that binary instead of building the release one (to compare builds).
#
# Generates a stream of small Deployments in namespace `default`, then runs the release binary
# under /usr/bin/time -v with three checklists in `default`:
#   unread    reads no Deployment (a kubernetesVersion item): the stream is parsed and dropped
#   by-name   a workload item naming one Deployment: all are kept (compact), one is built
#   selector  a workload item judging every Deployment: all are built as JSON trees
# and prints the file size, the maximum resident set size and their ratio for each. The
# machine is shared and noisy: wall times vary, RSS much less. Needs GNU time (`apt-get
# install time`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

count=${1:-795000}
[[ -x /usr/bin/time ]] || { echo "needs GNU time: apt-get install time" >&2; exit 1; }

bin=${READYGATE_BIN:-}
if [[ -z $bin ]]; then
  nice -n 5 cargo build --release --quiet --bin readygate
  bin=target/release/readygate
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

awk -v n="$count" 'BEGIN {
  for (i = 0; i < n; i++) {
    printf "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-%07d\nspec:\n  replicas: 2\n", i
    printf "  selector:\n    matchLabels: {app: app-%07d}\n  template:\n    metadata:\n      labels: {app: app-%07d}\n", i, i
    printf "    spec:\n      containers:\n      - {name: app, image: \"registry.example.com/app:1.%d\"}\n", i
  }
}' > "$work/stream.yaml"

checklist() { # name, check
  printf 'apiVersion: readygate.io/v1alpha1\nkind: ReadinessChecklist\nmetadata: {name: %s}\n' "$1"
  printf 'spec:\n  items:\n  - {name: item, severity: Critical, check: %s}\n' "$2"
}
checklist unread '{kubernetesVersion: {atLeast: "1.28"}}' > "$work/unread.yaml"
checklist by-name '{workload: {target: {kind: Deployment, name: app-0000001}, replicas: {atLeast: 2}}}' > "$work/by-name.yaml"
checklist selector '{workload: {target: {kind: Deployment}, replicas: {atLeast: 2}}}' > "$work/selector.yaml"

size=$(stat -c %s "$work/stream.yaml")
awk -v n="$count" -v s="$size" 'BEGIN { printf "%d Deployments, %d bytes (%.1f MB)\n", n, s, s / 1e6 }'
printf '%-10s %10s %12s %7s %8s\n' checklist exit 'max RSS KiB' 'x file' seconds
for name in unread by-name selector; do
  set +e
  /usr/bin/time -v -o "$work/time" "$bin" check -f "$work/$name.yaml" --kube-version 1.31 "$work/stream.yaml" \
    > /dev/null 2> "$work/stderr"
  code=$?
  set -e
  rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$work/time")
  secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time")
  awk -v c="$name" -v e="$code" -v r="$rss" -v s="$size" -v t="$secs" \
    'BEGIN { printf "%-10s %10s %12d %7.2f %8s\n", c, e, r, r * 1024 / s, t }'
done
