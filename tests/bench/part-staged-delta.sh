# shellcheck shell=bash disable=SC2154 # the variables come from run-bench
# run-bench part `staged_delta`: issue 16's delta across the trust boundary. v1 is the bench's random
# image and v2 the delta part's v2 (make_delta_v2: 5% rewritten in 1 MiB runs, fixed seed); both are
# published with `publish --chunk-store` (signed by a throwaway gpg key) into a directory nginx
# serves on 127.0.0.1 with an access log of $body_bytes_sent. The host is a GPT on a loop device.
# Each round: both slots are discarded, v1 is installed into the first (`update 1`, whole, untimed),
# the staging subvolume (on a loop-mounted BTRFS) is emptied, the downloader runs
# `fetch --from URL --have 1 STAGING` (untimed), and the host's `image-update STAGING` is timed: it
# rebuilds v2 into the second slot from the staged pack and the v1 slot; the slot is then compared
# byte for byte with v2. Figures:
#   staged_delta_bytes_ratio          bytes fetch left in the staging directory (chunks.capack, the
#                                     new .caibx, SHA256SUMS and its signature) / size of v2 (goal <= 0.07)
#   staged_delta_sent_bytes_ratio     body bytes nginx sent for that fetch / size of v2
#   staged_delta_install_s            the host's `image-update STAGING`
#   staged_delta_install_cpu_s        its user+sys seconds (load-insensitive), and its peak RSS
#   staged_delta_install_vs_floor_ratio  that / max(dd of v2 into the slot, sha256 of v2) (informative)
# The host keeps its state (the verified index cache, which `update 1` fills with v1's index) in the
# part's own directory, so another run on the machine can neither fill nor prune it.

staged_delta_setup() {
  local dir="$work/staged_delta" v
  mkdir -p "$dir/payloads" "$dir/server" "$dir/defs" "$dir/mnt"
  sd_v2="$dir/payloads/os-2.raw"
  ln "$payload" "$dir/payloads/os-1.raw"
  make_delta_v2 "$payload" "$sd_v2"
  new_publisher_key "$dir"

  start_nginx "$dir" "$dir/server" 18280 "$dir/access.log"
  sd_url="http://127.0.0.1:$REPLY"
  new_disk_file "$dir/disk.img"
  new_loop "$dir/disk.img"
  sd_loop="$REPLY"
  write_defs "$dir/defs" url-file "$sd_url" "" "$sd_loop"
  for v in 1 2; do
    "$bin" publish --definitions="$dir/defs" --version="$v" --payloads="$dir/payloads" --output="$dir/server" \
      --signing-key="$dir/secret.gpg" --chunk-store >"$logs/staged_delta.publish-$v.log" 2>&1 \
      || die "publish --chunk-store of v$v failed: $(tail -n 3 "$logs/staged_delta.publish-$v.log" | tr '\n' ' ')"
  done

  # The staging subvolume, made by the host's first call, as in the staged part.
  truncate -s "$((mib / 4 + 320))M" "$dir/btrfs.img"
  mkfs.btrfs -q "$dir/btrfs.img" >/dev/null || die "mkfs.btrfs failed"
  mount -o loop "$dir/btrfs.img" "$dir/mnt" || die "cannot mount the BTRFS image (loop)"
  on_exit umount "$dir/mnt"
  sd_staging="$dir/mnt/staging"
  staged_delta_host "$sd_staging" >"$logs/staged_delta.create.log" 2>&1 \
    || die "image-update could not make the staging subvolume: $(tail -n 3 "$logs/staged_delta.create.log" | tr '\n' ' ')"
  grep -q 'Nothing staged yet' "$logs/staged_delta.create.log" || die "image-update's first call did not say 'Nothing staged yet' (its log: $logs/staged_delta.create.log)"
}

staged_delta_host() { IMAGE_UPDATE_STATE_DIRECTORY="$work/staged_delta/state" "$bin" --definitions="$work/staged_delta/defs" --keyring="$work/staged_delta/server/keyring.gpg" "$@"; }

