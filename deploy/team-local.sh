#!/usr/bin/env bash
# The team recipe without Docker: one Chroma server and N app processes on consecutive ports, all on one
# PostgreSQL database that already exists. Ctrl-C (or SIGTERM) stops every process it started. Started in the
# background of another script (`... &`), it inherits SIGINT ignored, which bash cannot trap: stop it with SIGTERM.
#
#   export SMM_DATABASE_URL=postgresql://smm:PASSWORD@db.example:5432/smm
#   deploy/team-local.sh [--apps 2] [--port 8501] [--chroma-port 8000] [--dir ./smm-team] [--address 127.0.0.1]
#                        [--bin DIR]   (where smm and chroma are; default the checkout's .venv/bin, else PATH)
#
# The database URL is read from the environment only, so its password never shows in the process list.
# Other SMM_* settings (SMM_TRUSTED_USER_HEADER, SMM_EMBEDDINGS, ...) are passed on to every app as they are.
# --dir holds Chroma's data, each app's data folder (SMM_DATA_DIR), the logs and the file `pids`
# ("PID NAME URL" per line, removed when everything has stopped). Put a proxy with sticky sessions in front of
# the apps (deploy/Caddyfile shows one), or give each person one app's address.
set -euo pipefail

usage() { # the comment block at the top of this file
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
}

die() {
    echo "team-local.sh: $*" >&2
    exit 2
}

apps=2
port=8501
chroma_port=8000
dir=./smm-team
address=127.0.0.1
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin=""

while (($#)); do
    case "$1" in
        --apps) apps="${2:-}"; shift 2 || die "--apps needs a number" ;;
        --port) port="${2:-}"; shift 2 || die "--port needs a number" ;;
        --chroma-port) chroma_port="${2:-}"; shift 2 || die "--chroma-port needs a number" ;;
        --dir) dir="${2:-}"; shift 2 || die "--dir needs a folder" ;;
        --address) address="${2:-}"; shift 2 || die "--address needs an address" ;;
        --bin) bin="${2:-}"; shift 2 || die "--bin needs the folder holding smm and chroma" ;;
        -h | --help) usage; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
done

[[ "$apps" =~ ^[1-9][0-9]?$ ]] || die "--apps must be a number from 1 to 99, not '$apps'"
[[ "$port" =~ ^[0-9]+$ ]] && ((port >= 1024 && port + apps - 1 <= 65535)) ||
    die "--port must leave room for $apps consecutive ports between 1024 and 65535, not '$port'"
[[ "$chroma_port" =~ ^[0-9]+$ ]] && ((chroma_port >= 1024 && chroma_port <= 65535)) ||
    die "--chroma-port must be a port between 1024 and 65535, not '$chroma_port'"
((chroma_port < port || chroma_port >= port + apps)) ||
    die "--chroma-port $chroma_port is one of the apps' ports ($port to $((port + apps - 1)))"

db="${SMM_DATABASE_URL:-}"
case "$db" in
    postgresql://* | postgres://* | postgresql+psycopg://*) ;;
    "") die "set SMM_DATABASE_URL to the PostgreSQL database the apps share, e.g. postgresql://smm:PASSWORD@db.example:5432/smm" ;;
    *) die "SMM_DATABASE_URL must be a postgresql:// URL: app processes on several machines share a database server" ;;
esac
shown_db="$(printf '%s' "$db" | sed -E 's#://([^:/@]*):[^@]*@#://\1:***@#')"

# The checkout's virtual environment first (make run sets it up), else whatever is on PATH.
if [[ -z "$bin" ]]; then
    if [[ -x "$here/../.venv/bin/smm" ]]; then bin="$here/../.venv/bin"; else bin="$(dirname "$(command -v smm || echo ./smm)")"; fi
fi
smm="$bin/smm"
chroma="$bin/chroma"
python="$bin/python"
[[ -x "$smm" ]] || die "no smm in $bin: run 'make run' once, or pass --bin with the folder holding smm"
[[ -x "$chroma" ]] || die "no chroma in $bin (it comes with the chromadb package the assistant installs)"
[[ -x "$python" ]] || python="$(command -v python3)"

mkdir -p "$dir/logs"
dir="$(cd "$dir" && pwd)"
pidfile="$dir/pids"
[[ ! -s "$pidfile" ]] || die "$pidfile lists processes from an earlier run; stop them (or delete the file if they are gone)"
chroma_url="http://127.0.0.1:$chroma_port"
export ANONYMIZED_TELEMETRY=False STREAMLIT_BROWSER_GATHER_USAGE_STATS=false

