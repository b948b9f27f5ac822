#!/bin/sh
# End-to-end scenario, the same against any cluster: fixtures are made with kubectl, then
# `kubectl owner` lists, explains, checks and assigns them, and each answer is checked.
# Runs against the test API server in `.ci/run` (tests/cli/e2e.rs) and against a real cluster
# (kind) in .github/workflows/ci.yml. Needs kubectl and kubectl-owner on PATH and KUBECONFIG.
#
#   E2E_NAMESPACE   the namespace to create and delete (default: e2e-shop)
set -eu

ns=${E2E_NAMESPACE:-e2e-shop}
image=registry.k8s.io/pause:3.9
failures=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# expect NAME EXPECTED ACTUAL
expect() {
    if [ "$2" = "$3" ]; then
        echo "ok: $1"
    else
        fail "$1: expected [$2], got [$3]"
    fi
}

# The scenario's own team registry, and not the cluster's (a test server or a shared cluster
# may carry a kubectl-owner ConfigMap): the same answers everywhere.
config=$(mktemp "${TMPDIR:-/tmp}/kubectl-owner-e2e.XXXXXX")
cat > "$config" <<'YAML'
teams:
  - name: shop
  - name: payments
YAML
owner() {
    kubectl owner "$@" --config "$config" --cluster-config=false
}

cleanup() {
    kubectl delete namespace "$ns" --wait=false > /dev/null 2>&1 || true
    rm -f "$config"
}
trap cleanup EXIT

# Fixtures: a namespace owned by team shop, a Deployment that inherits it, one with its own team
# and stage, and one past its sunset date. Created from manifests (`kubectl create -f`), then
# labelled and annotated with kubectl as a user would.
deployment() {
    cat <<YAML
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: $1
  namespace: $ns
spec:
  replicas: 1
  selector:
    matchLabels: {app: $1}
  template:
    metadata:
      labels: {app: $1}
    spec:
      containers:
        - name: app
          image: $image
YAML
}
{
    printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n' "$ns"
    deployment web
    deployment ledger
    deployment batch
} | kubectl create --validate=false -f -
kubectl label namespace "$ns" team=shop lifecycle=production
kubectl -n "$ns" label deployment ledger team=payments lifecycle=deprecated
kubectl -n "$ns" annotate deployment batch kubectl-owner/sunset=2000-01-01

# ls: every Deployment with its effective team and stage.
got=$(owner ls deploy -n "$ns" --no-headers \
    -o custom-columns=NAME:.name,TEAM:.team.value,STAGE:.stage.value,FROM:.team.source.kind)
expect "ls" "batch shop production Namespace
ledger payments deprecated Deployment
web shop production Namespace" "$(printf '%s\n' "$got" | tr -s ' ')"

# who: the team of web and where it comes from.
got=$(owner who deploy/web -n "$ns" -o jsonpath='{.item.team.value} {.item.team.source.kind}/{.item.team.source.name}')
expect "who" "shop Namespace/$ns" "$got"

# check: batch is past its sunset date (an error: exit 1), ledger is deprecated without one (a
# warning).
status=0
got=$(owner check -n "$ns" --no-headers -o custom-columns=NAME:.name,RULE:.rule) || status=$?
expect "check exit status" "1" "$status"
expect "check findings" "ledger deprecated-without-sunset
batch past-sunset" "$(printf '%s\n' "$got" | tr -s ' ')"

# assign: web gets its own stage; kubectl sees the label.
owner assign deploy/web -n "$ns" --stage experimental > /dev/null
got=$(kubectl -n "$ns" get deployment web -o jsonpath='{.metadata.labels.lifecycle}')
expect "assign" "experimental" "$got"
got=$(owner ls deploy/web -n "$ns" --no-headers -o custom-columns=STAGE:.stage.value,FROM:.stage.source.kind)
expect "ls after assign" "experimental   Deployment" "$got"

# unassign: back to the namespace's stage.
owner unassign deploy/web -n "$ns" --stage > /dev/null
got=$(kubectl -n "$ns" get deployment web -o jsonpath='{.metadata.labels}')
case "$got" in
    *lifecycle*) fail "unassign left the label: $got" ;;
    *) echo "ok: unassign" ;;
esac

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed" >&2
    exit 1
fi
echo "scenario passed"
