#!/usr/bin/env bash
# Builds ferrostack and starts the all-in-one cloud (embedded SQLite, in-process
# bus) with its data in ./ferrostack-data. The first start prints the admin
# password and writes ferrostack-data/clouds.yaml and openrc; then, in another
# shell:  source ~/.cache/ferrostack/venv/bin/activate &&
#         OS_CLIENT_CONFIG_FILE=ferrostack-data/clouds.yaml openstack --os-cloud ferrostack token issue
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
install_system_packages
require_cargo
ensure_venv
cd "$ROOT"
cargo build --release --bin ferrostack
exec "$CARGO_TARGET_DIR/release/ferrostack" all-in-one --data-dir "${FERROSTACK_DATA_DIR:-$ROOT/ferrostack-data}" "$@"
