# shellcheck shell=bash disable=SC2154 # the variables come from run-bench
# run-bench part `staged`: the staging flow, `image-update --keyring KEYRING STAGING_DIR`, with the
# host's own definitions (those of the loop install). The downloader's work is done once in setup:
# on a loop-mounted BTRFS, the staging subvolume (made by image-update's first call, "Nothing staged
# yet") gets the image, its SHA256SUMS and SHA256SUMS.gpg, signed by a throwaway gpg key. Each
# timed run then freezes a read-only snapshot, validates it, checks the signature and installs
# into the loop slot (which run-bench resets before each contender, so every run installs anew).

staged_setup() {
  local dir="$work/staged"
  mkdir -p "$dir/mnt"
  truncate -s "$((mib * 5 / 4 + 320))M" "$dir/btrfs.img"
  mkfs.btrfs -q "$dir/btrfs.img" >/dev/null || die "mkfs.btrfs failed"
  mount -o loop "$dir/btrfs.img" "$dir/mnt" || die "cannot mount the BTRFS image (loop)"
  on_exit umount "$dir/mnt"
  staging="$dir/mnt/staging"

  # The vendor's key (ed25519, no passphrase) in a GNUPGHOME of our own; its agent dies on exit.
  mkdir -m 0700 "$dir/gnupg"
  on_exit env GNUPGHOME="$dir/gnupg" gpgconf --kill all
  GNUPGHOME="$dir/gnupg" gpg -q --batch --pinentry-mode loopback --passphrase '' --quick-gen-key 'Bench Releases <bench@example.org>' ed25519 sign never 2>/dev/null \
    || die "gpg could not make a key"
  GNUPGHOME="$dir/gnupg" gpg -q --batch --export >"$dir/keyring.gpg"

  "$bin" --definitions="$work/defs-loop" --keyring="$dir/keyring.gpg" "$staging" >"$logs/staged.create.log" 2>&1 \
    || die "image-update could not make the staging subvolume: $(tail -n 3 "$logs/staged.create.log" | tr '\n' ' ')"
  grep -q 'Nothing staged yet' "$logs/staged.create.log" || die "image-update's first call did not say 'Nothing staged yet' (its log: $logs/staged.create.log)"
  cp "$payload" "$work/source/SHA256SUMS" "$staging/"
  GNUPGHOME="$dir/gnupg" gpg -q --batch --pinentry-mode loopback --passphrase '' --detach-sign -o "$staging/SHA256SUMS.gpg" "$staging/SHA256SUMS" \
    || die "gpg could not sign SHA256SUMS"
  sync -f "$staging"
  cat "$staging/os-v1.raw" >/dev/null
}

staged_round() {
  install_round staged.install reset_device_slot "$loop" "$bin" --definitions="$work/defs-loop" --keyring="$work/staged/keyring.gpg" "$staging"
}

staged_report() {
  figure staged_install_s staged.install
  ratio_figure staged_install_vs_floor_ratio staged.install loop.dd loop.sha256
}
