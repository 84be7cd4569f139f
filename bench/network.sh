#!/usr/bin/env bash
# Network benchmark: port creation with IPAM (ports/s, one client and many
# concurrent clients, each request a POST /v2.0/ports that allocates an
# address and a MAC), then GET /v2.0/ports with that many ports: paged
# (limit=100, the fast path) and whole. wrk on loopback against a release
# build with embedded SQLite.
#
#   bench/network.sh [--duration SECONDS] [--connections N] [--ports N]
#
# --ports: the list benchmark tops the port count up to at least N.
# Prints figures only; nothing is asserted.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

DURATION=10 CONNECTIONS=16 PORTS=10000
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) DURATION=$2; shift 2 ;;
        --connections) CONNECTIONS=$2; shift 2 ;;
        --ports) PORTS=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

bench_setup 4
# A /16 holds every port the runs create; the admin project's port quota
# (500) would stop them first.
printf '[quotas]\nquota_port = -1\n' >> "$CONF"
OS_BOOTSTRAP_PASSWORD=$PASSWORD "$BIN" all-in-one --data-dir "$WORK/data" --config "$CONF" \
    >/dev/null 2>"$WORK/server.log" &
PID=$!
trap 'kill $PID 2>/dev/null; rm -rf "$WORK"' EXIT
wait_http "$NETWORK_URL/" 30
TOKEN=$(admin_token)
AUTH=(-H "X-Auth-Token: $TOKEN" -H 'Content-Type: application/json')

json_id() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1']['id'])"; }
NET=$(curl -sf "${AUTH[@]}" -d '{"network": {"name": "bench"}}' "$NETWORK_URL/v2.0/networks" | json_id network)
curl -sf "${AUTH[@]}" -d "{\"subnet\": {\"network_id\": \"$NET\", \"ip_version\": 4, \"cidr\": \"10.200.0.0/16\"}}" \
    "$NETWORK_URL/v2.0/subnets" >/dev/null

cat > "$WORK/port.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"port": {"network_id": "$NET"}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Auth-Token"] = "$TOKEN"
LUA
cat > "$WORK/get.lua" <<LUA
wrk.headers["X-Auth-Token"] = "$TOKEN"
LUA

port_count() {
    curl -sf -H "X-Auth-Token: $TOKEN" "$NETWORK_URL/v2.0/ports?fields=id&network_id=$NET" \
        | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["ports"]))'
}

rss_mib() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$PID/status"; }

# The list figures first, at (about) the requested number of ports.
count=$(port_count)
while [ "$count" -lt "$PORTS" ]; do
    wrk -t2 -c"$CONNECTIONS" -d1s -s "$WORK/port.lua" "$NETWORK_URL/v2.0/ports" >/dev/null
    count=$(port_count)
done
rss_created=$(rss_mib)
wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" -s "$WORK/get.lua" "$NETWORK_URL/v2.0/ports?limit=100" > "$WORK/paged.txt"
read -r paged paged_err < <(wrk_rate "$WORK/paged.txt")
rss_paged=$(rss_mib)
wrk -t2 -c4 -d"${DURATION}s" -s "$WORK/get.lua" "$NETWORK_URL/v2.0/ports" > "$WORK/whole.txt"
read -r whole whole_err < <(wrk_rate "$WORK/whole.txt")
rss_whole=$(rss_mib)

wrk -t1 -c1 -d"${DURATION}s" -s "$WORK/port.lua" "$NETWORK_URL/v2.0/ports" > "$WORK/single.txt"
read -r single single_err < <(wrk_rate "$WORK/single.txt")
wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" -s "$WORK/port.lua" "$NETWORK_URL/v2.0/ports" > "$WORK/concurrent.txt"
read -r concurrent concurrent_err < <(wrk_rate "$WORK/concurrent.txt")
total=$(port_count)
distinct=$(curl -sf -H "X-Auth-Token: $TOKEN" "$NETWORK_URL/v2.0/ports?network_id=$NET" | python3 -c '
import json, sys
ips = [f["ip_address"] for p in json.load(sys.stdin)["ports"] for f in p["fixed_ips"]]
print(len(set(ips)), "of", len(ips))')

echo "GET /v2.0/ports?limit=100 ($count ports): $paged req/s ($paged_err errors)"
echo "GET /v2.0/ports (all $count):         $whole req/s ($whole_err errors)"
echo "server RSS: $rss_created MiB after creating them, $rss_paged after paged lists, $rss_whole after whole lists"
echo "port create, 1 client:                $single ports/s ($single_err errors)"
echo "port create, $CONNECTIONS clients:              $concurrent ports/s ($concurrent_err errors)"
echo "distinct addresses at the end:        $distinct ($total ports)"
