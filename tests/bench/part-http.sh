# shellcheck shell=bash disable=SC2154 # the variables come from run-bench
# run-bench part `http`: the loop install (url-file, SHA256SUMS checked) with the image served over
# http:// by nginx on 127.0.0.1 (its own config in the work directory, sendfile on), against the
# loop floor of the same round.

http_setup() {
  start_nginx "$work/nginx" "$work/source" 18080
  write_defs "$work/defs-http" url-file "http://127.0.0.1:$REPLY" "" "$loop"
}

http_round() {
  install_round http.install reset_device_slot "$loop" "$bin" --definitions="$work/defs-http" --verify=no update
  grep -q "http://127.0.0.1" "$logs/http.install.log" || die "contender http.install did not fetch over http:// (its log: $logs/http.install.log)"
}

http_report() {
  figure http.verified_install_s http.install
  ratio_figure http.verified_install_vs_floor_ratio http.install loop.dd loop.sha256
}
