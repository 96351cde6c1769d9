# shellcheck shell=bash disable=SC2154 # the variables come from run-bench
# run-bench part `http`: the loop install (url-file, SHA256SUMS checked) with the image served over
# http:// by nginx on 127.0.0.1 (its own config in the work directory, sendfile on), against the
# loop floor of the same round.

http_setup() {
  local dir="$work/nginx" port pid _
  mkdir -p "$dir/tmp"
  # A port nobody listens on.
  for port in $(seq 18080 18179); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
  done
  cat >"$dir/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 64; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  default_type application/octet-stream;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  server {
    listen 127.0.0.1:$port;
    root $work/source;
  }
}
EOF
  nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" >"$logs/nginx.log" 2>&1 &
  pid=$!
  on_exit stop_process "$pid"
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || die "nginx exited at start: $(tail -n 3 "$dir/error.log" "$logs/nginx.log" 2>/dev/null | tr '\n' ' ')"
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || die "nginx does not answer on 127.0.0.1:$port"
  write_defs "$work/defs-http" url-file "http://127.0.0.1:$port" "" "$loop"
}

http_round() {
  install_round http.install reset_device_slot "$loop" "$bin" --definitions="$work/defs-http" --verify=no update
  grep -q "http://127.0.0.1" "$logs/http.install.log" || die "contender http.install did not fetch over http:// (its log: $logs/http.install.log)"
}

http_report() {
  figure http.verified_install_s http.install
  ratio_figure http.verified_install_vs_floor_ratio http.install loop.dd loop.sha256
}
