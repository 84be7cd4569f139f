# Shared by the scripts: paths, system packages, the Python venv, local servers.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
export FERROSTACK_VENV="${FERROSTACK_VENV:-$HOME/.cache/ferrostack/venv}"

log() { printf '\n== %s\n' "$*" >&2; }

# System packages: C client libraries for the PostgreSQL and MariaDB drivers.
install_system_packages() {
    local missing=()
    for pkg in pkg-config libpq-dev default-libmysqlclient-dev; do
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
    local want=(python-openstackclient python-glanceclient pytest pyyaml requests)
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
