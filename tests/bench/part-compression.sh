# shellcheck shell=bash disable=SC2154 # the variables come from run-bench
# run-bench part `compression`: image-update installing a compressed image (url-file over file://,
# SHA256SUMS of the compressed files checked) into the loop slot, against the decompressor piped
# into dd writing the same bytes into the same slot, buffered or O_DIRECT, whichever is faster in
# the round (as for the dd floor: a loop device often takes O_DIRECT writes faster). Random bytes
# would not compress, so this payload is an ext4 file system image of the same size (mke2fs -d),
# two thirds filled with the regular files of /usr/lib/x86_64-linux-gnu and /usr/bin (shared
# libraries and programs, what an OS image mostly holds), the rest free space; compressed by `zstd`
# (default level 3), `xz -1` and `gzip -1`, published as os-v1.raw.zst, .xz, .gz with their
# SHA256SUMS.

compressions=(zstd xz gzip)
declare -A suffix=([zstd]=.zst [xz]=.xz [gzip]=.gz)

compression_setup() {
  local dir="$work/compressed" c
  mkdir -p "$dir/tree" "$dir/source"
  cpayload="$dir/os-v1.raw"
  # Each file once (hard links are one file), until two thirds of the image are taken.
  find /usr/lib/x86_64-linux-gnu /usr/bin -xdev -type f -printf '%i\t%s\t%p\n' >"$dir/candidates"
  awk -F '\t' -v budget="$(((mib << 20) * 2 / 3))" '!seen[$1]++ { s += $2 + 4096; if (s > budget) exit; print $3 }' \
    "$dir/candidates" >"$dir/files"
  tar -c --files-from="$dir/files" 2>/dev/null | tar -x -C "$dir/tree" || die "could not copy the files of the ext4 payload"
  mke2fs -q -F -t ext4 -d "$dir/tree" "$cpayload" "${mib}M" >"$logs/mke2fs.log" 2>&1 \
    || die "mke2fs could not make the ext4 payload: $(tail -n 3 "$logs/mke2fs.log" | tr '\n' ' ')"
  rm -rf "$dir/tree"
  zstd -q -T0 "$cpayload" -o "$dir/source/os-v1.raw.zst" || die "zstd failed"
  xz -1 -T0 -c "$cpayload" >"$dir/source/os-v1.raw.xz" || die "xz failed"
  gzip -1 -c "$cpayload" >"$dir/source/os-v1.raw.gz" || die "gzip failed"
  (cd "$dir/source" && sha256sum os-v1.raw.* >SHA256SUMS)
  for c in "${compressions[@]}"; do
    write_defs "$work/defs-$c" url-file "file://$dir/source" "${suffix[$c]}" "$loop"
    say "compression payload: $c $(du -m "$dir/source/os-v1.raw${suffix[$c]}" | cut -f 1) MiB of $mib MiB"
  done
  cat "$dir/source"/os-v1.raw.* "$cpayload" >/dev/null
}

# The decompressor piped into dd writing the same bytes into the same slot; FLAGS: seek_bytes or
# seek_bytes,direct (iflag=fullblock: dd writes whole 4 MiB blocks, as it does for dd_s).
decompress_into_slot() { # COMPRESSION FLAGS
  "$1" -dc "$work/compressed/source/os-v1.raw${suffix[$1]}" \
    | dd of="$loop" bs=4M iflag=fullblock oflag="$2" seek="$slot_offset" conv=fsync,notrunc status=none
}

compression_round() {
  local c
  for c in "${compressions[@]}"; do
    reset_device_slot "$loop"
    timed "$c.install" "$bin" --definitions="$work/defs-$c" --verify=no update
    check_slot "$c.install" "$loop" "$slot_offset" "$cpayload"
    reset_device_slot "$loop"
    timed "$c.pipe_buffered" decompress_into_slot "$c" seek_bytes
    check_slot "$c.pipe_buffered" "$loop" "$slot_offset" "$cpayload"
    reset_device_slot "$loop"
    timed "$c.pipe_direct" decompress_into_slot "$c" seek_bytes,direct
    check_slot "$c.pipe_direct" "$loop" "$slot_offset" "$cpayload"
    record "$c.pipe" "$(min2 "$(last "$c.pipe_buffered")" "$(last "$c.pipe_direct")")"
  done
}

compression_report() {
  local c
  for c in "${compressions[@]}"; do
    figure "${c}_install_s" "$c.install"
    figure "${c}_pipe_s" "$c.pipe"
    ratio_figure "${c}_install_vs_pipe_ratio" "$c.install" "$c.pipe"
  done
}
