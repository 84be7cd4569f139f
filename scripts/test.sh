#!/usr/bin/env bash
# The whole test suite: Rust unit and integration tests (identity on SQLite,
# PostgreSQL and MariaDB), the stock `openstack`, `glance` and `nova` CLI flows, and
# the Tempest subset (identity, image, network, compute) against a running ferrostack on each
# database backend.
# Installs what it needs (apt packages, a Python venv with the clients and
# Tempest) and starts the local database servers if they are down.
# Ends with one line: 'total: N passed, N failed'.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -e
install_system_packages
require_cargo
ensure_databases
ensure_venv tempest
cd "$ROOT"
log "building"
cargo build --bin ferrostack
set +e

PASSED=0 FAILED=0 STATUS=0
LOGS="$(mktemp -d "${TMPDIR:-/tmp}/ferrostack-test.XXXXXX")"
SERVER_PID=""

# count LOGFILE PASS_REGEX FAIL_REGEX: adds the numbers found on the last matching line.
count() {
    local line p f
    line=$(grep -E "$2" "$1" | tail -n1)
    p=$(sed -nE "s/.*[^0-9]([0-9]+) passed.*/\1/p" <<<" $line")
    f=$(sed -nE "s/.*[^0-9]([0-9]+) failed.*/\1/p" <<<" $line")
    PASSED=$((PASSED + ${p:-0}))
    FAILED=$((FAILED + ${f:-0}))
    if [ -z "$p" ]; then
        echo "no result line in $1" >&2
        STATUS=1
    fi
}

stage() { # stage NAME LOG: runs the rest as a command, tees to LOG
    local name=$1 logfile=$2
    shift 2
    log "$name"
    "$@" 2>&1 | tee "$logfile"
    local rc=${PIPESTATUS[0]}
    [ "$rc" -ne 0 ] && STATUS=1 && echo "== $name failed (exit $rc)" >&2
    return 0
}

# --- Rust ------------------------------------------------------------------
if cargo nextest --version >/dev/null 2>&1; then
    stage "cargo nextest" "$LOGS/rust.log" cargo nextest run --workspace --no-fail-fast
    count "$LOGS/rust.log" "tests run:" ""
else
    stage "cargo test" "$LOGS/rust.log" cargo test --workspace --no-fail-fast
    while read -r line; do
        p=$(sed -nE 's/.* ([0-9]+) passed.*/\1/p' <<<"$line")
        f=$(sed -nE 's/.* ([0-9]+) failed.*/\1/p' <<<"$line")
        PASSED=$((PASSED + ${p:-0})); FAILED=$((FAILED + ${f:-0}))
    done < <(grep -E "^test result:" "$LOGS/rust.log")
fi

# --- openstack CLI ---------------------------------------------------------
export FERROSTACK_BIN="$CARGO_TARGET_DIR/debug/ferrostack"
stage "openstack CLI" "$LOGS/cli.log" "$FERROSTACK_VENV/bin/python" -m pytest tests/cli -q -p no:cacheprovider
count "$LOGS/cli.log" "(passed|failed)" ""

# --- Tempest on each database backend --------------------------------------
start_server() { # start_server DIR CONNECTION
    local dir=$1 connection=$2 port
    port=$(free_port)
    mkdir -p "$dir/data"
    {
        printf '[DEFAULT]\nbind_host = 127.0.0.1\npublic_port = %s\n' "$port"
        printf 'osapi_compute_listen_port = %s\n' "$(free_port)"
        printf '[image]\nbind_port = %s\n' "$(free_port)"
        printf '[network]\nbind_port = %s\n' "$(free_port)"
        printf '[database]\nconnection = %s\n' "$connection"
        printf '[identity]\npassword_hash_rounds = 4\n'
        # two fake compute hosts, so resize and migrate have somewhere to go
        printf '[fake_driver]\nhosts = cmp1, cmp2\n'
        printf '[quota]\ninstances = 200\ncores = 400\nram = 2000000\n'
        cat tempest-subset/identity-security.ini
    } > "$dir/ferrostack.conf"
    OS_BOOTSTRAP_PASSWORD="Adm-$(free_port)-$RANDOM" "$FERROSTACK_BIN" all-in-one \
        --data-dir "$dir/data" --config "$dir/ferrostack.conf" > "$dir/server.log" 2>&1 &
    SERVER_PID=$!
    wait_http "http://127.0.0.1:$port/v3" 30
}

stop_server() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=""
}
trap stop_server EXIT

tempest_on() { # tempest_on NAME CONNECTION
    local name=$1 connection=$2 dir="$LOGS/tempest-$1"
    if ! start_server "$dir" "$connection"; then
        cat "$dir/server.log" >&2
        STATUS=1 FAILED=$((FAILED + 1))
        return
    fi
    stage "tempest identity, image, network and compute on $name" "$dir/tempest.log" \
        tempest-subset/run.sh --clouds "$dir/data/clouds.yaml" identity image network compute
    count "$dir/tempest.log" "^[0-9]+ passed, [0-9]+ failed" ""
    stop_server
}

tempest_on sqlite "sqlite:///$LOGS/tempest-sqlite.db"
psql -h 127.0.0.1 -U postgres -d test -q -c "DROP DATABASE IF EXISTS ferrostack_tempest" -c "CREATE DATABASE ferrostack_tempest"
tempest_on postgresql "postgresql://postgres@127.0.0.1:5432/ferrostack_tempest"
mysql -h 127.0.0.1 -u root -e "DROP DATABASE IF EXISTS ferrostack_tempest; CREATE DATABASE ferrostack_tempest"
tempest_on mariadb "mysql://root@127.0.0.1:3306/ferrostack_tempest"

echo
echo "logs in $LOGS"
[ "$FAILED" -gt 0 ] && STATUS=1
echo "total: $PASSED passed, $FAILED failed"
exit $STATUS
