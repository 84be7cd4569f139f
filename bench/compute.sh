#!/usr/bin/env bash
# Compute benchmark on the fake hypervisor, release build, embedded SQLite:
#  - BOOTS servers booted concurrently (CLIENTS clients, one POST /servers
#    each, a port on a /16 network per server): time until all are ACTIVE,
#    servers/s, p50/p99 of POST /servers;
#  - GET /servers/detail?limit=1000 once TOTAL servers exist;
#  - scheduler decision time (filters and weighers) at 1,000 and 10,000
#    hosts, in memory (compute/examples/scheduler_bench.rs).
#
#   bench/compute.sh [--boots N] [--total N] [--clients N] [--hosts N]
#
# Prints figures only; nothing is asserted.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

BOOTS=1000 TOTAL=10000 CLIENTS=64 HOSTS=10
while [ $# -gt 0 ]; do
    case "$1" in
        --boots) BOOTS=$2; shift 2 ;;
        --total) TOTAL=$2; shift 2 ;;
        --clients) CLIENTS=$2; shift 2 ;;
        --hosts) HOSTS=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

bench_setup 4
ensure_venv
cargo build --release -p compute --example scheduler_bench >&2
hosts=$(seq -s, -f 'bench%g' 1 "$HOSTS")
# Unlimited quotas (compute and ports); a /16 holds every port.
printf '[fake_driver]\nhosts = %s\n[quota]\ninstances = -1\ncores = -1\nram = -1\n[quotas]\nquota_port = -1\n' \
    "$hosts" >> "$CONF"
OS_BOOTSTRAP_PASSWORD=$PASSWORD "$BIN" all-in-one --data-dir "$WORK/data" --config "$CONF" \
    >/dev/null 2>"$WORK/server.log" &
PID=$!
trap 'kill $PID 2>/dev/null; rm -rf "$WORK"' EXIT
wait_http "$COMPUTE_URL/" 30
TOKEN=$(admin_token)

"$FERROSTACK_VENV/bin/python" - "$TOKEN" "$COMPUTE_URL" "$NETWORK_URL" "$IMAGE_URL" \
    "$BOOTS" "$TOTAL" "$CLIENTS" <<'PY'
import json, statistics, sys, time
from concurrent.futures import ThreadPoolExecutor
import requests

token, compute, network, image, boots, total, clients = sys.argv[1:8]
boots, total, clients = int(boots), int(total), int(clients)
s = requests.Session()
s.headers.update({"X-Auth-Token": token, "Content-Type": "application/json"})
adapter = requests.adapters.HTTPAdapter(pool_maxsize=clients)
s.mount("http://", adapter)

net = s.post(f"{network}/v2.0/networks", json={"network": {"name": "bench"}}).json()["network"]["id"]
s.post(f"{network}/v2.0/subnets", json={"subnet": {
    "network_id": net, "ip_version": 4, "cidr": "10.100.0.0/16"}}).raise_for_status()
img = s.post(f"{image}/v2/images", json={"name": "bench", "disk_format": "raw",
                                         "container_format": "bare"}).json()["id"]
s.put(f"{image}/v2/images/{img}/file", data=b"\0" * 4096,
      headers={"Content-Type": "application/octet-stream"}).raise_for_status()

def boot(i):
    body = {"server": {"name": f"b{i}", "imageRef": img, "flavorRef": "42",
                       "networks": [{"uuid": net}]}}
    t = time.perf_counter()
    r = s.post(f"{compute}/v2.1/servers", json=body)
    r.raise_for_status()
    return time.perf_counter() - t

def active_count():
    n, marker = 0, None
    while True:
        url = f"{compute}/v2.1/servers/detail?status=ACTIVE&limit=1000"
        if marker:
            url += f"&marker={marker}"
        page = s.get(url).json()["servers"]
        n += len(page)
        if len(page) < 1000:
            return n
        marker = page[-1]["id"]

def boot_all(first, count):
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        lat = list(pool.map(boot, range(first, first + count)))
    posted = time.perf_counter() - start
    while active_count() < first + count:
        time.sleep(0.05)
    return lat, posted, time.perf_counter() - start

lat, posted, done = boot_all(0, boots)
lat.sort()
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000
print(f"boot: {boots} servers ACTIVE in {done:.2f} s ({boots / done:.0f} servers/s, "
      f"all POSTs answered in {posted:.2f} s); POST /servers p50 {q(0.5):.1f} ms, p99 {q(0.99):.1f} ms")

if total > boots:
    _, _, more = boot_all(boots, total - boots)
    print(f"boot: {total - boots} more servers ACTIVE in {more:.1f} s")
times = []
for _ in range(20):
    t = time.perf_counter()
    r = s.get(f"{compute}/v2.1/servers/detail?limit=1000")
    body = r.content  # the whole response, not yet decoded by the client
    times.append(time.perf_counter() - t)
    r.raise_for_status()
    assert len(json.loads(body)["servers"]) == 1000
times.sort()
print(f"list: GET /servers/detail?limit=1000 with {total} servers: p50 {times[10] * 1000:.1f} ms, "
      f"max {times[-1] * 1000:.1f} ms")
PY
"$CARGO_TARGET_DIR/release/examples/scheduler_bench" 1000 10000
echo "server RSS after the runs: $(awk '/VmRSS/ {print $2}' /proc/$PID/status) KiB"
