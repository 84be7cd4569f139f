#!/usr/bin/env bash
# Image benchmark: upload and download of a large image through the API on
# loopback (MiB/s), next to the single-pass md5+sha512 speed of this machine
# (the upload limit), the server's peak RSS growth during each transfer, and
# GET /v2/images with many images (wrk), with the list cache and without it
# (every page computed, as right after a write).
#
#   bench/image.sh [--size-mib N] [--images N] [--duration SECONDS] [--connections N]
#
# Prints figures only; nothing is asserted.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

SIZE_MIB=1024 IMAGES=1000 DURATION=10 CONNECTIONS=16
while [ $# -gt 0 ]; do
    case "$1" in
        --size-mib) SIZE_MIB=$2; shift 2 ;;
        --images) IMAGES=$2; shift 2 ;;
        --duration) DURATION=$2; shift 2 ;;
        --connections) CONNECTIONS=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

bench_setup 4
cargo build --release -p image --example hash_speed >&2
HASH_SPEED="$CARGO_TARGET_DIR/release/examples/hash_speed"

start_server() { # start_server [ENV=VALUE...]
    env OS_BOOTSTRAP_PASSWORD="$PASSWORD" "$@" "$BIN" all-in-one --data-dir "$WORK/data" \
        --config "$CONF" >/dev/null 2>>"$WORK/server.log" &
    PID=$!
    wait_http "$IMAGE_URL/versions" 30
}
start_server
trap 'kill $PID 2>/dev/null; rm -rf "$WORK"' EXIT

rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

# peak_rss_growth CMD...: runs CMD while sampling the server's RSS; prints
# "<seconds> <peak growth MiB>".
peak_rss_growth() {
    local base peak=0 start end sampler
    base=$(rss_kib $PID)
    ( while :; do rss_kib $PID; sleep 0.05; done ) > "$WORK/rss.samples" &
    sampler=$!
    start=$(date +%s%N)
    "$@"
    end=$(date +%s%N)
    kill $sampler; wait $sampler 2>/dev/null || true
    peak=$(sort -n "$WORK/rss.samples" | tail -n1)
    awk -v s="$start" -v e="$end" -v b="$base" -v p="$peak" \
        'BEGIN {printf "%.3f %.1f\n", (e - s) / 1e9, (p > b ? p - b : 0) / 1024}'
}

TOKEN=$(admin_token)
AUTH=(-H "X-Auth-Token: $TOKEN")

create_image() { # create_image NAME: prints the new image id
    curl -sf "${AUTH[@]}" -H 'Content-Type: application/json' \
        -d "{\"name\":\"$1\",\"disk_format\":\"raw\",\"container_format\":\"bare\"}" \
        "$IMAGE_URL/v2/images" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}

head -c "$((SIZE_MIB * 1024 * 1024))" /dev/urandom > "$WORK/image.raw"
read -r hash_mib_s md5 sha512 < <("$HASH_SPEED" "$WORK/image.raw")

ID=$(create_image big)
read -r up_s up_rss < <(peak_rss_growth curl -sf "${AUTH[@]}" -T "$WORK/image.raw" \
    -H 'Content-Type: application/octet-stream' "$IMAGE_URL/v2/images/$ID/file")
got=$(curl -sf "${AUTH[@]}" "$IMAGE_URL/v2/images/$ID" | python3 -c 'import json,sys; i=json.load(sys.stdin); print(i["status"], i["checksum"], i["os_hash_value"])')
[ "$got" = "active $md5 $sha512" ] || { echo "upload check failed: $got" >&2; exit 1; }
read -r down_s down_rss < <(peak_rss_growth curl -sf "${AUTH[@]}" -o "$WORK/copy.raw" \
    "$IMAGE_URL/v2/images/$ID/file")
cmp -s "$WORK/image.raw" "$WORK/copy.raw" || { echo "download differs" >&2; exit 1; }
rm -f "$WORK/copy.raw"

python3 - "$IMAGE_PORT" "$TOKEN" "$IMAGES" <<'PY'
import http.client, json, sys
port, token, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
conn = http.client.HTTPConnection("127.0.0.1", port)
headers = {"X-Auth-Token": token, "Content-Type": "application/json"}
for i in range(count):
    body = {"name": f"img-{i}", "disk_format": "qcow2", "container_format": "bare", "os_distro": "cirros"}
    conn.request("POST", "/v2/images", json.dumps(body), headers)
    resp = conn.getresponse()
    resp.read()
    assert resp.status == 201, resp.status
PY

list_bench() { # list_bench: prints "<req/s> <p99> <non-2xx>"
    local out
    out=$(wrk --latency -t2 -c"$CONNECTIONS" -d"${DURATION}s" "${AUTH[@]}" "$IMAGE_URL/v2/images")
    echo "$(awk '/Requests\/sec/ {print $2}' <<<"$out") $(awk '$1=="99%" {print $2}' <<<"$out") \
$(awk '/Non-2xx/ {print $NF}' <<<"$out" | grep . || echo 0)"
}
read -r list_rps list_p99 list_errors < <(list_bench)
# The same pages computed on every request, as after each write.
kill $PID; wait $PID 2>/dev/null || true
start_server FERROSTACK__IMAGE__LIST_CACHE_SIZE=0
read -r cold_rps cold_p99 cold_errors < <(list_bench)

mib_s() { awk -v m="$SIZE_MIB" -v s="$1" 'BEGIN {printf "%.1f", m / s}'; }
echo "ferrostack image benchmark ($(nproc) cores, ${SIZE_MIB} MiB image, file store on $(df --output=fstype "$WORK" | tail -n1))"
printf '%-40s %10s MiB/s\n' "md5+sha512 single pass (the limit)" "$hash_mib_s"
printf '%-40s %10s MiB/s   %5.1f%% of the limit   peak RSS growth %s MiB\n' \
    "upload (PUT /file)" "$(mib_s "$up_s")" \
    "$(awk -v a="$(mib_s "$up_s")" -v b="$hash_mib_s" 'BEGIN {print 100 * a / b}')" "$up_rss"
printf '%-40s %10s MiB/s   peak RSS growth %s MiB\n' "download (GET /file)" "$(mib_s "$down_s")" "$down_rss"
printf '%-40s %10s req/s   p99 %s   non-2xx %s\n' "GET /v2/images, $((IMAGES + 1)) images" \
    "$list_rps" "$list_p99" "$list_errors"
printf '%-40s %10s req/s   p99 %s   non-2xx %s\n' "  the same, list cache off" \
    "$cold_rps" "$cold_p99" "$cold_errors"
