#!/usr/bin/env bash
# Run ferrostack's Tempest subset against a running cloud.
#
#   tempest-subset/run.sh --clouds DIR/clouds.yaml [--cloud NAME] \
#       [--conf-extra FILE]... [--list] SERVICE [SERVICE...]
#
#   SERVICE   identity, image, compute, volume, network, object-storage; each
#             needs tempest-subset/SERVICE.txt (include list) and may have
#             tempest-subset/SERVICE-exclude.txt (documented exclusions).
#   --cloud   cloud name in clouds.yaml (default: ferrostack)
#   --conf-extra FILE   INI merged over the generated tempest.conf (repeatable)
#   --list    only list the selected tests (no cloud needed), print the count
#
# Environment:
#   FERROSTACK_VENV         venv holding tempest (default ~/.cache/ferrostack/venv;
#                           created with python3 -m venv, tempest pip-installed)
#   FERROSTACK_TEMPEST_DIR  tempest workspace (default: a new temp dir; kept
#                           afterwards for logs/tempest.log and results.subunit)
#   FERROSTACK_TEMPEST_CONCURRENCY  workers (default 2)
#
# Ends with exactly one line 'N passed, N failed, N skipped'. Exits non-zero
# if any test failed, tempest itself failed, or no test passed or failed
# (nothing ran, or everything was skipped).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${FERROSTACK_VENV:-$HOME/.cache/ferrostack/venv}"
CONCURRENCY="${FERROSTACK_TEMPEST_CONCURRENCY:-2}"

usage() {
    sed -n '2,25p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

clouds="" cloud="ferrostack" list_only=0
conf_extra=() services=()
while [ $# -gt 0 ]; do
    case "$1" in
        --clouds) clouds="${2:?--clouds needs a file}"; shift 2 ;;
        --clouds=*) clouds="${1#*=}"; shift ;;
        --cloud) cloud="${2:?--cloud needs a name}"; shift 2 ;;
        --cloud=*) cloud="${1#*=}"; shift ;;
        --conf-extra) conf_extra+=("${2:?--conf-extra needs a file}"); shift 2 ;;
        --conf-extra=*) conf_extra+=("${1#*=}"); shift ;;
        --list) list_only=1; shift ;;
        -h|--help) usage ;;
        -*) echo "run.sh: unknown option $1" >&2; usage ;;
        *) services+=("$1"); shift ;;
    esac
