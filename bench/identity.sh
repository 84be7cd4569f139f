#!/usr/bin/env bash
# Identity benchmark: start-up time, idle memory, token validation
# (GET /v3/auth/tokens), password token issue (bcrypt-bound) and
# GET /v3/projects, driven by wrk on loopback against a release build.
#
#   bench/identity.sh [--rounds N] [--duration SECONDS] [--connections N]
#
# --rounds sets [identity] password_hash_rounds (bcrypt cost; upstream default 12).
# Prints figures only; nothing is asserted.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

ROUNDS=12 DURATION=10 CONNECTIONS=64
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) ROUNDS=$2; shift 2 ;;
        --duration) DURATION=$2; shift 2 ;;
        --connections) CONNECTIONS=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

bench_setup "$ROUNDS"

rss_mib() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }

# First start bootstraps (one bcrypt hash); the measured start is the second.
OS_BOOTSTRAP_PASSWORD=$PASSWORD "$BIN" all-in-one --data-dir "$WORK/data" --config "$CONF" >/dev/null 2>&1 &
PID=$!
wait_http "$URL/v3" 30
kill $PID; wait $PID 2>/dev/null || true

start_ns=$(date +%s%N)
"$BIN" all-in-one --data-dir "$WORK/data" --config "$CONF" >/dev/null 2>"$WORK/server.log" &
PID=$!
trap 'kill $PID 2>/dev/null; rm -rf "$WORK"' EXIT
until curl -s -o /dev/null "$URL/v3"; do sleep 0.005; done
ready_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
sleep 1
idle_rss=$(rss_mib $PID)

BODY="{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{\"name\":\"admin\",\"domain\":{\"name\":\"Default\"},\"password\":\"$PASSWORD\"}}},\"scope\":{\"project\":{\"name\":\"admin\",\"domain\":{\"name\":\"Default\"}}}}}"
TOKEN=$(admin_token)

cat > "$WORK/issue.lua" <<LUA
wrk.method = "POST"
wrk.body = '$BODY'
wrk.headers["Content-Type"] = "application/json"
LUA

run_wrk() { # run_wrk NAME ARGS...: prints "NAME: X req/s, p50 Y, p99 Z"
    local name=$1
    shift
    local out
    out=$(wrk --latency -t2 -c"$CONNECTIONS" -d"${DURATION}s" "$@")
    local rps p50 p99 errors
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1=="50%" {print $2}' <<<"$out")
    p99=$(awk '$1=="99%" {print $2}' <<<"$out")
    errors=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
    printf '%-34s %10s req/s   p50 %-9s p99 %-9s non-2xx %s\n' "$name" "$rps" "$p50" "$p99" "${errors:-0}"
}

echo "ferrostack identity benchmark ($(nproc) cores, wrk -t2 -c$CONNECTIONS -d${DURATION}s, bcrypt cost $ROUNDS)"
printf '%-34s %10s ms\n' "start to first request" "$ready_ms"
printf '%-34s %10s MiB\n' "idle RSS" "$idle_rss"
# A stale list (new toolchain or dependencies) shows here before it shows in RSS.
listed=$(grep -v '^#' "$ROOT/link/symbol-order.txt" | LC_ALL=C sort -u)
found=$(nm "$BIN" | awk '{print $NF}' | LC_ALL=C sort -u | LC_ALL=C comm -12 - <(echo "$listed") | wc -l)
printf '%-34s %10s of %s (link/symbol-order.txt)\n' "ordered functions in the binary" "$found" "$(wc -l <<<"$listed")"
run_wrk "GET /v3/auth/tokens (validate)" -H "X-Auth-Token: $TOKEN" -H "X-Subject-Token: $TOKEN" "$URL/v3/auth/tokens"
run_wrk "GET /v3/auth/tokens?nocatalog" -H "X-Auth-Token: $TOKEN" -H "X-Subject-Token: $TOKEN" "$URL/v3/auth/tokens?nocatalog"
run_wrk "GET /v3/projects" -H "X-Auth-Token: $TOKEN" "$URL/v3/projects"
# bcrypt makes each issue cost tens to hundreds of ms: few connections, long timeout.
CONNECTIONS=4 run_wrk "POST /v3/auth/tokens (password)" --timeout 30s -s "$WORK/issue.lua" "$URL/v3/auth/tokens"
printf '%-34s %10s MiB\n' "RSS after load" "$(rss_mib $PID)"
ensure_venv
"$FERROSTACK_VENV/bin/pip" show --quiet bcrypt >/dev/null 2>&1 || "$FERROSTACK_VENV/bin/pip" install --quiet bcrypt
hash_ms=$("$FERROSTACK_VENV/bin/python" - "$ROUNDS" <<'PY'
import sys, time, bcrypt
r = int(sys.argv[1]); h = bcrypt.hashpw(b"x", bcrypt.gensalt(r)); t = time.time()
for _ in range(5): bcrypt.checkpw(b"x", h)
print(f"{(time.time()-t)/5*1000:.1f}")
PY
)
ceiling=$(python3 -c "print(f'{$(nproc)*1000/$hash_ms:.1f}')")
printf '%-34s %10s ms per check on one core: issue ceiling %s req/s on %s cores\n' "bcrypt cost $ROUNDS" "$hash_ms" "$ceiling" "$(nproc)"
