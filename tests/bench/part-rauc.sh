# shellcheck shell=bash disable=SC2154 # the variables come from run-bench
# run-bench part `rauc`: RAUC 1.8 from Debian installing the same random image as a signed `plain`
# bundle (verity bundles need device-mapper, which this kernel lacks) into the inactive one of two
# `type=raw` slots, each a loop device, as a RAUC user runs it: `rauc install bundle.raucb` against
# `rauc service` (which checks the bundle's signature over the whole bundle, then copies the image).
# Debian ships no system bus here, so the service gets a private dbus-daemon (a `system`-type
# config on a socket in the work directory, DBUS_SYSTEM_BUS_ADDRESS), and `bootloader=noop` with
# `--override-boot-slot=A` makes slot B the target of every install. The bundle is made with
# `--mksquashfs-args=-noD -noF`: random blocks do not compress, so squashfs would store them as
# they are anyway, and this spares the minute mksquashfs would spend trying.

# The rauc client, on the service's private bus (only rauc gets it: image-update keeps the host's).
rauc_client() { DBUS_SYSTEM_BUS_ADDRESS="$rauc_bus" rauc "$@"; }

rauc_setup() {
  local dir="$work/rauc" _
  mkdir -p "$dir/bundle" "$dir/mnt"
  truncate -s "$((2 * slot_mib))M" "$dir/slots.img"
  new_loop "$dir/slots.img" --sizelimit "$((slot_mib << 20))"
  rauc_a="$REPLY"
  new_loop "$dir/slots.img" --offset "$((slot_mib << 20))" --sizelimit "$((slot_mib << 20))"
  rauc_b="$REPLY"

  # A CA (the keyring) and a signing certificate it issued.
  {
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/ca.key" -out "$dir/ca.pem" -days 2 -subj /CN=bench-ca \
      && openssl req -newkey rsa:2048 -nodes -keyout "$dir/signing.key" -out "$dir/signing.csr" -subj /CN=bench-signing \
      && openssl x509 -req -in "$dir/signing.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 2 -out "$dir/signing.pem"
  } >"$logs/rauc.keys.log" 2>&1 || die "openssl could not make the RAUC keys: $(tail -n 3 "$logs/rauc.keys.log" | tr '\n' ' ')"

  cat >"$dir/system.conf" <<EOF
[system]
compatible=image-update-bench
bootloader=noop
mountprefix=$dir/mnt
statusfile=$dir/status.raucs

[keyring]
path=$dir/ca.pem

[slot.rootfs.0]
device=$rauc_a
type=raw
bootname=A

[slot.rootfs.1]
device=$rauc_b
type=raw
bootname=B
EOF
  cat >"$dir/bundle/manifest.raucm" <<EOF
[update]
compatible=image-update-bench
version=1

[bundle]
format=plain

[image.rootfs]
filename=rootfs.img
EOF
  ln "$payload" "$dir/bundle/rootfs.img"
  rauc bundle --cert="$dir/signing.pem" --key="$dir/signing.key" --keyring="$dir/ca.pem" --mksquashfs-args="-noD -noF" \
    "$dir/bundle" "$dir/bundle.raucb" >"$logs/rauc.bundle.log" 2>&1 \
    || die "rauc bundle failed: $(tail -n 3 "$logs/rauc.bundle.log" | tr '\n' ' ')"
  rm "$dir/bundle/rootfs.img"
  rauc_bundle="$dir/bundle.raucb"

  # The private system bus and the RAUC service on it, both stopped on exit (the service first).
  cat >"$dir/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$dir/bus.socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="root"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
EOF
  on_exit umount_below "$dir/mnt"
  dbus-daemon --config-file="$dir/bus.conf" --nofork --nosyslog >"$logs/rauc.dbus.log" 2>&1 &
  on_exit stop_process "$!"
  rauc_bus="unix:path=$dir/bus.socket"
  for _ in $(seq 50); do [ -S "$dir/bus.socket" ] && break; sleep 0.1; done
  [ -S "$dir/bus.socket" ] || die "dbus-daemon did not start: $(tail -n 3 "$logs/rauc.dbus.log" | tr '\n' ' ')"
  DBUS_SYSTEM_BUS_ADDRESS="$rauc_bus" rauc --conf="$dir/system.conf" service --override-boot-slot=A >"$logs/rauc.service.log" 2>&1 &
  rauc_service=$!
  on_exit stop_process "$rauc_service"
  for _ in $(seq 100); do
    kill -0 "$rauc_service" 2>/dev/null || die "rauc service exited: $(tail -n 3 "$logs/rauc.service.log" | tr '\n' ' ')"
    rauc_client status >/dev/null 2>&1 && break
    sleep 0.1
  done
  rauc_client status >"$logs/rauc.status.log" 2>&1 || die "rauc service does not answer: $(tail -n 3 "$logs/rauc.service.log" | tr '\n' ' ')"
}

rauc_round() {
  blkdiscard --force "$rauc_b" 2>/dev/null || die "blkdiscard failed on $rauc_b"
  timed rauc.install rauc_client install "$rauc_bundle"
  check_slot rauc.install "$rauc_b" 0 "$payload"
}

rauc_report() {
  ratio_figure rauc_vs_install_ratio rauc.install loop.install
  figure rauc_install_s rauc.install
}