done
[ ${#services[@]} -gt 0 ] || { echo "run.sh: no service given" >&2; usage; }
if [ "$list_only" = 0 ] && [ -z "$clouds" ]; then
    echo "run.sh: --clouds is required" >&2; usage
fi
for svc in "${services[@]}"; do
    [ -f "$HERE/$svc.txt" ] || { echo "run.sh: no include list $HERE/$svc.txt" >&2; exit 2; }
done

# --- 1. venv with tempest -------------------------------------------------
ensure_venv() {
    if [ ! -x "$VENV/bin/python" ]; then
        mkdir -p "$(dirname "$VENV")"
        python3 -m venv "$VENV"
    fi
    if ! (cd / && "$VENV/bin/python" -c 'import tempest, yaml, subunit, testtools') 2>/dev/null; then
        echo "run.sh: installing tempest into $VENV" >&2
        "$VENV/bin/python" -m pip install --quiet tempest
    fi
}
mkdir -p "$(dirname "$VENV")"
if command -v flock >/dev/null 2>&1; then
    # serialise with other tooling that installs into the same venv
    exec 9>"$VENV.lock"
    flock 9
    ensure_venv
    flock -u 9
    exec 9>&-
else
    ensure_venv
fi
PY="$VENV/bin/python"

# --- 2. workspace + tempest.conf ------------------------------------------
if [ -n "${FERROSTACK_TEMPEST_DIR:-}" ]; then
    WS="$FERROSTACK_TEMPEST_DIR"
    mkdir -p "$WS"
else
    WS="$(mktemp -d "${TMPDIR:-/tmp}/ferrostack-tempest.XXXXXX")"
fi
WS="$(cd "$WS" && pwd)"
mkdir -p "$WS/etc" "$WS/logs" "$WS/lock"
echo "run.sh: tempest workspace $WS" >&2

svc_csv="$(IFS=,; echo "${services[*]}")"
if [ -n "$clouds" ]; then
    extra_args=()
    for f in "${conf_extra[@]+"${conf_extra[@]}"}"; do extra_args+=(--conf-extra "$f"); done
    "$PY" "$HERE/write_conf.py" --clouds "$clouds" --cloud "$cloud" \
        --security-ini "$HERE/identity-security.ini" --workspace "$WS" \
        --services "$svc_csv" --out "$WS/etc/tempest.conf" \
        "${extra_args[@]+"${extra_args[@]}"}"
else
    : > "$WS/etc/tempest.conf"   # --list without a cloud: defaults suffice
fi

# --- 3. include / exclude lists -------------------------------------------
include_files=() exclude_files=()
for svc in "${services[@]}"; do
    include_files+=("$HERE/$svc.txt")
    [ -f "$HERE/$svc-exclude.txt" ] && exclude_files+=("$HERE/$svc-exclude.txt")
done
"$PY" "$HERE/to_regex.py" "${include_files[@]}" > "$WS/include.txt"
run_args=(--config-file "$WS/etc/tempest.conf" --include-list "$WS/include.txt")
if [ ${#exclude_files[@]} -gt 0 ]; then
    "$PY" "$HERE/to_regex.py" "${exclude_files[@]}" > "$WS/exclude.txt"
    [ -s "$WS/exclude.txt" ] && run_args+=(--exclude-list "$WS/exclude.txt")
fi

cd "$WS"
export TEMPEST_CONFIG_DIR="$WS/etc" TEMPEST_CONFIG=tempest.conf
# the same .stestr.conf 'tempest init' writes (group_regex keeps each test
# class in one worker); a fresh stestr repository so 'stestr last' is this run
if [ ! -f .stestr.conf ]; then
    "$PY" -c 'import os, tempest.cmd.init as i
top = os.path.dirname(os.path.dirname(i.__file__))
open(".stestr.conf", "w").write(
    i.STESTR_CONF % (os.path.join(top, "test_discover"), top))'
fi
rm -rf "$WS/.stestr"
"$VENV/bin/stestr" init >/dev/null

if [ "$list_only" = 1 ]; then
    "$VENV/bin/tempest" run "${run_args[@]}" --list-tests > "$WS/list.txt"
    grep -E '^tempest\.' "$WS/list.txt" || true
    n="$(grep -cE '^tempest\.' "$WS/list.txt" || true)"
    echo "$n tests selected"
    [ "$n" -gt 0 ]
    exit
fi

# --- 4. run ---------------------------------------------------------------
rc=0
"$VENV/bin/tempest" run "${run_args[@]}" --concurrency "$CONCURRENCY" || rc=$?

# --- 5. summary -----------------------------------------------------------
: > "$WS/results.subunit"
if [ -d "$WS/.stestr" ]; then
    "$VENV/bin/stestr" last --subunit > "$WS/results.subunit" 2>/dev/null || true
fi
summary="$("$PY" "$HERE/summarize.py" "$WS/results.subunit")"
last="$(printf '%s\n' "$summary" | tail -n 1)"
printf '%s\n' "$summary" | sed '$d'
echo "run.sh: logs in $WS/logs/tempest.log" >&2

read -r n_pass _ n_fail _ n_skip _ <<<"$last"
status=0
if [ "$n_fail" -gt 0 ]; then
    status=1
elif [ $((n_pass + n_fail)) -eq 0 ]; then
    echo "run.sh: no test ran (all skipped or none selected)" >&2
    status=1
elif [ "$rc" -ne 0 ]; then
    echo "run.sh: tempest run exited $rc" >&2
    status=1
fi
echo "$last"
exit "$status"
