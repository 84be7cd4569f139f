# Shared by the scripts: paths, system packages, the Python venv, local servers.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
export FERROSTACK_VENV="${FERROSTACK_VENV:-$HOME/.cache/ferrostack/venv}"

log() { printf '\n== %s\n' "$*" >&2; }

# System packages: the MariaDB client library, and OpenSSL's headers for the
# PostgreSQL client library that is built into the binary.
install_system_packages() {
    local missing=()
    for pkg in pkg-config libssl-dev default-libmysqlclient-dev; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

require_cargo() {
    command -v cargo >/dev/null 2>&1 && return 0
    [ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH" && return 0
    echo "cargo not found: install Rust (https://rustup.rs) first" >&2
    exit 1
}

# The venv with the stock clients (python-openstackclient) and, with
# "tempest" as argument, Tempest too.
ensure_venv() {
    if [ ! -x "$FERROSTACK_VENV/bin/python" ]; then
        log "creating Python venv $FERROSTACK_VENV"
        python3 -m venv "$FERROSTACK_VENV"
        "$FERROSTACK_VENV/bin/pip" install --quiet --upgrade pip
    fi
    local want=(python-openstackclient python-glanceclient python-novaclient pytest pyyaml requests)
    [ "${1:-}" = tempest ] && want+=(tempest)
    local missing=()
    for pkg in "${want[@]}"; do
        "$FERROSTACK_VENV/bin/pip" show --quiet "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        log "installing ${missing[*]} into the venv"
        "$FERROSTACK_VENV/bin/pip" install --quiet "${missing[@]}"
    fi
}

# Starts the local PostgreSQL and MariaDB servers if they are not running.
ensure_databases() {
    if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
        log "starting PostgreSQL"
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    fi
    if ! mysqladmin -h 127.0.0.1 -u root status >/dev/null 2>&1; then
        log "starting MariaDB"
        start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
    fi
    local i
    for i in $(seq 1 30); do
        pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null && mysqladmin -h 127.0.0.1 -u root status >/dev/null 2>&1 && return 0
        sleep 1
    done
    echo "PostgreSQL or MariaDB did not come up on 127.0.0.1" >&2
    return 1
}

# A free TCP port on loopback.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_http URL [SECONDS]
wait_http() {
    local url=$1 limit=${2:-30} i
    for i in $(seq 1 $((limit * 10))); do
        curl -s -o /dev/null "$url" && return 0
        sleep 0.1
    done
    echo "nothing answers at $url" >&2
    return 1
}

# --- benchmarks -----------------------------------------------------------

# bench_setup ROUNDS: wrk, a release build and a work directory with a
# config giving every API a free port. Sets BIN WORK CONF PASSWORD and
# PORT/URL, IMAGE_PORT/IMAGE_URL, NETWORK_PORT/NETWORK_URL. Extra config
# lines can be appended to "$CONF" afterwards (in new sections).
bench_setup() {
    local rounds=$1
    command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
    install_system_packages
    require_cargo
    cd "$ROOT"
    cargo build --release --bin ferrostack >&2
    BIN="$CARGO_TARGET_DIR/release/ferrostack"
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/ferrostack-bench.XXXXXX")
    PORT=$(free_port) IMAGE_PORT=$(free_port) NETWORK_PORT=$(free_port)
    URL="http://127.0.0.1:$PORT" IMAGE_URL="http://127.0.0.1:$IMAGE_PORT"
    NETWORK_URL="http://127.0.0.1:$NETWORK_PORT"
    COMPUTE_PORT=$(free_port) COMPUTE_URL="http://127.0.0.1:$COMPUTE_PORT"
    PASSWORD="bench-$RANDOM-secret"
    CONF="$WORK/conf.ini"
    printf '[DEFAULT]\npublic_port = %s\nosapi_compute_listen_port = %s\n[image]\nbind_port = %s\n[network]\nbind_port = %s\n[identity]\npassword_hash_rounds = %s\n' \
        "$PORT" "$COMPUTE_PORT" "$IMAGE_PORT" "$NETWORK_PORT" "$rounds" > "$CONF"
}

# admin_token: a token of the bootstrap admin, scoped to the admin project.
admin_token() {
    local body token
    body="{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{\"name\":\"admin\",\"domain\":{\"name\":\"Default\"},\"password\":\"$PASSWORD\"}}},\"scope\":{\"project\":{\"name\":\"admin\",\"domain\":{\"name\":\"Default\"}}}}}"
    token=$(curl -s -D - -o /dev/null -H 'Content-Type: application/json' -d "$body" "$URL/v3/auth/tokens" \
        | awk 'tolower($1)=="x-subject-token:" {print $2}' | tr -d '\r')
    [ -n "$token" ] || { echo "no token" >&2; return 1; }
    echo "$token"
}

# wrk_rate LOG: requests/s of a wrk run, and its non-2xx count.
wrk_rate() {
    local rate errors
    rate=$(awk '/Requests\/sec/ {print $2}' "$1")
    errors=$(awk '/Non-2xx/ {print $NF}' "$1")
    echo "${rate:-0} ${errors:-0}"
}

