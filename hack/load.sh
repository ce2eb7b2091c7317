#!/usr/bin/env bash
# load.sh: start a fresh `astrolift dev` (own data dir, port 18080), seed
# 1,000 apps through the API and measure the app list and the app overview
# for 30 s with hack/loadtest. Prints p50/p90/p99 and error counts.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
data="$(mktemp -d)"
log="$data/dev.log"
"$root/bin/astrolift" dev --data-dir "$data" --listen 127.0.0.1:18080 --log-level warn 2>"$log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 120); do
	curl -fsS http://127.0.0.1:18080/readyz >/dev/null 2>&1 && break
	sleep 1
done
password="$(sed -n 's/^  password: //p' "$log")"
[[ -n "$password" ]] || { echo "load.sh: no admin password in $log" >&2; cat "$log" >&2; exit 1; }
go run "$root/hack/loadtest" -server http://127.0.0.1:18080 -password "$password" \
	-apps "${LOAD_APPS:-1000}" -duration "${LOAD_DURATION:-30s}" -concurrency "${LOAD_CONCURRENCY:-8}"
