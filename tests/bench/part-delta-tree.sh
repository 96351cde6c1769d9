# shellcheck shell=bash disable=SC2154 # the variables come from run-bench
# run-bench part `delta_tree`: issue 16's delta of a file-system image. A directory tree of
# $BENCH_TREE_FILES files (default 3000) in 60 directories, sizes log-uniform from 128 B to 512 KiB
# (about 180 MiB), half of them random bytes and half text (words drawn from a 4096-word list with
# Zipf's frequencies, as in natural text), from a fixed seed; v2's tree is v1's with 5% of the files (fixed seed) given new content of a size within
# +-25% of the old. Each tree becomes an erofs image the way a product builds it: `image-update
# build-image` of a repart.d layout (an ESP and one Format=erofs, CopyFiles=/:/, Minimize=best root),
# split out with --split, the layout's mkfs.erofs options given as systemd-repart takes them
# (SYSTEMD_REPART_MKFS_OPTIONS_EROFS); reproducibly: a fixed --seed (so one file system UUID for both
# versions), SOURCE_DATE_EPOCH for every time stamp, owner root (--all-root), the files' mtimes set to
# it too. (mkfs.erofs 1.5 reads SOURCE_DATE_EPOCH from the environment build-image passes on, as
# repart's does, and writes some inodes extended then: 1.83 against 1.71 for -Enoinline_data when
# mkfs.erofs -T0 was called directly, 3000 files, one round.)
# For each layout below, v1 and v2 are published with `publish --chunk-store` into a directory nginx
# serves on 127.0.0.1 with an access log, v1 is installed whole into the first slot of a GPT disk
# image, and `update 2` rebuilds v2 into the second from the v1 slot and the chunks it lacks; the
# slot is compared byte for byte with v2. Bytes are the same in every round, so this is measured in
# the first round only. Figures:
#   delta_tree.LAYOUT_bytes_ratio   bytes nginx sent for `update 2` / bytes of the changed files (v2's)
#   delta_tree_bytes_ratio          the same for the layout a product should use (goal <= 2.0):
#                                   plain_noinline (README: "Installing with deltas")
# BENCH_TREE_LAYOUTS (space-separated) picks layouts; the chosen one is always measured. lz4hc's
# mkfs takes minutes on a 2-core machine.
# The layouts (mkfs.erofs 1.5, Debian bookworm's; no option there sorts or aligns file data, so a file
# that grows moves the data after it, which content-defined chunking absorbs):
#   plain          no compression, file tails inlined beside their inodes (the default)
#   plain_noinline no compression, -Enoinline_data: tails in their own blocks, inodes alone
#   lz4, lz4hc     -zlz4 / -zlz4hc: compressed in 4 KiB physical clusters

read -r -a tree_layouts <<<"${BENCH_TREE_LAYOUTS:-plain plain_noinline lz4 lz4hc}"
tree_chosen=plain_noinline
[[ " ${tree_layouts[*]} " == *" $tree_chosen "* ]] || tree_layouts+=("$tree_chosen")

tree_mkfs() { # LAYOUT IMAGE DIR VERSION
  local options=() build="$work/delta_tree/build"
  case "$1" in
    plain) ;;
    plain_noinline) options=(-Enoinline_data) ;;
    lz4) options=(-zlz4) ;;
    lz4hc) options=(-zlz4hc) ;;
    *) die "unknown erofs layout $1" ;;
  esac
  if [ ! -d "$build/repart.d" ]; then
    mkdir -p "$build/repart.d" "$build/defs" "$build/payloads"
    printf '[Partition]\nType=esp\nFormat=vfat\nSizeMinBytes=40M\nSizeMaxBytes=40M\n' >"$build/repart.d/00-esp.conf"
    printf '[Partition]\nType=root\nLabel=os-%%A\nFormat=erofs\nCopyFiles=/:/\nMinimize=best\n' >"$build/repart.d/10-root.conf"
    printf '[Source]\nType=url-file\nPath=http://127.0.0.1:1/\nMatchPattern=os-@v.raw\n\n[Target]\nType=partition\nPath=auto\nMatchPattern=os-@v\nMatchPartitionType=root\n' >"$build/defs/os.transfer"
  fi
  rm -rf "$build/split"
  SOURCE_DATE_EPOCH=315532800 SYSTEMD_REPART_MKFS_OPTIONS_EROFS="${options[*]}" "$bin" --definitions="$build/defs" build-image "$build/repart.d" \
    --version="$4" --payloads="$build/payloads" --output="$build/disk.img" --seed=6a1e0c5e-16d1-4b1e-9c1e-2f1ed3e1a116 \
    --copy-source="$3" --split="$build/split" >"$logs/delta_tree.build-image.log" 2>&1 \
    || die "build-image with SYSTEMD_REPART_MKFS_OPTIONS_EROFS='${options[*]}' of $3 failed: $(tail -n 3 "$logs/delta_tree.build-image.log" | tr '\n' ' ')"
  mv "$build/split/os-$4.raw" "$2"
  rm -f "$build/disk.img"
}

