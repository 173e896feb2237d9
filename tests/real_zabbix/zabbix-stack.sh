#!/usr/bin/env bash
# Run a real Zabbix 6.0 stack (server, agent, PHP frontend, PostgreSQL) from the
# Debian bookworm packages, and beside it a real Zabbix 7.0 (server and PHP
# frontend) from bookworm-backports, without systemd and without a web server.
# The 7.0 packages are only downloaded and unpacked into their own directory;
# the 7.0 server has its own database, ports and state directory, and uses the
# 6.0 agent and PostgreSQL.
#
#   zabbix-stack.sh up [6.0|7.0]       install what is missing, start everything (or one version
#                                      and what it needs), wait for the API
#   zabbix-stack.sh down               stop what "up" started
#   zabbix-stack.sh status             say what runs
#   zabbix-stack.sh env [6.0|7.0]      print export lines for ZABBIX_URL / ZABBIX_USERNAME / ZABBIX_PASSWORD
#   zabbix-stack.sh reload [6.0|7.0]   ask the server to reload its configuration cache now
#   zabbix-stack.sh global-scripts on|off|shipped
#                                      restart the 7.0 server with EnableGlobalScripts=1, =0, or the
#                                      value of the shipped zabbix_server.conf, and wait until the
#                                      frontend knows
#   zabbix-stack.sh stop-server 7.0    stop the 7.0 server only (the frontend keeps answering)
#
# See docs/real-zabbix.md for the environment variables.
set -euo pipefail

STATE_DIR=${ZBX_STATE_DIR:-/tmp/scriptbridge-zabbix}
FRONTEND_PORT=${ZBX_PORT:-8580}
TRAPPERS=${ZBX_TRAPPERS:-5}
UP_TIMEOUT=${ZBX_UP_TIMEOUT:-300}
CACHE_UPDATE=${ZBX_CACHE_UPDATE_FREQUENCY:-5}
DB_NAME=zabbix
DB_USER=zabbix
DB_PASSWORD=${ZBX_DB_PASSWORD:-zabbix}
API_USER=Admin
API_PASSWORD=zabbix
SERVER_PORT=10051
AGENT_PORT=10050
PING_SCRIPTID=1
PING_HOSTID=10084
URL="http://127.0.0.1:${FRONTEND_PORT}"
API="${URL}/api_jsonrpc.php"
CLEAN_PATH=/usr/sbin:/usr/bin:/sbin:/bin
SCHEMA_DIR=/usr/share/zabbix-server-pgsql
FRONTEND_DIR=/usr/share/zabbix
FRONTEND_CONF=/etc/zabbix/zabbix.conf.php
FRONTEND_USER=www-data

PACKAGES=(
    zabbix-server-pgsql zabbix-frontend-php zabbix-agent
    php8.2-cli php8.2-cgi php8.2-pgsql
    php8.2-mbstring php8.2-gd php8.2-bcmath php8.2-xml php8.2-ldap
    postgresql iputils-ping curl python3
    # the two libraries the 7.0 server needs beyond what the 6.0 packages bring
    libevent-extra-2.1-7 libevent-pthreads-2.1-7
)

# ---- Zabbix 7.0 (bookworm-backports), unpacked beside the installed 6.0 packages
Z70_DEB_VERSION=1:7.0.9+dfsg-1~bpo12+1
Z70_DEBS=(zabbix-server-pgsql zabbix-frontend-php zabbix-sender)
Z70_APT_SOURCE="deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${ZBX70_MIRROR:-http://deb.debian.org/debian} bookworm-backports main"
Z70_ROOT=${ZBX70_ROOT:-/opt/scriptbridge-zabbix70}
Z70_CACHE=${ZBX70_CACHE:-/var/cache/scriptbridge-zabbix70}
Z70_STATE=${ZBX70_STATE_DIR:-/tmp/scriptbridge-zabbix70}
Z70_FRONTEND_PORT=${ZBX70_PORT:-8570}
Z70_SERVER_PORT=${ZBX70_SERVER_PORT:-10151}
Z70_DB_NAME=zabbix70
Z70_DB_USER=zabbix70
Z70_URL="http://127.0.0.1:${Z70_FRONTEND_PORT}"
Z70_SERVER_CONF="$Z70_STATE/zabbix_server.conf"
Z70_SERVER_PID="$Z70_STATE/zabbix_server.pid"
Z70_FRONTEND_PID="$Z70_STATE/frontend.pid"
Z70_FRONTEND_PORT_FILE="$Z70_STATE/frontend.port"
Z70_FRONTEND_CONF="$Z70_STATE/zabbix.conf.php"
Z70_GLOBAL_SCRIPTS_FILE="$Z70_STATE/enable_global_scripts"

SERVER_CONF="$STATE_DIR/zabbix_server.conf"
AGENT_CONF="$STATE_DIR/zabbix_agentd.conf"
SERVER_PID="$STATE_DIR/zabbix_server.pid"
AGENT_PID="$STATE_DIR/zabbix_agentd.pid"
FRONTEND_PID="$STATE_DIR/frontend.pid"
FRONTEND_PORT_FILE="$STATE_DIR/frontend.port"
PG_MARKER="$STATE_DIR/postgresql.started"

PG_VERSION=""
PG_CLUSTER=""
PG_PORT=""

