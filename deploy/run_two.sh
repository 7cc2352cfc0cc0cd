#!/usr/bin/env bash
# Two app processes behind nginx with sticky sessions, all on loopback, no root-owned paths.
#
#   bash deploy/run_two.sh            # start, stay in the foreground; Ctrl-C stops everything
#   bash deploy/run_two.sh start      # start in the background (pid files in $ESL_RUN_DIR)
#   bash deploy/run_two.sh restart 8601   # restart one app process (sessions reconnect)
#   bash deploy/run_two.sh status | stop
#   bash deploy/run_two.sh config     # only write (and check) $ESL_RUN_DIR/nginx.conf
#
# Settings (environment): ESL_RUN_DIR (default /tmp/esl-two), ESL_PORT (nginx, 8600),
# ESL_APP_PORTS (default "8601 8602": one process per port, any number),
# ESL_FRAME_ANCESTORS (who may show the app in a frame, CSP frame-ancestors; default 'self'),
# e.g. ESL_FRAME_ANCESTORS="'self' https://moodle.example.edu" for a course site.
# Then open http://127.0.0.1:8600, or load it:
#   .venv/bin/python -m loadtest.load --url http://127.0.0.1:8600 \
#       --pid-file /tmp/esl-two/app-8601.pid --pid-file /tmp/esl-two/app-8602.pid
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
RUN="${ESL_RUN_DIR:-/tmp/esl-two}"
PORT="${ESL_PORT:-8600}"
APP_PORTS="${ESL_APP_PORTS:-8601 8602}"
FRAME_ANCESTORS="${ESL_FRAME_ANCESTORS:-'self'}"
PY="${VENV:-$ROOT/.venv}/bin/python"
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"

healthy() { curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:$1/_stcore/health"; }

wait_healthy() {
  for _ in $(seq 1 180); do
    healthy "$1" && return 0
    sleep 0.5
  done
  echo "port $1 did not become healthy; see $RUN/app-$1.log" >&2
  return 1
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start_app() {  # one `streamlit run` per port (lab.serve: it compiles the engine in the
  local port=$1  # background as it starts); its pid in $RUN/app-<port>.pid
  nohup "$PY" -m lab.serve app.py --server.port "$port" --server.address 127.0.0.1 \
    --server.headless true --browser.gatherUsageStats false --server.fileWatcherType none \
    >>"$RUN/app-$port.log" 2>&1 &
  echo $! >"$RUN/app-$port.pid"
}

stop_pidfile() {
  local f=$1
  if alive "$f"; then
    local pid
    pid=$(cat "$f")
    kill "$pid"
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  fi
  rm -f "$f"
}

install_nginx() {
  [ -x "$NGINX" ] && return 0
  echo "== installing Debian's nginx"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nginx >/dev/null
  NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
}

write_config() {
  # CSP source expressions only: no double quote, semicolon or comma reaches nginx's config.
  if ! [[ "$FRAME_ANCESTORS" =~ ^[A-Za-z0-9\'\ :/.*_-]+$ ]]; then
    echo "ESL_FRAME_ANCESTORS: origins and 'self' / 'none' only, got: $FRAME_ANCESTORS" >&2
    return 1
  fi
  local backends=""
  for p in $APP_PORTS; do
    backends+="        server 127.0.0.1:$p max_fails=1 fail_timeout=5s;"$'\n'
  done
  mkdir -p "$RUN/tmp"
  # Fill the template; the backends go in through a file (sed's replacement is one line).
  printf '%s' "$backends" >"$RUN/backends.inc"
  sed -e "s#@RUN_DIR@#$RUN#g" -e "s#@LISTEN@#127.0.0.1:$PORT#g" \
      -e "s#@FRAME_ANCESTORS@#$FRAME_ANCESTORS#g" \
      -e "/@BACKENDS@/{r $RUN/backends.inc" -e "d}" \
      deploy/nginx.conf.template >"$RUN/nginx.conf"
  "$NGINX" -t -p "$RUN" -c "$RUN/nginx.conf" -e "$RUN/error.log" 2>&1 | grep -v '^$' >&2
}

start() {
  install_nginx
  mkdir -p "$RUN"
  write_config
  for p in $APP_PORTS; do
    alive "$RUN/app-$p.pid" || start_app "$p"
  done
  if ! alive "$RUN/nginx.pid"; then
    "$NGINX" -p "$RUN" -c "$RUN/nginx.conf" -e "$RUN/error.log"  # daemonizes, writes nginx.pid
  fi
  for p in $APP_PORTS; do wait_healthy "$p"; done
  wait_healthy "$PORT"
  status
}

status() {
  for p in $APP_PORTS; do
    if alive "$RUN/app-$p.pid"; then
      echo "app   :$p  pid $(cat "$RUN/app-$p.pid")  $(healthy "$p" && echo healthy || echo starting)"
    else
      echo "app   :$p  down"
    fi
  done
  if alive "$RUN/nginx.pid"; then
    echo "nginx :$PORT pid $(cat "$RUN/nginx.pid")  http://127.0.0.1:$PORT  (logs in $RUN)"
  else
    echo "nginx :$PORT down"
  fi
}

stop() {
  if alive "$RUN/nginx.pid"; then
    "$NGINX" -p "$RUN" -c "$RUN/nginx.conf" -e "$RUN/error.log" -s quit || true
    for _ in $(seq 1 20); do alive "$RUN/nginx.pid" || break; sleep 0.25; done
  fi
  for p in $APP_PORTS; do stop_pidfile "$RUN/app-$p.pid"; done
}

case "${1:-foreground}" in
  start) start ;;
  stop) stop ;;
  config) install_nginx; write_config; echo "$RUN/nginx.conf" ;;
  status) status ;;
  restart)
    p="${2:?which port, e.g. 8601}"
    echo "== restarting :$p"
    stop_pidfile "$RUN/app-$p.pid"
    start_app "$p"
    wait_healthy "$p"
    status
    ;;
  foreground)
    trap stop EXIT INT TERM
    start
    echo "== running; Ctrl-C stops"
    while sleep 3600; do :; done
    ;;
  *) echo "usage: $0 [start|stop|status|restart PORT|config]" >&2; exit 2 ;;
esac
