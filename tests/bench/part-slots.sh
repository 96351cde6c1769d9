# shellcheck shell=bash disable=SC2154 # the variables come from run-bench
# run-bench parts `loop` and `file`: the verified install of the random image into a slot of a GPT
# on a loop device (Path=/dev/loopN) and of a GPT in a disk image file, against the floor of the
# same bytes (dd into the same slot, openssl sha256) and systemd-sysupdate 257 on the same work.
# Uses $loop and $work/defs-loop (run-bench makes them), $payload, $bin, $repo.

# dd of the image into the slot, conv=fsync,notrunc; FLAGS: seek_bytes or seek_bytes,direct.
dd_slot() { # TARGET FLAGS
  dd if="$payload" of="$1" bs=4M oflag="$2" seek="$slot_offset" conv=fsync,notrunc status=none
}

sysupdate() { # DEFINITIONS
  "$repo/tests/oracle/run-sysupdate" "$work" --definitions="$1" --verify=no update
}

# dd into the slot and the hash of the same bytes at once, until both end.
dd_and_sha256() { # TARGET FLAGS
  local dd_pid
  dd_slot "$1" "$2" &
  dd_pid=$!
  openssl dgst -sha256 "$payload" >/dev/null
  wait "$dd_pid"
}

# The floor of one kind of slot: dd both ways (the faster counts) and the hash, each once; then the
# faster dd and the hash together, the same work an install does on the same cores.
floor_round() { # PREFIX RESET TARGET
  local faster=seek_bytes
  "$2" "$3"
  timed "$1.dd_buffered" dd_slot "$3" seek_bytes
  "$2" "$3"
  timed "$1.dd_direct" dd_slot "$3" seek_bytes,direct
  record "$1.dd" "$(min2 "$(last "$1.dd_buffered")" "$(last "$1.dd_direct")")"
  timed "$1.sha256" openssl dgst -sha256 "$payload"
  if awk -v d="$(last "$1.dd_direct")" -v b="$(last "$1.dd_buffered")" 'BEGIN { exit !(d < b) }'; then faster=seek_bytes,direct; fi
  "$2" "$3"
  timed "$1.together" dd_and_sha256 "$3" "$faster"
}

# One install into TARGET's first slot, checked byte for byte: CONTENDER RESET TARGET CMD...
install_round() {
  local name="$1" reset="$2" target="$3"
  shift 3
  "$reset" "$target"
  timed "$name" "$@"
  check_slot "$name" "$target" "$slot_offset" "$payload"
}

loop_setup() { :; }

loop_floor() { floor_round loop reset_device_slot "$loop"; }
loop_ours() { install_round loop.install reset_device_slot "$loop" "$bin" --definitions="$work/defs-loop" --verify=no update; }
loop_theirs() { install_round loop.sysupdate reset_device_slot "$loop" sysupdate "$work/defs-loop"; }
loop_round() { in_turn "$round" loop_floor loop_ours loop_theirs; }

file_setup() {
  disk_file="$work/file-disk.img"
  new_disk_file "$disk_file"
  write_defs "$work/defs-file" url-file "file://$work/source" "" "$disk_file"
  write_defs "$work/defs-image" url-file "file://$work/source" "" auto
}

file_floor() { floor_round file reset_file_slot "$disk_file"; }
file_ours() { install_round file.install reset_file_slot "$disk_file" "$bin" --image "$disk_file" --definitions="$work/defs-image" --verify=no update; }
file_ours_path() { install_round file.path_install reset_file_slot "$disk_file" "$bin" --definitions="$work/defs-file" --verify=no update; }
file_theirs() { install_round file.sysupdate reset_file_slot "$disk_file" sysupdate "$work/defs-file"; }
file_round() { in_turn "$round" file_floor file_ours file_ours_path file_theirs; }

slots_report() { # PREFIX
  figure "$1.dd_s" "$1.dd"
  figure "$1.sha256_s" "$1.sha256"
  figure "$1.verified_install_s" "$1.install"
  ratio_figure "$1.verified_install_vs_floor_ratio" "$1.install" "$1.dd" "$1.sha256"
  figure "$1.dd_sha256_together_s" "$1.together"
  ratio_figure "$1.verified_install_vs_together_ratio" "$1.install" "$1.together"
  if [ "$1" = file ]; then figure file.path_verified_install_s file.path_install; fi
  figure "$1.sysupdate_verified_s" "$1.sysupdate"
  ratio_figure "$1.sysupdate_vs_install_ratio" "$1.sysupdate" "$1.install"
}
loop_report() { slots_report loop; }
file_report() { slots_report file; }
