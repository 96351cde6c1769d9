# shellcheck shell=bash disable=SC2154 # the variables come from run-bench
# run-bench part `delta`: issue 16's delta install. v1 is the bench's random image; v2 is v1 with 5%
# of its bytes rewritten in 1 MiB runs at random offsets (fixed seed). Both are published with
# `publish --chunk-store` (signed by a throwaway gpg key) into a directory nginx serves on
# 127.0.0.1 with an access log of $body_bytes_sent. Each round puts v1 into the first slot of a
# disk image (untimed, the whole file), then times `update 2`, which rebuilds v2 into the second
# slot from the v1 slot and the chunks it lacks, and checks the slot byte for byte. In the same
# round `casync extract --seed=<v1 slot> --store=http://... http://.../os-2.raw.caibx` (the index
# over http too, as image-update fetches it) fetches from the same
# store, counted from the same log. Figures:
#   delta_bytes_ratio             bytes nginx sent for `update 2` / size of v2 (goal <= 0.07)
#   delta_vs_casync_ratio         those bytes / the bytes casync's extract made nginx send (goal <= 1.0)
#   delta_install_vs_floor_ratio  time of `update 2` / max(dd of v2 into the slot, sha256sum of v2) (goal <= 1.5)
#   delta_install_s, delta_install_cpu_s, delta_install_peak_rss_mib  the same run's wall time, user+sys
#                                 CPU time and peak RSS (GNU time; RSS goal <= 64 MiB)

delta_setup() {
  local dir="$work/delta" port
  mkdir -p "$dir/payloads" "$dir/server" "$dir/tmp" "$dir/defs"
  v2_payload="$dir/payloads/os-2.raw"
  cp "$payload" "$dir/payloads/os-1.raw"
  make_delta_v2 "$payload" "$v2_payload"
  new_publisher_key "$dir"

  start_nginx "$dir" "$dir/server" 18180 "$dir/access.log"
  port=$REPLY
  delta_url="http://127.0.0.1:$port"
  delta_disk="$dir/disk.img"
  write_defs "$dir/defs" url-file "$delta_url" "" "$delta_disk"
  for v in 1 2; do
    "$bin" publish --definitions="$dir/defs" --version="$v" --payloads="$dir/payloads" --output="$dir/server" \
      --signing-key="$dir/secret.gpg" --chunk-store >"$logs/delta.publish-$v.log" 2>&1 \
      || die "publish --chunk-store of v$v failed: $(tail -n 3 "$logs/delta.publish-$v.log" | tr '\n' ' ')"
  done
}

# Body bytes nginx logged after line $1 of its access log.
delta_sent_since() { nginx_sent_since "$work/delta/access.log" "$1"; }
delta_lines() { wc -l <"$work/delta/access.log"; }

delta_round() {
  local dir="$work/delta" before ours theirs slot2 loop_v1 rss user sys
  # v1 in the first slot, as a device that ran v1 would have it (whole download, untimed).
  new_disk_file "$delta_disk"
  "$bin" --definitions="$dir/defs" --keyring="$dir/server/keyring.gpg" update 1 >"$logs/delta.v1.log" 2>&1 \
    || die "installing v1 failed: $(tail -n 3 "$logs/delta.v1.log" | tr '\n' ' ')"
  check_slot delta.v1 "$delta_disk" "$slot_offset" "$dir/payloads/os-1.raw"

  before="$(delta_lines)"
  # Times on a shared machine are only as good as its quiet: the load goes beside them in the log.
  say "delta: load average $(cut -d' ' -f1-3 /proc/loadavg) before update 2"
  timed delta.install /usr/bin/time -f '%M %U %S' -o "$dir/install.time" "$bin" --definitions="$dir/defs" --keyring="$dir/server/keyring.gpg" update 2
  read -r rss user sys <"$dir/install.time"
  record delta.install_peak_rss_mib "$((rss / 1024))"
  record delta.install_cpu "$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')"
  ours="$(delta_sent_since "$before")"
  slot2=$((slot_offset + (slot_mib << 20)))
  check_slot delta.install "$delta_disk" "$slot2" "$v2_payload"
  grep -q "Rebuilding os-2.raw from its index" "$logs/delta.install.log" \
    || die "contender delta.install did not rebuild from the index (its log: $logs/delta.install.log)"

  # casync, seeded with the same v1 slot, from the same store.
  new_loop "$delta_disk" --read-only --offset "$slot_offset" --sizelimit "$((slot_mib << 20))"
  loop_v1="$REPLY"
  rm -f "$dir/casync-out.raw"
  before="$(delta_lines)"
  timed delta.casync casync extract --seed="$loop_v1" --store="$delta_url/default.castr" "$delta_url/os-2.raw.caibx" "$dir/casync-out.raw"
  theirs="$(delta_sent_since "$before")"
  cmp --silent "$dir/casync-out.raw" "$v2_payload" || die "casync extract did not rebuild v2"
  rm -f "$dir/casync-out.raw"
  losetup --detach "$loop_v1"

  # The floor: v2 written into the slot by dd, and hashed.
  timed delta.dd_buffered dd if="$v2_payload" of="$delta_disk" bs=4M oflag=seek_bytes seek="$slot2" conv=notrunc,fsync
  timed delta.dd_direct dd if="$v2_payload" of="$delta_disk" bs=4M oflag=seek_bytes,direct seek="$slot2" conv=notrunc,fsync
  record delta.dd "$(min2 "$(last delta.dd_buffered)" "$(last delta.dd_direct)")"
  timed delta.sha256 openssl dgst -sha256 "$v2_payload"

  record delta.bytes_ratio "$(awk -v a="$ours" -v b="$(stat -c %s "$v2_payload")" 'BEGIN { printf "%.6f", a / b }')"
  record delta.vs_casync_ratio "$(awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "%.6f", (b > 0) ? a / b : 0 }')"
  say "delta: nginx sent $ours bytes for update 2, $theirs for casync extract"
}

delta_report() {
  ratio_value delta_bytes_ratio delta.bytes_ratio
  ratio_value delta_vs_casync_ratio delta.vs_casync_ratio
  ratio_figure delta_install_vs_floor_ratio delta.install delta.dd delta.sha256
  figure delta_install_s delta.install
  figure delta_install_cpu_s delta.install_cpu
  figure delta_install_peak_rss_mib delta.install_peak_rss_mib
}

# `NAME median # min X max Y` of a series of ratios.