log() { printf '[zabbix-stack %3ss] %s\n' "$SECONDS" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

need_root() {
    [ "$(id -u)" -eq 0 ] || die "run this as root (sudo $0 $*)"
}

# ---------------------------------------------------------------- processes

# pid_alive PIDFILE COMM-GLOB: print the pid when the file names a live process
# whose command name matches, so a recycled pid is never mistaken for ours.
pid_alive() {
    local file=$1 pattern=$2 pid comm
    [ -s "$file" ] || return 1
    pid=$(tr -dc '0-9' <"$file")
    [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] || return 1
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
    # shellcheck disable=SC2053
    [[ $comm == $pattern ]] || return 1
    printf '%s\n' "$pid"
}

# wait_gone PID SECONDS
wait_gone() {
    local pid=$1 i
    for ((i = 0; i < $2 * 10; i++)); do
        [ -d "/proc/$pid" ] || return 0
        # a zombie left by our own shell counts as gone
        [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = Z ] && return 0
        sleep 0.1
    done
    return 1
}

# stop_pidfile NAME PIDFILE COMM-GLOB GROUP(0/1)
stop_pidfile() {
    local name=$1 file=$2 pattern=$3 group=$4 pid target
    if pid=$(pid_alive "$file" "$pattern"); then
        target=$pid
        [ "$group" = 1 ] && target="-$pid"
        log "stopping $name (pid $pid)"
        kill -TERM -- "$target" 2>/dev/null || true
        if ! wait_gone "$pid" 30; then
            log "$name did not stop in 30 s, killing it"
            kill -KILL -- "-$pid" 2>/dev/null || kill -KILL -- "$pid" 2>/dev/null || true
            wait_gone "$pid" 5 || true
        fi
    fi
    rm -f "$file"
}

port_busy() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

wait_port() {
    local port=$1 secs=$2 i
    for ((i = 0; i < secs * 10; i++)); do
        port_busy "$port" && return 0
        sleep 0.1
    done
    return 1
}

show_log() {
    [ -f "$1" ] || return 0
    log "last lines of $1:"
    tail -n 25 "$1" >&2 || true
}

# ---------------------------------------------------------------- packages

pkg_installed() {
    # No grep -q in a pipe: it stops reading at the first match, and pipefail counts the writer's SIGPIPE.
    [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == *'install ok installed'* ]]
}

pids_of() { pgrep -x "$1" 2>/dev/null | sort -n | tr '\n' ' ' || true; }

install_packages() {
    local missing=() p created_policy=0 name before after pid
    for p in "${PACKAGES[@]}"; do
        pkg_installed "$p" || missing+=("$p")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        log "packages already installed"
        return 0
    fi
    log "installing: ${missing[*]}"

    # Keep the maintainer scripts from starting services.
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        created_policy=1
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    declare -A before_pids=()
    for name in zabbix_server zabbix_agentd apache2 nginx php-fpm8.2 lighttpd; do
        before_pids[$name]=$(pids_of "$name")
    done
    local pg_was_online=0
    pg_any_online && pg_was_online=1

    # A mirror that hiccups once should not fail a CI run: three tries.
    local rc=0 try
    for try in 1 2 3; do
        rc=0
        {
            apt-get update -q &&
                DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
                    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
                    "${missing[@]}"
        } >&2 || rc=$?
        [ "$rc" -eq 0 ] && break
        log "apt-get failed (exit $rc, try $try of 3)"
        [ "$try" -lt 3 ] && sleep 10
    done
    if [ "$created_policy" = 1 ]; then
        rm -f /usr/sbin/policy-rc.d
        trap - EXIT
    fi
    [ "$rc" -eq 0 ] || die "apt-get failed (exit $rc)"

    # Stop whatever a maintainer script started anyway.
    for name in "${!before_pids[@]}"; do
        before=" ${before_pids[$name]} "
        after=$(pids_of "$name")
        for pid in $after; do
            if [[ $before != *" $pid "* ]]; then
                log "stopping $name (pid $pid) started by the package installation"
                kill -TERM "$pid" 2>/dev/null || true
            fi
        done
    done
    if [ "$pg_was_online" = 0 ] && pg_any_online; then
        # The postgresql package started its cluster: count it as ours so that
        # "down" stops it again.
        pg_pick_cluster
        mkdir -p "$STATE_DIR"
        printf '%s %s\n' "$PG_VERSION" "$PG_CLUSTER" >"$PG_MARKER"
        log "PostgreSQL $PG_VERSION/$PG_CLUSTER was started by the package installation"
    fi
}

# ---------------------------------------------------------------- PostgreSQL

pg_any_online() {
    command -v pg_lsclusters >/dev/null 2>&1 || return 1
    pg_lsclusters -h 2>/dev/null | awk '$4 ~ /^online/ {found=1} END {exit !found}'
}

# Choose the cluster: the one named in the marker, else the first one listed;
# create "main" for the newest installed version when there is none.
pg_pick_cluster() {
    local line
    if [ -s "$PG_MARKER" ]; then
        read -r PG_VERSION PG_CLUSTER <"$PG_MARKER"
        line=$(pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1 == v && $2 == c')
    fi
    if [ -z "${line:-}" ]; then
        line=$(pg_lsclusters -h | awk 'NR == 1')
    fi
    if [ -z "$line" ]; then
        PG_VERSION=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf "%f\n" 2>/dev/null | sort -V | tail -n 1 || true)
        [ -n "$PG_VERSION" ] || die "no PostgreSQL server found under /usr/lib/postgresql"
        log "creating PostgreSQL cluster $PG_VERSION/main"
        pg_createcluster "$PG_VERSION" main >&2
        line=$(pg_lsclusters -h | awk -v v="$PG_VERSION" '$1 == v && $2 == "main"')
    fi
    read -r PG_VERSION PG_CLUSTER PG_PORT _ <<<"$line"
}

