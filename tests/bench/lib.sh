# shellcheck shell=bash disable=SC2154 # the variables come from run-bench
# Shared functions of tests/bench/run-bench and its parts (sourced, never run). The caller sets
# $work (the work directory), $times (one file per series: one value per line, one line per round)
# and $logs (each contender's output of its last run).

die() { echo "run-bench: $*" >&2; exit 1; }
say() { echo "run-bench: [$(printf '%4d' "$SECONDS")s] $*" >&2; }

# Debian packages the bench needs, installed when missing (as .ci/install-deps does for the tests).
ensure_packages() { # PACKAGE...
  local p missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  say "installing ${missing[*]} (apt-get)"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >/dev/null \
    || die "could not install ${missing[*]}: install them (apt-get install ${missing[*]}) and run again"
}

# Undo actions, run last-in first-out by run_cleanups (the EXIT trap) whatever way the bench ends.
undo=()
on_exit() { undo+=("$(printf '%q ' "$@")"); }
run_cleanups() {
  local i
  for ((i = ${#undo[@]} - 1; i >= 0; i--)); do eval "${undo[i]}" >/dev/null 2>&1 || true; done
  undo=()
}
stop_process() { # PID: TERM, then KILL after 5 s; only the process this bench started
  kill "$1" 2>/dev/null || return 0
  local _
  for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
}

# Unmounts whatever is still mounted below DIR (deepest first), e.g. what a killed service left.
umount_below() { # DIR
  findmnt --raw --noheadings --output TARGET | awk -v d="$1/" 'index($0, d) == 1' | sort -r | while read -r m; do umount --lazy "$m"; done
}

# A loop device on FILE (extra losetup options allowed), detached on exit; its path in $REPLY.
new_loop() { # FILE [LOSETUP-OPTION...]
  REPLY="$(losetup --find --show "${@:2}" "$1")" || die "losetup could not attach $1"
  on_exit losetup --detach "$REPLY"
}

# --- Disks with two slots -------------------------------------------------------------------------
# A GPT (512-byte sectors, first usable LBA 2048) with two `_empty` root-x86-64 slots of $slot_mib;
# every install goes into the first, at byte $slot_offset.
root_type=4f68bce3-e8cd-4db1-96e7-fbcaf984b709 # root-x86-64
slot_offset=$((2048 * 512))

write_table() { # DEVICE-OR-FILE
  sfdisk --quiet --no-reread --no-tell-kernel "$1" >/dev/null <<EOF || die "sfdisk could not write the table of $1"
label: gpt
unit: sectors
first-lba: 2048

size=$((slot_mib * 2048)), type=$root_type, name=_empty
size=$((slot_mib * 2048)), type=$root_type, name=_empty
EOF
}

new_disk_file() { # FILE
  rm -f "$1"
  truncate -s "$((2 * slot_mib + 4))M" "$1"
  write_table "$1"
}

# Before each contender the slot holds nothing (zeros, unallocated) and the table two `_empty`
# slots again: every contender starts from the same state, and a contender that wrote nothing
# cannot pass the byte check on what an earlier one left.
reset_device_slot() { # DEVICE
  blkdiscard --force --offset "$slot_offset" --length "$((slot_mib << 20))" "$1" 2>/dev/null || die "blkdiscard failed on $1"
  write_table "$1"
}
reset_file_slot() { # FILE
  fallocate --punch-hole --offset "$slot_offset" --length "$((slot_mib << 20))" "$1" || die "fallocate failed on $1"
  write_table "$1"
}

# The slot holds PAYLOAD byte for byte (a benchmark of a wrong copy would mean nothing).
check_slot() { # CONTENDER TARGET OFFSET PAYLOAD
  cmp --silent --bytes="$(stat -c %s "$4")" --ignore-initial="0:$3" "$4" "$2" \
    || die "contender $1 did not write the payload into $2 at byte $3 (cmp against $4 fails; its log: $logs/$1.log): $(tail -n 3 "$logs/$1.log" | tr '\n' ' ')"
}

# Definitions of one partition transfer: SOURCE_TYPE SOURCE_PATH PATTERN_SUFFIX TARGET_PATH.
write_defs() { # DIR SOURCE_TYPE SOURCE_PATH SUFFIX TARGET_PATH
  mkdir -p "$1"
  cat >"$1/50-os.transfer" <<EOF
[Source]
Type=$2
Path=$3
MatchPattern=os-@v.raw$4

[Target]
Type=partition
Path=$5
MatchPattern=os-@v
MatchPartitionType=root-x86-64
EOF
}

# --- Timing ---------------------------------------------------------------------------------------
# timed NAME CMD...: runs CMD once (a function is fine), its output in $logs/NAME.log, and appends
# its wall time in seconds to the series NAME. Any failure stops the bench, naming the contender.
# (CMD runs where `set -e` is off: a function given here must be one command or one pipeline.)
# Every contender starts alike: sync first, so no write-back left by an earlier command (a payload
# just made, the last contender's files) lands in its time. The clock is bash's own EPOCHREALTIME,
# read without starting a process inside the interval (in microseconds, the locale's
# decimal separator taken out).
timed() {
  local name="$1" t0 t1
  shift
  sync
  t0=${EPOCHREALTIME/[.,]/}
  "$@" >"$logs/$name.log" 2>&1 \
    || die "contender $name failed (exit status $?): $(tail -n 3 "$logs/$name.log" | tr '\n' ' ')"
  t1=${EPOCHREALTIME/[.,]/}
  record "$name" "$(awk -v us="$((t1 - t0))" 'BEGIN { printf "%.6f", us / 1e6 }')"
}
# nginx on 127.0.0.1, one process, serving ROOT with sendfile, on the first free port from FIRST_PORT
# (REPLY: the port); stopped on exit. With LOG, an access log of "status body_bytes_sent uri" lines,
# from which a part counts the bytes a contender was sent.
start_nginx() { # DIR ROOT FIRST_PORT [LOG]
  local dir="$1" root="$2" port pid _ access="access_log off;"
  mkdir -p "$dir/tmp"
  for port in $(seq "$3" "$(($3 + 99))"); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
  done
  [ -z "${4:-}" ] || access="log_format bytes '\$status \$body_bytes_sent \$request_uri'; access_log $4 bytes;"
  cat >"$dir/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 64; }
http {
  $access
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  default_type application/octet-stream;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  server {
    listen 127.0.0.1:$port;
    root $root;
  }
}
CONF
  nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" >"$dir/nginx.out" 2>&1 &
  pid=$!
  on_exit stop_process "$pid"
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || die "nginx exited at start: $(tail -n 3 "$dir/error.log" "$dir/nginx.out" 2>/dev/null | tr '\n' ' ')"
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || die "nginx does not answer on 127.0.0.1:$port"
  REPLY=$port
}

# Runs each COMMAND (a function name) once, starting at a different one in each round: what ran just
# before a contender (its write-back, the caches it left cold or warm) must not favour or slow the
# same contender in every round.
in_turn() { # ROUND COMMAND...
  local round="$1" i
  shift
  local commands=("$@")
  for ((i = 0; i < ${#commands[@]}; i++)); do "${commands[(i + round) % ${#commands[@]}]}"; done
}
record() { echo "$2" >>"$times/$1"; }
last() { tail -n 1 "$times/$1"; }
min2() { awk -v a="$1" -v b="$2" 'BEGIN { print (a < b) ? a : b }'; }

# The median of a series (the mean of the middle two for an even count).
median_of() {
  [ -s "$times/$1" ] || die "no values for $1"
  sort -g "$times/$1" | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# `NAME median # min X max Y` of a series of seconds.
figure() { # NAME SERIES
  local median
  median="$(median_of "$2")"
  sort -g "$times/$2" | awk -v n="$1" -v m="$median" '{ a[NR] = $1 } END { printf "%s %.3f # min %.3f max %.3f\n", n, m, a[1], a[NR] }'
}

# `NAME value # min X max Y`: value = median(NUM) / the larger of the medians of DEN...; the
# comment gives the same ratio's spread over the rounds (each round's NUM over its larger DEN).
ratio_figure() { # NAME NUM DEN...
  local name="$1" num="$2" den value s
  shift 2
  den=0
  for s in "$@"; do den="$(awk -v a="$den" -v b="$(median_of "$s")" 'BEGIN { print (a > b) ? a : b }')"; done
  value="$(awk -v a="$(median_of "$num")" -v b="$den" 'BEGIN { printf "%.2f", a / b }')"
  local files=("$times/$num")
  for s in "$@"; do files+=("$times/$s"); done
  paste "${files[@]}" | awk -v n="$name" -v v="$value" '
    { d = 0; for (i = 2; i <= NF; i++) if ($i > d) d = $i; r = $1 / d; if (NR == 1 || r < lo) lo = r; if (NR == 1 || r > hi) hi = r }
    END { printf "%s %s # min %.2f max %.2f\n", n, v, lo, hi }'
}

# `NAME median # min X max Y` of a series of ratios (bytes over bytes: no unit, three decimals).
ratio_value() { # NAME SERIES
  local median
  median="$(median_of "$2")"
  sort -g "$times/$2" | awk -v n="$1" -v m="$median" '{ a[NR] = $1 } END { printf "%s %.3f # min %.3f max %.3f\n", n, m, a[1], a[NR] }'
}

# --- Delta images ---------------------------------------------------------------------------------
# issue 16's v2: a copy of V1 with 5% of its bytes rewritten in 1 MiB runs at random offsets, from a
# fixed seed (16), so every delta part (delta, staged_delta) measures the same v2 of the same v1.
make_delta_v2() { # V1 V2
  cp "$1" "$2" || die "could not copy $1 to $2"
  python3 - "$2" <<'PY' || die "could not write v2 ($2)"
import os, random, sys
path = sys.argv[1]
size = os.path.getsize(path)
run = 1 << 20
rng = random.Random(16)
with open(path, "r+b") as f:
    for _ in range(max(1, round(size * 0.05 / run))):
        offset = rng.randrange(0, size - run)
        f.seek(offset)
        f.write(rng.randbytes(run))
PY
}

# A publisher's gpg key (ed25519, no passphrase) in DIR/gnupg, its secret key exported to
# DIR/secret.gpg for `publish --signing-key`; its agent dies on exit.
new_publisher_key() { # DIR
  mkdir -m 700 "$1/gnupg"
  on_exit env GNUPGHOME="$1/gnupg" gpgconf --kill all
  GNUPGHOME="$1/gnupg" gpg -q --batch --pinentry-mode loopback --passphrase '' --quick-gen-key 'Bench Releases <bench@example.org>' ed25519 sign never 2>/dev/null \
    || die "gpg could not make a key"
  GNUPGHOME="$1/gnupg" gpg -q --batch --export-secret-keys >"$1/secret.gpg"
}

# Body bytes nginx logged in ACCESS-LOG after its line AFTER (start_nginx's "status bytes uri" format).
nginx_sent_since() { # ACCESS-LOG AFTER
  tail -n "+$(($2 + 1))" "$1" | awk '{ s += $2 } END { print s + 0 }'
}
