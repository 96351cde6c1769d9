"""The host's checks of a system disk as a power cut (or a finished update) left it.

Two views of the same disk, which must agree:
- the raw one, read with other tools: the GPT with sfdisk (and sgdisk -v), the ESP with fsck.fat
  and mtools, the app partition with e2fsck (its journal replayed on a copy, as the next mount
  would) and a read-only loop mount of that copy;
- image-update's own: `--image DISK --offline list` (our GPT reader and FAT-in-image code) for the
  root slots and the ESP, and `--offline list` with a definition pointing at the mounted copy for
  the app tree.
An instance under its final name and of its final type is "final"; it must be byte for byte its
payload, whatever the moment of the cut.
"""

import json
import os
import re
import subprocess

import layout

MTOOLS = {**os.environ, "MTOOLS_SKIP_CHECK": "1"}
UKI_FINAL = re.compile(r"^demo_([0-9]+)(\+[0-9]+(-[0-9]+)?)?\.efi$")
# fsck.fat -n on an ESP the kernel had mounted read-write when the power went: Linux's vfat sets a
# dirty flag at mount (FAT32: bit 0 of byte 65 of the boot sector) and clears it at umount, and it
# keeps it set through later mounts once it found it set (only fsck clears it). fsck.fat reports
# that as a difference between the boot sector and its backup at offset 65. That alone is the mark
# of any unclean shutdown, not damage; every other message is.
FAT_BENIGN = ("There are differences between boot sector and its backup.",
              "This is mostly harmless. Differences: (offset:original/backup)",
              "Not automatically fixing this.", "Leaving filesystem unchanged.",
              "Dirty bit is set. Fs was not properly unmounted and some data may be corrupt.",
              "Automatically removing dirty bit.")


# fsck.fat's report of a file whose directory entry's size is shorter than its cluster chain.
FAT_SHORT_SIZE = re.compile(r"^File size is (\d+) bytes, cluster chain length is > \1 bytes\.$")
FAT_TRUNCATE = re.compile(r"^Truncating file to \d+ bytes\.$")
# fsck.fat's report of clusters marked used in the FAT that no directory entry reaches.
FAT_LEAK = re.compile(r"^Reclaimed (\d+) unused clusters? \((\d+) bytes\)\.$")
IN_FLIGHT = "/.#sysupdate.partial."


def fat_complaints(output):
    """(complaints, dirty, hint, torn, leak): fsck.fat -n's messages other than the dirty flag, a
    stale free-cluster count, a torn in-flight copy and lost clusters; whether the flag was set; the
    stale count's message; the torn in-flight copy's; the bytes of the lost clusters (0: none).
    FAT32's FSInfo
    sector carries that count as a hint (the FAT specification says it may be wrong and must be
    checked against the FAT); vfat writes it with no ordering against the FAT itself, so a cut
    between a file's clusters being freed or taken and the next sync leaves it off by that many
    clusters, and it stays off (the kernel adjusts it, never recounts) until an fsck.
    A file still being written (vfat has no journal) may reach the disk with its directory entry's
    size from one write-back and a longer cluster chain from a later one; fsck.fat truncates it.
    That is accepted only for image-update's in-flight name (.#sysupdate.partial.*, which no tool
    takes for an instance and the next run deletes), never for a pending or final one.
    Removing a file on FAT changes its directory entry and its cluster chain, two writes with no
    atomic way to make both: image-update orders them (Durability.RemoveFileHeld: the entry durable
    while the file is held open, then the chain freed), so a cut between them leaves the chain
    allocated with no name (fsck.fat reclaims it), never a name over freed clusters. The caller
    bounds the lost bytes by the files the update removed."""
    complaints, dirty, hint, torn, leak = [], False, None, None, 0
    lines = [line.strip() for line in output.split("\n")[1:]]
    skip = 0
    for index, text in enumerate(lines):
        if skip:
            skip -= 1
            continue
        if (IN_FLIGHT in text and index + 2 < len(lines) and FAT_SHORT_SIZE.match(lines[index + 1])
                and FAT_TRUNCATE.match(lines[index + 2])):
            torn, skip = f"{text}: {lines[index + 1]}", 2
            continue
        if text.startswith("Free cluster summary wrong ("):
            hint = text
            continue
        if FAT_LEAK.match(text):
            leak += int(FAT_LEAK.match(text).group(2))
            continue
        if text == "Auto-correcting." and hint:
            continue
        differences = re.findall(r"(\d+):([0-9a-f]{2})/([0-9a-f]{2})", text)
        if differences and all(int(o) == 65 and int(a, 16) ^ int(b, 16) == 1 for o, a, b in differences):
            dirty = True
        elif text.startswith("Dirty bit is set"):
            dirty = True
        elif text and text not in FAT_BENIGN and not re.match(r"^\S+: \d+ files, \d+/\d+ clusters$", text):
            complaints.append(text)
    return complaints, dirty, hint, torn, leak

