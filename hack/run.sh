#!/usr/bin/env bash
# `make run`: a local control plane, the CRDs, the samples, and the manager on
# an accelerated clock so the whole collection process plays out in minutes.
# Ctrl-C stops everything and leaves no process behind.
# ARCHIVE=1 also starts a PostgreSQL (the machine's PostgreSQL 15, data in
# .local/postgres) and runs the manager with the claim archive.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

scale=${RUN_TIME_SCALE:-50000}          # 50000x: one day passes in 1.7 s
start=${RUN_CLOCK_START:-2026-01-01T00:00:00+01:00}
kc=$root/.local/kubeconfig
outbox=$root/.local/outbox
archive=${ARCHIVE:-0}
archive_grace=${ARCHIVE_GRACE:-720h}   # 30 days: 52 s at 50000x

hack/tool.sh kube-apiserver etcd kubectl
go build -o bin/manager ./cmd/manager
go build -o bin/controlplane ./hack/controlplane

cp_pid="" mgr_pid="" pg_pid=""
cleanup() {
  trap - EXIT INT TERM
  [[ -n $mgr_pid ]] && kill -TERM "$mgr_pid" 2>/dev/null || true
  [[ -n $cp_pid ]] && kill -TERM "$cp_pid" 2>/dev/null || true
  [[ -n $pg_pid ]] && kill -TERM "$pg_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  echo "stopped: control plane and manager are down"
}
trap cleanup EXIT INT TERM

rm -f "$kc"
mkdir -p "$root/.local"
bin/controlplane --write-kubeconfig "$kc" --namespace acme >"$root/.local/controlplane.log" 2>&1 &
cp_pid=$!
for _ in $(seq 120); do
  [[ -f $kc ]] && break
  kill -0 "$cp_pid" 2>/dev/null || { echo "control plane failed to start:"; cat "$root/.local/controlplane.log"; exit 1; }
  sleep 0.5
done
[[ -f $kc ]] || { echo "control plane did not come up in 60 s; see .local/controlplane.log"; exit 1; }

archive_args=()
if [[ $archive == 1 ]]; then
  go build -o bin/pgserver ./hack/pgserver
  go build -o bin/kubectl-inkasso ./cmd/kubectl-inkasso
  dsn_file=$root/.local/archive-dsn
  rm -f "$dsn_file"
  bin/pgserver --dir "$root/.local/postgres" --write-dsn "$dsn_file" >"$root/.local/postgres.log" 2>&1 &
  pg_pid=$!
  for _ in $(seq 60); do
    [[ -f $dsn_file ]] && break
    kill -0 "$pg_pid" 2>/dev/null || { echo "PostgreSQL failed to start:"; cat "$root/.local/postgres.log"; exit 1; }
    sleep 0.5
  done
  [[ -f $dsn_file ]] || { echo "PostgreSQL did not come up in 30 s; see .local/postgres.log"; exit 1; }
  archive_args=(--archive-dsn-file "$dsn_file" --archive-grace "$archive_grace" --archive-wake-interval 2s)
fi

bin/kubectl --kubeconfig "$kc" apply -f config/crd/bases >/dev/null
bin/kubectl --kubeconfig "$kc" apply -k config/samples

cat <<MSG

  Local control plane is up. In another terminal:

    export KUBECONFIG=$kc        # its context defaults to namespace acme
    bin/kubectl get claims -w
    bin/kubectl get claims -o wide
    bin/kubectl get debtors,notices
    bin/kubectl get events --sort-by=.lastTimestamp

  Letters (PDF) and logged notices land in $outbox/acme.
  The operator's clock starts at $start and runs ${scale}x: the samples
  reach their last phase in about three minutes. Ctrl-C stops everything.

MSG
if [[ $archive == 1 ]]; then
  cat <<MSG
  Claim archive: PostgreSQL in .local/postgres (DSN in .local/archive-dsn).
  Finished and dormant Surveillance claims leave the cluster ${archive_grace}
  (operator time) after their last change:

    export INKASSO_ARCHIVE_DSN="\$(cat .local/archive-dsn)"
    bin/kubectl-inkasso archive list
    bin/kubectl-inkasso status        # cluster and archive together

MSG
fi

bin/manager --kubeconfig "$kc" --clock-start "$start" --time-scale "$scale" \
  --outbox-dir "$outbox" --metrics-bind-address 0 --health-probe-bind-address 0 \
  --step-events --sent-notice-ttl 2160h ${archive_args[@]+"${archive_args[@]}"} &
mgr_pid=$!

# Say when every sample claim has reached its last phase (no next step left).
(
  t0=$SECONDS
  while kill -0 "$mgr_pid" 2>/dev/null; do
    states=$(bin/kubectl --kubeconfig "$kc" get claims -o jsonpath='{range .items[*]}{.status.nextStep}/{.status.phase}{"\n"}{end}' 2>/dev/null || true)
    left=$(grep -cvE '^(credit-recheck)?/(Legal|Surveillance|Paid|Withdrawn|WrittenOff|TimeBarred|Forwarded)$' <<<"$states" || true)
    if [[ -n $states && $left == 0 ]]; then
      echo ">>> every sample claim reached its last phase $((SECONDS - t0)) s after the manager started (bin/kubectl get claims)"
      break
    fi
    sleep 2
  done
) &

wait "$mgr_pid"
