# shellcheck shell=bash disable=SC2154 # the variables come from run-bench
# run-bench part `rss4g`, after the rounds: image-update's peak RSS (GNU time) for one verified
# install of a 4 GiB random image (url-file over file://, SHA256SUMS checked) into a slot of a GPT
# on a loop device: memory must not grow with the payload. The slot is checked byte for byte too.

rss4g() {
  # shellcheck disable=SC2034 # slot_mib: the slots of this disk (new_disk_file reads it)
  local dir="$work/rss4g" big slot_mib=$((4 * mib + 64)) _
  mkdir -p "$dir/source"
  big="$dir/source/os-v1.raw"
  for _ in 1 2 3 4; do openssl rand $((mib << 20)); done >"$big" # rand takes an int count
  (cd "$dir/source" && sha256sum os-v1.raw >SHA256SUMS)
  new_disk_file "$dir/disk.img"
  new_loop "$dir/disk.img"
  write_defs "$dir/defs" url-file "file://$dir/source" "" "$REPLY"
  say "4 GiB peak RSS"
  timed rss4g.install /usr/bin/time -v -o "$dir/time.log" "$bin" --definitions="$dir/defs" --verify=no update
  check_slot rss4g.install "$REPLY" "$slot_offset" "$big"
  echo "peak_rss_4g_mib $(awk -F ': ' '/Maximum resident set size/ { printf "%d", $2 / 1024 }' "$dir/time.log")"
}