delta_tree_setup() {
  local dir="$work/delta_tree" layout v image
  mkdir -p "$dir/trees" "$dir/server"
  python3 - "$dir/trees" "${BENCH_TREE_FILES:-3000}" >"$dir/changed-bytes" <<'PY' || die "could not make the trees"
import math, os, random, shutil, sys
root, count = sys.argv[1], int(sys.argv[2])
rng = random.Random(1616)
zipf = [1 / (rank + 1) for rank in range(4096)]
words = [bytes(rng.choices(b"abcdefghijklmnopqrstuvwxyz_./", k=rng.randint(2, 12))) for _ in range(4096)]
def content(size):
    if rng.random() < 0.5:
        return rng.randbytes(size)
    return b" ".join(rng.choices(words, weights=zipf, k=size // 4 + 1))[:size]
def size():
    return int(math.exp(rng.uniform(math.log(128), math.log(512 << 10))))
v1 = os.path.join(root, "v1")
files = []
for i in range(count):
    path = os.path.join(v1, f"d{i % 60:02d}", f"f{i:05d}.bin")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(content(size()))
    files.append(path)
v2 = os.path.join(root, "v2")
shutil.copytree(v1, v2)
changed = 0
for path in rng.sample(files, max(1, round(count * 0.05))):
    new = max(1, int(os.path.getsize(path) * rng.uniform(0.75, 1.25)))
    with open(os.path.join(v2, os.path.relpath(path, v1)), "wb") as f:
        f.write(content(new))
    changed += new
for top in (v1, v2):
    for base, dirs, names in os.walk(top):
        for name in dirs + names:
            os.utime(os.path.join(base, name), (315532800, 315532800), follow_symlinks=False)
    os.utime(top, (315532800, 315532800))
print(changed)
PY
  tree_changed="$(cat "$dir/changed-bytes")"

  new_publisher_key "$dir"
  start_nginx "$dir" "$dir/server" 18380 "$dir/access.log"
  tree_url="http://127.0.0.1:$REPLY"
  for layout in "${tree_layouts[@]}"; do
    mkdir -p "$dir/$layout/payloads" "$dir/$layout/defs" "$dir/server/$layout"
    for v in 1 2; do
      image="$dir/$layout/payloads/os-$v.raw"
      tree_mkfs "$layout" "$image" "$dir/trees/v$v" "$v"
      if [ "$v" = 1 ]; then
        tree_mkfs "$layout" "$dir/$layout/again.raw" "$dir/trees/v1" 1
        cmp --silent "$image" "$dir/$layout/again.raw" || die "mkfs.erofs ($layout) is not reproducible: two images of the same tree differ"
        rm -f "$dir/$layout/again.raw"
      fi
    done
    write_defs "$dir/$layout/defs" url-file "$tree_url/$layout" "" "$dir/$layout/disk.img"
    for v in 1 2; do
      "$bin" publish --definitions="$dir/$layout/defs" --version="$v" --payloads="$dir/$layout/payloads" --output="$dir/server/$layout" \
        --signing-key="$dir/secret.gpg" --chunk-store >"$logs/delta_tree.$layout.publish-$v.log" 2>&1 \
        || die "publish --chunk-store of the $layout v$v failed: $(tail -n 3 "$logs/delta_tree.$layout.publish-$v.log" | tr '\n' ' ')"
    done
    say "delta_tree: $layout images of $(stat -c %s "$dir/$layout/payloads/os-1.raw") and $(stat -c %s "$dir/$layout/payloads/os-2.raw") bytes"
  done
  rm -rf "$dir/trees" "$dir/build"
}

delta_tree_measure() { # LAYOUT
  local dir="$work/delta_tree/$1" before sent v2 slot_mib
  v2="$dir/payloads/os-2.raw"
  slot_mib=$(($(stat -c %s "$v2") * 9 / 8 / 1048576 + 8))
  new_disk_file "$dir/disk.img"
  "$bin" --definitions="$dir/defs" --keyring="$work/delta_tree/server/$1/keyring.gpg" update 1 >"$logs/delta_tree.$1.v1.log" 2>&1 \
    || die "installing the $1 v1 failed: $(tail -n 3 "$logs/delta_tree.$1.v1.log" | tr '\n' ' ')"
  check_slot "delta_tree.$1.v1" "$dir/disk.img" "$slot_offset" "$dir/payloads/os-1.raw"
  before="$(wc -l <"$work/delta_tree/access.log")"
  "$bin" --definitions="$dir/defs" --keyring="$work/delta_tree/server/$1/keyring.gpg" update 2 >"$logs/delta_tree.$1.v2.log" 2>&1 \
    || die "updating the $1 image to v2 failed: $(tail -n 3 "$logs/delta_tree.$1.v2.log" | tr '\n' ' ')"
  sent="$(nginx_sent_since "$work/delta_tree/access.log" "$before")"
  check_slot "delta_tree.$1.v2" "$dir/disk.img" "$((slot_offset + (slot_mib << 20)))" "$v2"
  grep -q "Rebuilding os-2.raw from its index" "$logs/delta_tree.$1.v2.log" \
    || die "the $1 update did not rebuild from the index (its log: $logs/delta_tree.$1.v2.log)"
  rm -f "$dir/disk.img"
  record "delta_tree.$1.bytes_ratio" "$(awk -v a="$sent" -v b="$tree_changed" 'BEGIN { printf "%.6f", a / b }')"
  say "delta_tree: $1: nginx sent $sent bytes for $tree_changed bytes of changed files ($(stat -c %s "$v2")-byte v2)"
}

delta_tree_round() {
  local layout
  [ "$round" -eq 1 ] || return 0
  for layout in "${tree_layouts[@]}"; do delta_tree_measure "$layout"; done
}

delta_tree_report() {
  local layout
  for layout in "${tree_layouts[@]}"; do ratio_value "delta_tree.${layout}_bytes_ratio" "delta_tree.$layout.bytes_ratio"; done
  ratio_value delta_tree_bytes_ratio "delta_tree.$tree_chosen.bytes_ratio"
}