def gpt_torn(verdict):
    """Which GPT copy sgdisk -v finds damaged or different while it reads the other one whole, or
    None. A GPT has two copies and no atomic way to write both: image-update writes the backup
    array and header, fsync, then the primary (GptDisk.WriteUnlocked), so a cut in the first half
    leaves the backup torn and the old primary valid, in the second half the primary torn and the
    new backup valid. Every reader (firmware, the kernel, libfdisk, sgdisk, ours) then uses the
    valid copy, and the next GPT write rewrites both. The caller still checks that our reader
    reads the table and that it shows the same slots as sfdisk's."""
    text = " ".join(verdict.split())
    if "No problems found" in text and "ERROR" not in text:
        return None
    def state(name):
        match = re.search(name + r": (OK|ERROR)", text)
        return match.group(1) if match else None
    main = (state("Main header"), state("Main partition table"))
    backup = (state("Backup header"), state("Backup partition table"))
    allowed = ("Main and backup partition tables differ", "One or more CRCs don't match", "corrupt GPT",
               "CRC for the backup", "CRC for the main", "Identified 1 problems", "Invalid backup GPT header",
               "Invalid main GPT header")
    if main == ("OK", "OK") and "ERROR" in backup:
        torn = "backup"
    elif backup == ("OK", "OK") and "ERROR" in main:
        torn = "primary"
    elif main == ("OK", "OK") and backup == ("OK", "OK") and "Main and backup partition tables differ" in text:
        torn = "stale backup or primary"
    else:
        return None
    # A header sgdisk cannot use at all is rebuilt from the other before it verifies: it then finds
    # "No problems" in the rebuilt table and still names the bad header ERROR.
    verified = "Identified 1 problems" in text or "No problems found" in text
    return torn if any(a in text for a in allowed) and verified else None


def run(argv, **kwargs):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace", **kwargs)


def unmount_all(work):
    mount = os.path.join(work, "appmnt")
    if os.path.ismount(mount):
        run(["umount", mount])