staged_delta_round() {
  local dir="$work/staged_delta" before sent staged size slot2 rss user sys
  size="$(stat -c %s "$sd_v2")"
  slot2=$((slot_offset + (slot_mib << 20)))

  # Both slots empty, then v1 in the first, as a device that ran v1 would have it.
  blkdiscard --force --offset "$slot_offset" --length "$((2 * slot_mib << 20))" "$sd_loop" 2>/dev/null || die "blkdiscard failed on $sd_loop"
  write_table "$sd_loop"
  staged_delta_host update 1 >"$logs/staged_delta.v1.log" 2>&1 \
    || die "installing v1 failed: $(tail -n 3 "$logs/staged_delta.v1.log" | tr '\n' ' ')"
  check_slot staged_delta.v1 "$sd_loop" "$slot_offset" "$payload"

  # The downloader's side: an empty staging directory, then fetch --have 1.
  find "$sd_staging" -mindepth 1 -delete
  before="$(wc -l <"$dir/access.log")"
  staged_delta_host fetch --from "$sd_url" --have 1 "$sd_staging" >"$logs/staged_delta.fetch.log" 2>&1 \
    || die "fetch --have 1 failed: $(tail -n 3 "$logs/staged_delta.fetch.log" | tr '\n' ' ')"
  sent="$(nginx_sent_since "$dir/access.log" "$before")"
  if [ ! -f "$sd_staging/chunks.capack" ] || [ -e "$sd_staging/os-2.raw" ]; then
    die "fetch --have 1 did not stage a delta: $(find "$sd_staging" -mindepth 1 -printf '%f ') (its log: $logs/staged_delta.fetch.log)"
  fi
  staged="$(find "$sd_staging" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')"
  sync -f "$sd_staging"

  # The host's side, timed.
  before="$(wc -l <"$dir/access.log")"
  say "staged_delta: load average $(cut -d' ' -f1-3 /proc/loadavg) before the host's install"
  timed staged_delta.install /usr/bin/time -f '%M %U %S' -o "$dir/install.time" env IMAGE_UPDATE_STATE_DIRECTORY="$dir/state" \
    "$bin" --definitions="$dir/defs" --keyring="$dir/server/keyring.gpg" "$sd_staging"
  read -r rss user sys <"$dir/install.time"
  record staged_delta.install_peak_rss_mib "$((rss / 1024))"
  record staged_delta.install_cpu "$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')"
  check_slot staged_delta.install "$sd_loop" "$slot2" "$sd_v2"
  grep -q "The staged pack holds" "$logs/staged_delta.install.log" \
    || die "contender staged_delta.install did not rebuild from the staged pack (its log: $logs/staged_delta.install.log)"
  [ "$(wc -l <"$dir/access.log")" -eq "$before" ] || die "the host's staged install went to the server"

  # The floor: v2 written into the same slot by dd, and hashed.
  timed staged_delta.dd_buffered dd if="$sd_v2" of="$sd_loop" bs=4M oflag=seek_bytes seek="$slot2" conv=notrunc,fsync
  timed staged_delta.dd_direct dd if="$sd_v2" of="$sd_loop" bs=4M oflag=seek_bytes,direct seek="$slot2" conv=notrunc,fsync
  record staged_delta.dd "$(min2 "$(last staged_delta.dd_buffered)" "$(last staged_delta.dd_direct)")"
  timed staged_delta.sha256 openssl dgst -sha256 "$sd_v2"

  record staged_delta.bytes_ratio "$(awk -v a="$staged" -v b="$size" 'BEGIN { printf "%.6f", a / b }')"
  record staged_delta.sent_bytes_ratio "$(awk -v a="$sent" -v b="$size" 'BEGIN { printf "%.6f", a / b }')"
  say "staged_delta: $staged bytes staged, nginx sent $sent, for a $size-byte v2"
}

staged_delta_report() {
  ratio_value staged_delta_bytes_ratio staged_delta.bytes_ratio
  ratio_value staged_delta_sent_bytes_ratio staged_delta.sent_bytes_ratio
  figure staged_delta_install_s staged_delta.install
  figure staged_delta_install_cpu_s staged_delta.install_cpu
  figure staged_delta_install_peak_rss_mib staged_delta.install_peak_rss_mib
  ratio_figure staged_delta_install_vs_floor_ratio staged_delta.install staged_delta.dd staged_delta.sha256
}
