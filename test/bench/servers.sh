# Sourced by the ext_proc benchmarks: every server a script starts (its pid appended to `pids`)
# is killed when the script exits, with the script's `tmp` directory if it made one; and
# `wait_for_ports PORT...` waits (up to 2 minutes each) until each loopback port accepts.
pids=()
stop_servers() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -z "${tmp:-}" ] || rm -rf "$tmp"
}
trap stop_servers EXIT
wait_for_ports() {
  local port
  for port in "$@"; do
    for _ in $(seq 1 240); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.5; done
  done
}