def sfdisk_table(disk):
    """sfdisk's view of DISK's partition table ({} when it reads none) and its warnings. Its
    warnings go to stderr ("The backup GPT table is corrupt, but the primary appears OK, so that
    will be used." after a cut between the two copies) and must not be parsed as JSON."""
    out = subprocess.run(["sfdisk", "--json", disk], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace")
    try:
        table = json.loads(out.stdout or "{}").get("partitiontable", {})
    except json.JSONDecodeError:
        table = {}
    return table, " ".join(out.stderr.split())


class Checker:
    def __init__(self, work, binary):
        self.work = work
        self.binary = binary
        self.image_defs = os.path.join(work, "defs-image")
        self.app_defs = os.path.join(work, "defs-app")
        self.mount = os.path.join(work, "appmnt")
        os.makedirs(self.mount, exist_ok=True)
        here = os.path.dirname(os.path.abspath(__file__))
        os.makedirs(self.image_defs, exist_ok=True)
        os.makedirs(self.app_defs, exist_ok=True)
        for name in ("10-root.transfer", "90-uki.transfer"):
            with open(os.path.join(here, "transfer.d", name)) as f:
                text = f.read()
            with open(os.path.join(self.image_defs, name), "w") as f:
                f.write(text)
        with open(os.path.join(here, "transfer.d", "50-app.transfer")) as f:
            text = f.read().replace("\nPath=/app\n", f"\nPath={self.mount}\n")
        with open(os.path.join(self.app_defs, "50-app.transfer"), "w") as f:
            f.write(text)

    # --- the raw view --------------------------------------------------------------------------

    def inspect(self, disk, app=True):
        """Everything both views say about DISK: {problems, final: {(transfer, version): ok?},
        other: [names that are no final instance], current, listed: {...}}. Without APP: a disk
        image of the image-file cases (an ESP and root slots, no app partition)."""
        has_app = app
        state = {"problems": [], "final": {}, "other": [], "current": None, "fat_dirty": False, "fat_hint": None, "fat_leak": None, "gpt_torn": None}
        problems = state["problems"]

        verify = run(["sgdisk", "-v", disk])
        state["gpt_torn"] = gpt_torn(verify.stdout)
        if "No problems found" not in verify.stdout and state["gpt_torn"] is None:
            problems.append("sgdisk -v: " + " ".join(verify.stdout.split()))
        table, warning = sfdisk_table(disk)
        if not table:
            problems.append(f"sfdisk reads no partition table: {warning}")
        sector = table.get("sectorsize", 512)
        parts = table.get("partitions", [])

        for part in parts:
            if part["type"].upper() == layout.ROOT_TYPE:
                match = re.fullmatch(r"demo_([0-9]+)", part.get("name", ""))
                if match:
                    with open(disk, "rb") as f:
                        f.seek(part["start"] * sector)
                        ok = f.read(layout.ROOT_BYTES) == layout.root_payload(match.group(1))
                    state["final"][("root", match.group(1))] = ok
            elif part.get("name", "") not in ("_empty", "ESP", "app"):
                state["other"].append(f"partition {part['node']} type {part['type']} label {part.get('name', '')}")

        esp = next((p for p in parts if p["type"].upper() == layout.ESP_TYPE), None)
        app = next((p for p in parts if p.get("name") == "app"), None)
        if esp is None or (app is None and has_app):
            problems.append("the GPT has no ESP or no app partition")
            return state
        self._inspect_esp(disk, esp, sector, state)
        if has_app:
            self._inspect_app(disk, app, sector, state)
        return state

    def _extract(self, disk, part, sector, name):
        image = os.path.join(self.work, name)
        if os.path.exists(image):
            os.unlink(image)
        run(["dd", f"if={disk}", f"of={image}", "bs=1M", "iflag=skip_bytes,count_bytes", f"skip={part['start'] * sector}",
             f"count={part['size'] * sector}", "conv=sparse", "status=none"], check=True)
        return image

    def _inspect_esp(self, disk, part, sector, state):
        image = self._extract(disk, part, sector, "esp.img")
        fsck = run(["fsck.fat", "-n", image])
        complaints, state["fat_dirty"], state["fat_hint"], state["fat_torn"], leak = fat_complaints(fsck.stdout)
        if complaints or fsck.returncode not in (0, 1):
            state["problems"].append(f"fsck.fat -n on the ESP ({fsck.returncode}): " + " | ".join(complaints))
        listing = run(["mdir", "-b", "-i", image, "::/EFI/Linux"], env=MTOOLS)
        if listing.returncode != 0:
            state["problems"].append("mdir ::/EFI/Linux: " + listing.stdout.strip())
            return
        for entry in listing.stdout.split("\n"):
            name = entry.strip().removeprefix("::/EFI/Linux/")
            if not name:
                continue
            match = UKI_FINAL.match(name)
            if not match:
                state["other"].append(f"ESP /EFI/Linux/{name}")
                continue
            copy = os.path.join(self.work, "uki.out")
            got = run(["mcopy", "-n", "-o", "-i", image, f"::/EFI/Linux/{name}", copy], env=MTOOLS)
            with open(copy, "rb") as f:
                ok = got.returncode == 0 and f.read() == layout.uki_payload(match.group(1))
            os.unlink(copy)
            key = ("uki", match.group(1))
            if key in state["final"]:
                state["problems"].append(f"two UKIs of version {match.group(1)} on the ESP")
            state["final"][key] = ok
            state.setdefault("uki_names", {})[match.group(1)] = name
        if leak:
            # Lost clusters are accepted only up to the UKIs the update removed from the ESP (the
            # base disk has versions 0 and 1): more would be clusters of a file still wanted.
            removed = [v for v in ("0", "1") if ("uki", v) not in state["final"]]
            if leak > len(removed) * layout.UKI_BYTES:
                state["problems"].append(f"fsck.fat -n on the ESP: {leak} bytes of clusters lost, more than the "
                                         f"{len(removed)} UKI(s) the update removed ({len(removed) * layout.UKI_BYTES} bytes)")
            else:
                state["fat_leak"] = f"{leak} bytes of clusters lost (the UKI of version {', '.join(removed)} removed)"

    def _inspect_app(self, disk, part, sector, state):
        image = self._extract(disk, part, sector, "app.img")
        replay = run(["e2fsck", "-E", "journal_only", "-y", image])
        if replay.returncode not in (0, 1):
            state["problems"].append(f"e2fsck journal replay failed ({replay.returncode}): " + " | ".join(replay.stdout.split("\n")[-4:]))
        fsck = run(["e2fsck", "-f", "-n", image])
        if fsck.returncode != 0:
            state["problems"].append("e2fsck -fn on the app partition (after its journal replay): " + " | ".join(
                line for line in fsck.stdout.split("\n") if line and not line.startswith("Pass ")))
            return
        mounted = run(["mount", "-o", "ro,loop", "-t", "ext4", image, self.mount])
        if mounted.returncode != 0:
            state["problems"].append("cannot mount the app partition's copy: " + mounted.stdout.strip())
            return
        try:
            for name in sorted(os.listdir(self.mount)):
                path = os.path.join(self.mount, name)
                match = re.fullmatch(r"demo_([0-9]+)", name)
                if name == "current":
                    state["current"] = os.readlink(path) if os.path.islink(path) else f"(not a symlink: {name})"
                elif match and os.path.isdir(path) and not os.path.islink(path):
                    state["final"][("app", match.group(1))] = same_tree(path, layout.app_tree(match.group(1)))
                elif name not in ("lost+found", layout.IMAGE_NAME):  # the image-file cases' disk image
                    state["other"].append(f"/app/{name}")
            state["listed_app"] = self._list(["--definitions", self.app_defs])
        finally:
            run(["umount", self.mount])

    # --- image-update's view -------------------------------------------------------------------

    def _list(self, where):
        """{version: [(type, path)] of what `list VERSION` calls installed (not pending, not partial)}
        or a string: the error. stdout is the JSON; warnings on stderr stay out of it."""
        def query(*args):
            out = subprocess.run([self.binary, *where, "--offline", "--json", "short", "list", *args],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace")
            label = " ".join(["image-update list", *args])
            if out.returncode != 0:
                return None, f"{label}: " + " ".join((out.stderr + out.stdout).split())
            try:
                return json.loads(out.stdout), None
            except json.JSONDecodeError:
                return None, f"{label}: not JSON: " + " ".join(out.stdout.split())[:200]
        overview, error = query()
        if error:
            return error
        listed = {}
        for entry in overview.get("all", []):
            version = entry if isinstance(entry, str) else entry.get("version")
            info, error = query(version)
            if error:
                return error
            if info.get("installed"):
                listed[version] = info
        return listed

    # --- verdicts ------------------------------------------------------------------------------

    def _common(self, disk, app=True):
        state = self.inspect(disk, app)
        problems = list(state["problems"])
        listed = self._list(["--image", disk, "--definitions", self.image_defs])
        if isinstance(listed, str):
            problems.append("our GPT/ESP reader disagrees: " + listed)
            listed = {}
        if isinstance(state.get("listed_app"), str):
            problems.append(state["listed_app"])
        for (transfer, version), ok in sorted(state["final"].items()):
            if not ok:
                problems.append(f"{transfer} of version {version} is under its final name with bytes that differ from its payload")
        # Our GPT reader and sfdisk must see the same final root slots (a version list calls pending
        # or partial may have its slot final already: only versions list does not know are compared).
        settled = {v for v, info in listed.items() if not (info.get("partial") or info.get("pending"))}
        listed_roots = {v for v in settled if any(c.get("type") == "partition" for c in listed[v].get("contents", []))}
        raw_roots = {v for (t, v) in state["final"] if t == "root"}
        if listed_roots - raw_roots or {v for v in raw_roots - listed_roots if v not in listed}:
            problems.append(f"our GPT reader sees final root slots of versions {sorted(listed_roots)}, sfdisk {sorted(raw_roots)}")
        # What list calls installed must be exactly the final instances the raw view found intact.
        for version, info in list(listed.items()) + list((state.get("listed_app") or {}).items()):
            if info.get("partial") or info.get("pending"):
                continue
            for content in info.get("contents", []):
                transfer = {"partition": "root", "regular-file": "uki", "directory": "app"}.get(content.get("type"))
                if transfer and state["final"].get((transfer, version)) is not True:
                    problems.append(f"list calls {content.get('path')} ({transfer} {version}) installed, but it is not its payload")
        return state, problems

    def complete(self, state, version, transfers=None):
        return all(state["final"].get((t, version)) is True for t in transfers or layout.TRANSFERS)

    # --- the image-file cases ------------------------------------------------------------------

    def extract_image(self, disk):
        """The disk image /app/disk.img as the cut left it, taken out of a copy of the app
        partition after its journal replay (as the next mount would see it) with debugfs: its
        path, and the problems met on the way (ext4 not clean, no such file)."""
        problems = []
        table, warning = sfdisk_table(disk)
        app = next((p for p in table.get("partitions", []) if p.get("name") == "app"), None)
        if app is None:
            return None, [f"the GPT has no app partition (sfdisk: {warning or 'no warning'})"]
        image = self._extract(disk, app, table.get("sectorsize", 512), "app.img")
        replay = run(["e2fsck", "-E", "journal_only", "-y", image])
        if replay.returncode not in (0, 1):
            problems.append(f"e2fsck journal replay failed ({replay.returncode})")
        fsck = run(["e2fsck", "-f", "-n", image])
        if fsck.returncode != 0:
            problems.append("e2fsck -fn on the app partition (after its journal replay): " + " | ".join(
                line for line in fsck.stdout.split("\n") if line and not line.startswith("Pass ")))
        out = os.path.join(self.work, "image.raw")
        if os.path.exists(out):
            os.unlink(out)
        dump = run(["debugfs", "-R", f"dump /{layout.IMAGE_NAME} {out}", image])
        if not os.path.exists(out) or os.path.getsize(out) != (1 + layout.IMAGE_ESP_MIB + 2 * layout.ROOT_MIB + 1) << 20:
            problems.append(f"/app/{layout.IMAGE_NAME} cannot be read whole: " + dump.stdout.strip())
            return None, problems
        return out, problems

    def after_cut_image(self, disk):
        """after_cut for the image-file cases: the disk image in the app partition holds version 1
        or version 2 complete (root slot and UKI), the UKI of 2 only with its root slot."""
        image, problems = self.extract_image(disk)
        self.last_gpt_torn = self.last_fat_hint = self.last_fat_torn = self.last_fat_leak = None
        if image is None:
            return problems
        state, more = self._common(image, app=False)
        problems += more
        self.last_state = state
        self.last_gpt_torn, self.last_fat_hint, self.last_fat_torn = state["gpt_torn"], state["fat_hint"], state["fat_torn"]
        self.last_fat_leak = state["fat_leak"]
        if state["fat_dirty"]:
            problems.append("the image's ESP has its dirty bit set: mtools never sets it")
        if not (self.complete(state, "1", layout.IMAGE_TRANSFERS) or self.complete(state, "2", layout.IMAGE_TRANSFERS)):
            problems.append("neither version 1 nor version 2 is complete in the image: " + describe(state))
        if ("uki", "2") in state["final"] and not self.complete(state, "2", layout.IMAGE_TRANSFERS):
            problems.append("version 2's boot entry exists in the image, but version 2 is not complete: " + describe(state))
        return problems

    def final_state_image(self, disk, version, after_cut=False):
        """final_state for the image-file cases, of the disk image in the app partition."""
        image, problems = self.extract_image(disk)
        if image is None:
            return problems
        return problems + self.final_state(image, version, after_cut, app=False)

    def after_cut(self, disk):
        """The problems a cut left, and the GPT copy it left torn (None when both are whole)."""
        state, problems = self._common(disk)
        self.last_state = state
        self.last_gpt_torn = state["gpt_torn"]
        self.last_fat_hint = state["fat_hint"]
        self.last_fat_torn = state["fat_torn"]
        self.last_fat_leak = state["fat_leak"]
        if not (self.complete(state, "1") or self.complete(state, "2")):
            problems.append("neither version 1 nor version 2 is complete: " + describe(state))
        if ("uki", "2") in state["final"]:
            # The boot entry of version 2: only once all of version 2 is in place.
            if not self.complete(state, "2"):
                problems.append("version 2's boot entry exists, but version 2 is not complete: " + describe(state))
            elif state["current"] != "demo_2":
                problems.append(f"version 2's boot entry exists, but current points to {state['current']}")
        if state["current"] is None:
            problems.append("/app/current is missing")
        elif not state["current"].startswith("demo_") or state["final"].get(("app", state["current"][5:])) is not True:
            problems.append(f"/app/current points to {state['current']}, which is not a complete app tree")
        return problems

    def after_fault(self, disk):
        """After an update that a disk fault stopped (run-faults): what a cut may leave, and more:
        version 1 complete with its boot entry, nothing of version 2 final, current -> demo_1."""
        problems = self.after_cut(disk)
        state = self.last_state
        if not self.complete(state, "1"):
            problems.append("version 1 is not complete: " + describe(state))
        final2 = sorted(t for (t, v) in state["final"] if v == "2")
        if final2:
            problems.append(f"version 2's {', '.join(final2)} under a final name after a failed update: " + describe(state))
        if state["current"] != "demo_1":
            problems.append(f"/app/current points to {state['current']}, not demo_1")
        return problems

    def final_state(self, disk, version, after_cut=False, app=True):
        """After an update to VERSION ran to its end: VERSION and the one before complete, nothing
        else left, both GPT copies whole. Without a cut before, the ESP must have been unmounted
        cleanly too. Without APP: a disk image of the image-file cases."""
        state, problems = self._common(disk, app)
        transfers = layout.TRANSFERS if app else layout.IMAGE_TRANSFERS
        if state["gpt_torn"]:
            problems.append(f"the GPT's {state['gpt_torn']} copy is still damaged after the update completed")
        if state["fat_torn"]:
            problems.append("fsck.fat -n on the ESP: an in-flight copy is still there, torn: " + state["fat_torn"])
        if state["fat_hint"] and not after_cut:
            problems.append("fsck.fat -n on the ESP: " + state["fat_hint"])
        if state["fat_leak"] and not after_cut:
            problems.append("fsck.fat -n on the ESP: " + state["fat_leak"])
        if state["fat_dirty"] and not after_cut:
            problems.append("the ESP's dirty bit is still set after a clean shutdown")
        expected = {version, str(int(version) - 1)}
        for v in sorted(expected):
            if not self.complete(state, v, transfers):
                problems.append(f"version {v} is not complete: " + describe(state))
        extra = sorted({v for (_, v) in state["final"]} - expected)
        if extra:
            problems.append(f"versions {', '.join(extra)} are still installed: " + describe(state))
        if state["other"]:
            problems.append("leftovers: " + ", ".join(state["other"]))
        if app and state["current"] != f"demo_{version}":
            problems.append(f"/app/current points to {state['current']}, not demo_{version}")
        uki = state.get("uki_names", {}).get(version)
        if uki != f"demo_{version}+3-0.efi":
            problems.append(f"version {version}'s UKI is {uki}, not demo_{version}+3-0.efi (a fresh boot counter)")
        return problems


def describe(state):
    parts = [f"{t} {v} {'ok' if ok else 'DIFFERS'}" for (t, v), ok in sorted(state["final"].items())]
    if state["other"]:
        parts.append("other: " + ", ".join(state["other"]))
    return "; ".join(parts) + f"; current → {state['current']}"


def same_tree(path, tree):
    """Whether the directory PATH holds exactly TREE (layout.app_tree): names, kinds, bytes, link targets."""
    found = set()
    for directory, subdirectories, files in os.walk(path):
        for name in subdirectories + files:
            full = os.path.join(directory, name)
            relative = os.path.relpath(full, path)
            found.add(relative)
            want = tree.get(relative, "missing")
            if want == "missing":
                return False
            if os.path.islink(full):
                if not (isinstance(want, tuple) and os.readlink(full) == want[1]):
                    return False
            elif os.path.isdir(full):
                if want is not None:
                    return False
            else:
                if not isinstance(want, bytes):
                    return False
                with open(full, "rb") as f:
                    if f.read() != want:
                        return False
    return found == set(tree)