pids=()
names=()

# Whether PID still runs. A zombie (exited, not yet reaped) counts as stopped: `kill -0` succeeds on one, and
# inside a trap bash may not reap until the handler returns.
running() {
    local state
    kill -0 "$1" 2>/dev/null || return 1
    state="$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null || true)"
    [[ "$state" != "Z" ]]
}

# Stop every process started here: TERM, up to 15 s for a clean stop, then KILL, then at most 5 s more. No `wait`
# on them, so the stop is bounded whatever state a child is in; exiting leaves any zombie to init.
stop_all() {
    trap - INT TERM EXIT
    if ((${#pids[@]})); then
        echo "stopping ${#pids[@]} process(es): ${names[*]}"
        kill -TERM "${pids[@]}" 2>/dev/null || true
        local pid alive
        for round in $(seq 100); do
            alive=0
            for pid in "${pids[@]}"; do running "$pid" && alive=1; done
            ((alive)) || break
            ((round != 75)) || kill -KILL "${pids[@]}" 2>/dev/null || true
            sleep 0.2
        done
        ((alive == 0)) || echo "team-local.sh: some processes did not stop even after KILL: ${pids[*]}" >&2
    fi
    rm -f "$pidfile"
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap stop_all EXIT

# Wait until URL answers 200; fail with the log's end if the process dies or the time runs out.
wait_for() {
    local name=$1 url=$2 pid=$3 seconds=$4 log=$5
    if ! "$python" - "$url" "$pid" "$seconds" <<'PY'; then
import os, sys, time, urllib.request
url, pid, deadline = sys.argv[1], int(sys.argv[2]), time.monotonic() + float(sys.argv[3])
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        sys.exit(1)
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            if r.status == 200:
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.3)
sys.exit(1)
PY
        echo "team-local.sh: $name did not start (log: $log):" >&2
        tail -n 20 "$log" >&2 || true
        exit 1
    fi
}

started() { # pid name url
    pids+=("$1")
    names+=("$2")
    echo "$1 $2 $3" >>"$pidfile"
}

echo "database: $shown_db"
# One clear message now (wrong password, no such database) rather than N failing apps; creates the tables once.
SMM_DATA_DIR="$dir/index" "$smm" sessions >/dev/null

"$chroma" run --path "$dir/chroma" --host 127.0.0.1 --port "$chroma_port" >"$dir/logs/chroma.log" 2>&1 &
started $! chroma "$chroma_url"
wait_for "the Chroma server" "$chroma_url/api/v2/heartbeat" "$!" 60 "$dir/logs/chroma.log"
echo "chroma:   $chroma_url (pid $!, data in $dir/chroma)"

# The catalog's collection, built once before any app starts: two apps finding it missing at once would both build it.
SMM_DATA_DIR="$dir/index" SMM_CHROMA_URL="$chroma_url" "$smm" index build

for i in $(seq "$apps"); do
    p=$((port + i - 1))
    mkdir -p "$dir/app$i"
    SMM_DATA_DIR="$dir/app$i" SMM_CHROMA_URL="$chroma_url" SMM_DATABASE_URL="$db" \
        "$smm" ui --address "$address" --port "$p" >"$dir/logs/app$i.log" 2>&1 &
    started $! "app$i" "http://$address:$p"
done
# An app listening on every interface answers on the loopback one too.
probe="$address"
[[ "$address" != "0.0.0.0" && "$address" != "::" ]] || probe=127.0.0.1
for i in $(seq "$apps"); do
    p=$((port + i - 1))
    wait_for "app $i" "http://$probe:$p/_stcore/health" "${pids[$i]}" 180 "$dir/logs/app$i.log"
    echo "app $i:    http://$address:$p (pid ${pids[$i]}, data in $dir/app$i)"
done
echo "all running; process IDs in $pidfile. Ctrl-C stops them all."

# Until Ctrl-C, or until one of them stops on its own (then the others are stopped too). Polling rather than
# `wait -n`, so that the trap never runs inside a `wait` and the zombie test above decides what "stopped" means.
stopped=""
while [[ -z "$stopped" ]]; do
    for i in "${!pids[@]}"; do running "${pids[$i]}" || stopped="${names[$i]}"; done
    [[ -n "$stopped" ]] || sleep 0.5
done
echo "team-local.sh: $stopped stopped on its own; stopping the others. Logs: $dir/logs" >&2
exit 1