pg_status() {
    pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1 == v && $2 == c {print $4}'
}

psql_admin() {
    (cd / && runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" "$@")
}

psql_zabbix() {
    PGPASSWORD=$DB_PASSWORD psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" \
        -U "$DB_USER" -d "$DB_NAME" "$@"
}

start_postgres() {
    pg_pick_cluster
    if [[ $(pg_status) == online* ]]; then
        log "PostgreSQL $PG_VERSION/$PG_CLUSTER already runs on port $PG_PORT"
    else
        log "starting PostgreSQL $PG_VERSION/$PG_CLUSTER on port $PG_PORT"
        pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start >&2
        printf '%s %s\n' "$PG_VERSION" "$PG_CLUSTER" >"$PG_MARKER"
    fi
    local i
    for ((i = 0; i < 300; i++)); do
        pg_isready -q -h 127.0.0.1 -p "$PG_PORT" && return 0
        sleep 0.1
    done
    die "PostgreSQL does not accept connections on 127.0.0.1:$PG_PORT"
}

sql_quote() { printf "'%s'" "${1//\'/\'\'}"; }

setup_database() {
    local pw
    pw=$(sql_quote "$DB_PASSWORD")
    if [ "$(psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER'")" != 1 ]; then
        log "creating role $DB_USER"
        psql_admin -c "CREATE ROLE $DB_USER LOGIN PASSWORD $pw"
    else
        psql_admin -c "ALTER ROLE $DB_USER LOGIN PASSWORD $pw"
    fi
    if [ "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" != 1 ]; then
        log "creating database $DB_NAME"
        psql_admin -c "CREATE DATABASE $DB_NAME OWNER $DB_USER ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"
    fi
    if [ "$(psql_zabbix -tAc "SELECT to_regclass('public.dbversion') IS NOT NULL")" = t ]; then
        log "database schema already imported"
        return 0
    fi
    log "importing the Zabbix schema, images and data (one transaction)"
    local start=$SECONDS
    {
        echo 'BEGIN;'
        echo 'SET LOCAL synchronous_commit = off;'
        zcat "$SCHEMA_DIR/schema.sql.gz"
        zcat "$SCHEMA_DIR/images.sql.gz"
        # data.sql wraps itself in START TRANSACTION/COMMIT: keep ours only
        zcat "$SCHEMA_DIR/data.sql.gz" | sed -e '/^START TRANSACTION;$/d' -e '/^COMMIT;$/d'
        echo 'COMMIT;'
    } | psql_zabbix >"$STATE_DIR/db-import.log" 2>&1 || {
        show_log "$STATE_DIR/db-import.log"
        die "schema import failed"
    }
    log "schema imported in $((SECONDS - start)) s"
}

stop_postgres() {
    [ -s "$PG_MARKER" ] || return 0
    command -v pg_ctlcluster >/dev/null 2>&1 || { rm -f "$PG_MARKER"; return 0; }
    local ver cluster
    read -r ver cluster <"$PG_MARKER"
    if pg_lsclusters -h | awk -v v="$ver" -v c="$cluster" '$1 == v && $2 == c && $4 ~ /^online/ {f=1} END {exit !f}'; then
        log "stopping PostgreSQL $ver/$cluster"
        pg_ctlcluster "$ver" "$cluster" stop >&2 || log "pg_ctlcluster stop failed"
    fi
    rm -f "$PG_MARKER"
}

# ---------------------------------------------------------------- config files

# write_if_changed PATH OWNER MODE: content on stdin; returns 0 when the file changed.
write_if_changed() {
    local path=$1 owner=$2 mode=$3 tmp
    tmp=$(mktemp "$path.XXXXXX")
    cat >"$tmp"
    chown "$owner" "$tmp"
    chmod "$mode" "$tmp"
    if [ -f "$path" ] && cmp -s "$tmp" "$path"; then
        rm -f "$tmp"
        return 1
    fi
    mv -f "$tmp" "$path"
    return 0
}

php_quote() { printf "'%s'" "$(printf '%s' "$1" | sed -e "s/\\\\/\\\\\\\\/g" -e "s/'/\\\\'/g")"; }

write_frontend_conf() {
    mkdir -p /etc/zabbix
    if write_if_changed "$FRONTEND_CONF" "root:$FRONTEND_USER" 640 <<EOF; then
<?php
// Zabbix frontend configuration written by tests/real_zabbix/zabbix-stack.sh.
\$DB['TYPE']           = 'POSTGRESQL';
\$DB['SERVER']         = '127.0.0.1';
\$DB['PORT']           = '$PG_PORT';
\$DB['DATABASE']       = '$DB_NAME';
\$DB['USER']           = '$DB_USER';
\$DB['PASSWORD']       = $(php_quote "$DB_PASSWORD");
\$DB['SCHEMA']         = '';
\$DB['ENCRYPTION']     = false;
\$DB['KEY_FILE']       = '';
\$DB['CERT_FILE']      = '';
\$DB['CA_FILE']        = '';
\$DB['VERIFY_HOST']    = false;
\$DB['CIPHER_LIST']    = '';
\$DB['VAULT_URL']      = '';
\$DB['VAULT_DB_PATH']  = '';
\$DB['VAULT_TOKEN']    = '';
\$DB['DOUBLE_IEEE754'] = true;

\$ZBX_SERVER      = '127.0.0.1';
\$ZBX_SERVER_PORT = '$SERVER_PORT';
\$ZBX_SERVER_NAME = 'scriptbridge';

\$IMAGE_FORMAT_DEFAULT = IMAGE_FORMAT_PNG;
EOF
        log "wrote $FRONTEND_CONF"
    fi
}

# returns 0 when the server config changed
write_server_conf() {
    local extra=${SERVER_EXTRA:-}
    # 7.0+ servers refuse global scripts unless told otherwise; 6.0 does not know the option.
    if [ -z "$extra" ] && grep -qa 'EnableGlobalScripts' /usr/sbin/zabbix_server; then
        extra="EnableGlobalScripts=1"
    fi
    write_if_changed "$SERVER_CONF" root:zabbix 640 <<EOF
# Written by tests/real_zabbix/zabbix-stack.sh
LogType=file
LogFile=$STATE_DIR/zabbix_server.log
LogFileSize=0
PidFile=$SERVER_PID
SocketDir=$STATE_DIR
DBHost=127.0.0.1
DBPort=$PG_PORT
DBName=$DB_NAME
DBUser=$DB_USER
DBPassword=$DB_PASSWORD
ListenIP=127.0.0.1
ListenPort=$SERVER_PORT
StartTrappers=$TRAPPERS
CacheUpdateFrequency=$CACHE_UPDATE
Timeout=${ZBX_TIMEOUT:-4}
AlertScriptsPath=/etc/zabbix/alert.d/
FpingLocation=/usr/bin/fping
LogSlowQueries=3000
StatsAllowedIP=127.0.0.1
$extra
EOF
}

# returns 0 when the agent config changed
write_agent_conf() {
    write_if_changed "$AGENT_CONF" root:zabbix 640 <<EOF
# Written by tests/real_zabbix/zabbix-stack.sh
LogType=file
LogFile=$STATE_DIR/zabbix_agentd.log
LogFileSize=0
PidFile=$AGENT_PID
Server=127.0.0.1
ListenIP=127.0.0.1
ListenPort=$AGENT_PORT
Hostname=Zabbix server
AllowKey=system.run[*]
LogRemoteCommands=1
Timeout=${ZBX_TIMEOUT:-3}
EOF
}

# ---------------------------------------------------------------- daemons

# start_daemon NAME BINARY CONF PIDFILE PORT CONFIG-CHANGED(0/1)
start_daemon() {
    local name=$1 bin=$2 conf=$3 pidfile=$4 port=$5 changed=$6 pid i
    if pid=$(pid_alive "$pidfile" "$name"); then
        if [ "$changed" = 1 ]; then
            log "$name configuration changed: restarting"
            stop_pidfile "$name" "$pidfile" "$name" 0
        else
            log "$name already runs (pid $pid)"
            return 0
        fi
    fi
    rm -f "$pidfile"
    port_busy "$port" && die "port $port is taken by another program; $name cannot start"
    log "starting $name"
    (cd / && env -i PATH="$CLEAN_PATH" "$bin" -c "$conf") >&2 ||
        { show_log "$STATE_DIR/$name.log"; die "$name failed to start"; }
    for ((i = 0; i < 150; i++)); do
        pid_alive "$pidfile" "$name" >/dev/null && break
        sleep 0.1
    done
    pid=$(pid_alive "$pidfile" "$name") || { show_log "$STATE_DIR/$name.log"; die "$name did not come up"; }
    wait_port "$port" 20 || { show_log "$STATE_DIR/$name.log"; die "$name does not listen on port $port"; }
    log "$name runs (pid $pid, port $port)"
}

start_frontend() {
    local pid old_port=""
    [ -s "$FRONTEND_PORT_FILE" ] && old_port=$(cat "$FRONTEND_PORT_FILE")
    if pid=$(pid_alive "$FRONTEND_PID" 'php*'); then
        if [ "$old_port" = "$FRONTEND_PORT" ]; then
            log "frontend already runs (pid $pid, port $FRONTEND_PORT)"
            return 0
        fi
        log "frontend runs on port $old_port: restarting it on $FRONTEND_PORT"
        stop_pidfile frontend "$FRONTEND_PID" 'php*' 1
    fi
    port_busy "$FRONTEND_PORT" && die "port $FRONTEND_PORT is taken by another program; set ZBX_PORT"
    log "starting the frontend on 127.0.0.1:$FRONTEND_PORT"
    # post_max_size: the frontend's own requirement check wants 16M (the CLI default is 8M).
    # setsid: the PHP server and its workers get their own process group, so
    # "down" can stop them together.
    (
        cd / &&
            exec setsid setpriv --reuid="$FRONTEND_USER" --regid="$FRONTEND_USER" --init-groups \
                env -i PATH="$CLEAN_PATH" PHP_CLI_SERVER_WORKERS=8 \
                php -d post_max_size=16M -S "127.0.0.1:$FRONTEND_PORT" -t "$FRONTEND_DIR"
    ) </dev/null >>"$STATE_DIR/frontend.log" 2>&1 &
    echo $! >"$FRONTEND_PID"
    echo "$FRONTEND_PORT" >"$FRONTEND_PORT_FILE"
    wait_port "$FRONTEND_PORT" 20 || { show_log "$STATE_DIR/frontend.log"; die "the frontend does not listen on port $FRONTEND_PORT"; }
    log "frontend runs (pid $(cat "$FRONTEND_PID"))"
}

# The default "Ping" script runs on the server as the zabbix user.
check_ping() {
    if ! runuser -u zabbix -- ping -c 1 -W 2 127.0.0.1 >/dev/null 2>&1; then
        log "WARNING: the zabbix user cannot run ping; the Ping script will fail"
        runuser -u zabbix -- ping -c 1 -W 2 127.0.0.1 >&2 || true
    fi
}

# ---------------------------------------------------------------- API

# rpc JSON: POST one JSON-RPC request, print the body
rpc() {
    curl -sS --max-time 90 -H 'Content-Type: application/json-rpc' --data-binary "$1" "$API" 2>&1
}

# json_result: read a JSON-RPC answer on stdin; print "ok <result>" or "error <message>"
json_result() {
    python3 -c '
import json, sys
raw = sys.stdin.read()
try:
    doc = json.loads(raw)
except ValueError:
    print("error not JSON: " + raw.strip().replace("\n", " ")[:200])
    sys.exit()
if "error" in doc:
    e = doc["error"]
    print("error %s %s %s" % (e.get("code"), e.get("message"), e.get("data")))
else:
    r = doc.get("result")
    print("ok " + (r if isinstance(r, str) else json.dumps(r)))
'
}

api_version() {
    local out
    out=$(rpc '{"jsonrpc":"2.0","method":"apiinfo.version","params":[],"id":1}' | json_result)
    [[ $out == ok* ]] || return 1
    printf '%s\n' "${out#ok }"
}

# probe: one full round: version, login, script.execute of Ping, logout.
# Prints what went wrong, or the version on success.
probe() {
    local out sid version
    out=$(rpc '{"jsonrpc":"2.0","method":"apiinfo.version","params":[],"id":1}' | json_result)
    [[ $out == ok* ]] || { echo "apiinfo.version: ${out#error }"; return 1; }
    version=${out#ok }
    out=$(rpc "{\"jsonrpc\":\"2.0\",\"method\":\"user.login\",\"params\":{\"username\":\"$API_USER\",\"password\":\"$API_PASSWORD\"},\"id\":2}" | json_result)
    [[ $out == ok* ]] || { echo "user.login: ${out#error }"; return 1; }
    sid=${out#ok }
    out=$(rpc "{\"jsonrpc\":\"2.0\",\"method\":\"script.execute\",\"params\":{\"scriptid\":\"$PING_SCRIPTID\",\"hostid\":\"$PING_HOSTID\"},\"auth\":\"$sid\",\"id\":3}" | json_result)
    rpc "{\"jsonrpc\":\"2.0\",\"method\":\"user.logout\",\"params\":[],\"auth\":\"$sid\",\"id\":4}" >/dev/null || true
    if [[ $out == ok* ]] && [[ $out == *'"response": "success"'* ]]; then
        echo "$version"
        return 0
    fi
    echo "script.execute: ${out#* }"
    return 1
}

wait_api() {
    local deadline=$((SECONDS + UP_TIMEOUT)) msg last="" next_print=0 name
    log "waiting for the API and a successful script.execute of Ping on host $PING_HOSTID (timeout ${UP_TIMEOUT} s)"
    while :; do
        for name in zabbix_server zabbix_agentd; do
            pid_alive "$STATE_DIR/$name.pid" "$name" >/dev/null ||
                { show_log "$STATE_DIR/$name.log"; die "$name stopped running"; }
        done
        pid_alive "$FRONTEND_PID" 'php*' >/dev/null || { show_log "$STATE_DIR/frontend.log"; die "the frontend stopped running"; }
        if msg=$(probe); then
            log "API answers: Zabbix $msg, script.execute of Ping succeeded"
            return 0
        fi
        if [ "$msg" != "$last" ] || [ "$SECONDS" -ge "$next_print" ]; then
            log "not ready yet ($((deadline - SECONDS)) s left): $msg"
            last=$msg
            next_print=$((SECONDS + 10))
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            show_log "$STATE_DIR/zabbix_server.log"
            show_log "$STATE_DIR/frontend.log"
            die "the stack did not become ready within $UP_TIMEOUT s"
        fi
        sleep 1
    done
}

# ---------------------------------------------------------------- Zabbix 7.0

# apt-get with a private source list, list and archive directories: it sees
# bookworm-backports, the system's apt configuration does not.
apt70() {
    apt-get -q -o Dir::Etc::SourceList="$Z70_CACHE/sources.list" -o Dir::Etc::SourceParts=/dev/null \
        -o Dir::State::Lists="$Z70_CACHE/lists" -o Dir::Cache::Archives="$Z70_CACHE/archives" \
        -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= -o APT::Sandbox::User=root "$@"
}

# The .deb files of 7.0, downloaded once into $Z70_CACHE/debs.
download_70() {
    local p missing=() rc try
    for p in "${Z70_DEBS[@]}"; do
        compgen -G "$Z70_CACHE/debs/${p}_*7.0.9*.deb" >/dev/null || missing+=("$p=$Z70_DEB_VERSION")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "downloading Zabbix $Z70_DEB_VERSION from bookworm-backports: ${missing[*]%%=*}"
    mkdir -p "$Z70_CACHE/lists/partial" "$Z70_CACHE/archives/partial" "$Z70_CACHE/debs"
    printf '%s\n' "$Z70_APT_SOURCE" >"$Z70_CACHE/sources.list"
    for try in 1 2 3; do
        rc=0
        { apt70 update && (cd "$Z70_CACHE/debs" && apt70 download "${missing[@]}"); } >&2 || rc=$?
        [ "$rc" -eq 0 ] && return 0
        log "downloading the 7.0 packages failed (exit $rc, try $try of 3)"
        [ "$try" -lt 3 ] && sleep 10
    done
    die "cannot download the Zabbix 7.0 packages from bookworm-backports"
}

# Unpack the three packages into $Z70_ROOT (no dpkg database involved), and
# point the frontend at its own configuration file: the Debian frontend
# hard-codes /etc/zabbix/zabbix.conf.php, which is the 6.0 frontend's.
unpack_70() {
    local marker="$Z70_ROOT/.scriptbridge-unpacked" tmp deb
    if [ -f "$marker" ] && [ "$(cat "$marker")" = "$Z70_DEB_VERSION $Z70_FRONTEND_CONF" ]; then
        return 0
    fi
    download_70
    log "unpacking Zabbix 7.0 into $Z70_ROOT"
    tmp="$Z70_ROOT.new"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    for deb in "$Z70_CACHE"/debs/*7.0.9*.deb; do
        dpkg-deb -x "$deb" "$tmp"
    done
    sed -i "s|const CONFIG_FILE_PATH = '/etc/zabbix/zabbix.conf.php';|const CONFIG_FILE_PATH = '$Z70_FRONTEND_CONF';|" \
        "$tmp/usr/share/zabbix/include/classes/core/CConfigFile.php"
    grep -q "'$Z70_FRONTEND_CONF'" "$tmp/usr/share/zabbix/include/classes/core/CConfigFile.php" ||
        die "cannot point the 7.0 frontend at $Z70_FRONTEND_CONF"
    printf '%s %s\n' "$Z70_DEB_VERSION" "$Z70_FRONTEND_CONF" >"$tmp/.scriptbridge-unpacked"
    rm -rf "$Z70_ROOT"
    mv "$tmp" "$Z70_ROOT"
}

# EnableGlobalScripts of the 7.0 server: 1 unless "global-scripts" said otherwise since "up".
global_scripts_70() {
    local value=1
    [ -s "$Z70_GLOBAL_SCRIPTS_FILE" ] && value=$(tr -dc '01' <"$Z70_GLOBAL_SCRIPTS_FILE")
    printf '%s\n' "${value:-1}"
}

start_server_70() {
    local changed=0
    SERVER_CONF=$Z70_SERVER_CONF STATE_DIR=$Z70_STATE SERVER_PID=$Z70_SERVER_PID DB_NAME=$Z70_DB_NAME \
        DB_USER=$Z70_DB_USER SERVER_PORT=$Z70_SERVER_PORT SERVER_EXTRA="EnableGlobalScripts=$(global_scripts_70)" \
        write_server_conf && changed=1
    STATE_DIR=$Z70_STATE start_daemon zabbix_server "$Z70_ROOT/usr/sbin/zabbix_server" "$Z70_SERVER_CONF" \
        "$Z70_SERVER_PID" "$Z70_SERVER_PORT" "$changed"
}

wait_api_70() {
    local deadline=$((SECONDS + UP_TIMEOUT)) msg last="" API="$Z70_URL/api_jsonrpc.php"
    log "waiting for the 7.0 API and a successful script.execute of Ping on host $PING_HOSTID"
    while :; do
        pid_alive "$Z70_SERVER_PID" zabbix_server >/dev/null ||
            { show_log "$Z70_STATE/zabbix_server.log"; die "the 7.0 zabbix_server stopped running"; }
        pid_alive "$Z70_FRONTEND_PID" 'php*' >/dev/null ||
            { show_log "$Z70_STATE/frontend.log"; die "the 7.0 frontend stopped running"; }
        if msg=$(probe); then
            log "7.0 API answers: Zabbix $msg, script.execute of Ping succeeded"
            return 0
        fi
        [ "$msg" != "$last" ] && log "7.0 not ready yet ($((deadline - SECONDS)) s left): $msg"
        last=$msg
        if [ "$SECONDS" -ge "$deadline" ]; then
            show_log "$Z70_STATE/zabbix_server.log"
            show_log "$Z70_STATE/frontend.log"
            die "the 7.0 stack did not become ready within $UP_TIMEOUT s"
        fi
        sleep 1
    done
}

up_70() {
    local start=$SECONDS
    unpack_70
    mkdir -p "$Z70_STATE"
    chown zabbix:zabbix "$Z70_STATE"
    chmod 755 "$Z70_STATE"
    DB_NAME=$Z70_DB_NAME DB_USER=$Z70_DB_USER SCHEMA_DIR="$Z70_ROOT/usr/share/zabbix-server-pgsql" \
        STATE_DIR=$Z70_STATE setup_database
    FRONTEND_CONF=$Z70_FRONTEND_CONF DB_NAME=$Z70_DB_NAME DB_USER=$Z70_DB_USER SERVER_PORT=$Z70_SERVER_PORT \
        write_frontend_conf
    # "up" always means global scripts on; "global-scripts" changes that until the next "up"
    rm -f "$Z70_GLOBAL_SCRIPTS_FILE"
    start_server_70
    STATE_DIR=$Z70_STATE FRONTEND_PID=$Z70_FRONTEND_PID FRONTEND_PORT=$Z70_FRONTEND_PORT \
        FRONTEND_PORT_FILE=$Z70_FRONTEND_PORT_FILE FRONTEND_DIR="$Z70_ROOT/usr/share/zabbix" start_frontend
    wait_api_70
    log "7.0 is up after $((SECONDS - start)) s; logs in $Z70_STATE"
    echo "ZABBIX70_URL=$Z70_URL"
}

down_70() {
    stop_pidfile "7.0 frontend" "$Z70_FRONTEND_PID" 'php*' 1
    rm -f "$Z70_FRONTEND_PORT_FILE"
    stop_pidfile "7.0 zabbix_server" "$Z70_SERVER_PID" zabbix_server 0
    rm -f "$Z70_STATE"/zabbix_server_*.sock
}

# wait_global_scripts_70 0|1: until the frontend answers Ping as the setting says.
# The frontend reads the setting from what the server writes into the database.
wait_global_scripts_70() {
    local want=$1 deadline=$((SECONDS + 120)) out sid API="$Z70_URL/api_jsonrpc.php"
    local disabled='Global script execution on Zabbix server is disabled by server configuration.'
    while :; do
        out=$(rpc "{\"jsonrpc\":\"2.0\",\"method\":\"user.login\",\"params\":{\"username\":\"$API_USER\",\"password\":\"$API_PASSWORD\"},\"id\":1}" | json_result)
        if [[ $out == ok* ]]; then
            sid=${out#ok }
            out=$(rpc "{\"jsonrpc\":\"2.0\",\"method\":\"script.execute\",\"params\":{\"scriptid\":\"$PING_SCRIPTID\",\"hostid\":\"$PING_HOSTID\"},\"auth\":\"$sid\",\"id\":2}" | json_result)
            rpc "{\"jsonrpc\":\"2.0\",\"method\":\"user.logout\",\"params\":[],\"auth\":\"$sid\",\"id\":3}" >/dev/null || true
            if [ "$want" = 0 ] && [[ $out == *"$disabled"* ]]; then
                log "7.0 global scripts are off"
                return 0
            fi
            if [ "$want" = 1 ] && [[ $out == ok* ]]; then
                log "7.0 global scripts are on"
                return 0
            fi
        fi
        [ "$SECONDS" -ge "$deadline" ] && die "the 7.0 frontend does not see EnableGlobalScripts=$want: $out"
        sleep 0.5
    done
}

cmd_global_scripts() {
    need_root global-scripts
    local value
    case "${1:-}" in
        on) value=1 ;;
        off) value=0 ;;
        shipped)
            value=$(sed -n 's/^EnableGlobalScripts=\([01]\)$/\1/p' "$Z70_ROOT/usr/share/zabbix-server-pgsql/zabbix_server.conf")
            [ -n "$value" ] || value=1
            log "the shipped zabbix_server.conf sets EnableGlobalScripts=$value"
            ;;
        *) die "usage: $0 global-scripts on|off|shipped" ;;
    esac
    pid_alive "$Z70_FRONTEND_PID" 'php*' >/dev/null || die "the 7.0 frontend does not run: run $0 up first"
    pg_pick_cluster
    echo "$value" >"$Z70_GLOBAL_SCRIPTS_FILE"
    # (re)starts the server when the setting changed or it does not run
    start_server_70
    wait_global_scripts_70 "$value"
}

# Stop the 7.0 server only (its frontend keeps answering); "up" or "global-scripts" start it again.
cmd_stop_server() {
    need_root stop-server
    [ "${1:-}" = 7.0 ] || die "usage: $0 stop-server 7.0"
    stop_pidfile "7.0 zabbix_server" "$Z70_SERVER_PID" zabbix_server 0
    rm -f "$Z70_STATE"/zabbix_server_*.sock
}

# ---------------------------------------------------------------- commands

cmd_up() {
    need_root up
    local start=$SECONDS changed which=${1:-all}
    case $which in
        all | 6.0 | 7.0) ;;
        *) die "usage: $0 up [6.0|7.0]" ;;
    esac
    install_packages
    id zabbix >/dev/null 2>&1 || die "the zabbix user is missing (package installation incomplete?)"
    mkdir -p "$STATE_DIR"
    chown zabbix:zabbix "$STATE_DIR"
    chmod 755 "$STATE_DIR"
    start_postgres
    check_ping
    if [ "$which" != 7.0 ]; then
        setup_database
        write_frontend_conf
        changed=0
        write_server_conf && changed=1
        start_daemon zabbix_server /usr/sbin/zabbix_server "$SERVER_CONF" "$SERVER_PID" "$SERVER_PORT" "$changed"
    fi
    # the agent serves both servers
    changed=0
    write_agent_conf && changed=1
    start_daemon zabbix_agentd /usr/sbin/zabbix_agentd "$AGENT_CONF" "$AGENT_PID" "$AGENT_PORT" "$changed"
    if [ "$which" != 7.0 ]; then
        start_frontend
        wait_api
        log "6.0 is up; logs in $STATE_DIR"
        echo "ZABBIX_URL=$URL"
    fi
    [ "$which" = 6.0 ] || up_70
    log "stack is up after $((SECONDS - start)) s"
}

cmd_down() {
    need_root down
    down_70
    stop_pidfile frontend "$FRONTEND_PID" 'php*' 1
    rm -f "$FRONTEND_PORT_FILE"
    stop_pidfile zabbix_agentd "$AGENT_PID" zabbix_agentd 0
    stop_pidfile zabbix_server "$SERVER_PID" zabbix_server 0
    rm -f "$STATE_DIR"/zabbix_server_*.sock
    stop_postgres
    log "down"
}

cmd_status() {
    local pid rc=0 v port
    port=$FRONTEND_PORT
    [ -s "$FRONTEND_PORT_FILE" ] && port=$(cat "$FRONTEND_PORT_FILE")
    if pid=$(pid_alive "$FRONTEND_PID" 'php*'); then
        echo "frontend:      running (pid $pid, http://127.0.0.1:$port)"
    else
        echo "frontend:      stopped"; rc=3
    fi
    if pid=$(pid_alive "$SERVER_PID" zabbix_server); then
        echo "zabbix_server: running (pid $pid, port $SERVER_PORT)"
    else
        echo "zabbix_server: stopped"; rc=3
    fi
    if pid=$(pid_alive "$AGENT_PID" zabbix_agentd); then
        echo "zabbix_agentd: running (pid $pid, port $AGENT_PORT)"
    else
        echo "zabbix_agentd: stopped"; rc=3
    fi
    if command -v pg_lsclusters >/dev/null 2>&1 && [ -n "$(pg_lsclusters -h 2>/dev/null)" ]; then
        local line
        while read -r line; do
            echo "postgresql:    $line"
        done < <(pg_lsclusters -h | awk '{print $1 "/" $2 " port " $3 " " $4}')
        if [ -s "$PG_MARKER" ]; then
            echo "               (started by zabbix-stack.sh up: $(cat "$PG_MARKER"))"
        fi
    else
        echo "postgresql:    not installed"
    fi
    if v=$(URL="http://127.0.0.1:$port" API="http://127.0.0.1:$port/api_jsonrpc.php" api_version 2>/dev/null); then
        echo "api:           Zabbix $v at http://127.0.0.1:$port"
    else
        echo "api:           not answering"; rc=3
    fi
    port=$Z70_FRONTEND_PORT
    [ -s "$Z70_FRONTEND_PORT_FILE" ] && port=$(cat "$Z70_FRONTEND_PORT_FILE")
    if pid=$(pid_alive "$Z70_FRONTEND_PID" 'php*'); then
        echo "7.0 frontend:  running (pid $pid, http://127.0.0.1:$port)"
    else
        echo "7.0 frontend:  stopped"; rc=3
    fi
    if pid=$(pid_alive "$Z70_SERVER_PID" zabbix_server); then
        echo "7.0 server:    running (pid $pid, port $Z70_SERVER_PORT, EnableGlobalScripts=$(global_scripts_70))"
    else
        echo "7.0 server:    stopped"; rc=3
    fi
    if v=$(API="http://127.0.0.1:$port/api_jsonrpc.php" api_version 2>/dev/null); then
        echo "7.0 api:       Zabbix $v at http://127.0.0.1:$port"
    else
        echo "7.0 api:       not answering"; rc=3
    fi
    return $rc
}

# Hosts and interfaces created through the API reach the server only with the
# next configuration sync; until then script.execute answers "Unknown host identifier.".
cmd_reload() {
    need_root reload
    if [ "${1:-6.0}" = 7.0 ]; then
        pid_alive "$Z70_SERVER_PID" zabbix_server >/dev/null || die "the 7.0 zabbix_server does not run"
        (cd / && env -i PATH="$CLEAN_PATH" "$Z70_ROOT/usr/sbin/zabbix_server" -c "$Z70_SERVER_CONF" \
            -R config_cache_reload) >&2
        return
    fi
    pid_alive "$SERVER_PID" zabbix_server >/dev/null || die "zabbix_server does not run"
    (cd / && env -i PATH="$CLEAN_PATH" /usr/sbin/zabbix_server -c "$SERVER_CONF" -R config_cache_reload) >&2
}

cmd_env() {
    if [ "${1:-6.0}" = 7.0 ]; then
        echo "export ZABBIX_URL=$Z70_URL"
    else
        echo "export ZABBIX_URL=$URL"
    fi
    echo "export ZABBIX_USERNAME=$API_USER"
    echo "export ZABBIX_PASSWORD=$API_PASSWORD"
}

case "${1:-}" in
    up) cmd_up "${2:-all}" ;;
    down) cmd_down ;;
    status) cmd_status ;;
    env) cmd_env "${2:-6.0}" ;;
    reload) cmd_reload "${2:-6.0}" ;;
    global-scripts) cmd_global_scripts "${2:-}" ;;
    stop-server) cmd_stop_server "${2:-}" ;;
    *)
        echo "usage: $0 up [6.0|7.0]|down|status|env [6.0|7.0]|reload [6.0|7.0]|global-scripts on|off|shipped|stop-server 7.0" >&2
        exit 2
        ;;
esac
