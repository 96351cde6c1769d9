"""The power-cut test's disks and payloads: what the guest's transfer.d expects, built on the host.

The system disk (GPT): 1 ESP (vfat, 64 MiB, label ESP), 2 and 3 root slots (type root-x86-64,
16 MiB, `_empty` until the guest installs into them), 4 app (ext4, 112 MiB, label app).
The image-file cases' disk image (`image_file`), stored as /app/disk.img: 1 ESP (FAT16, 24 MiB),
2 and 3 root slots (16 MiB), which image-update changes with --image (our GPT and FAT writers).
Payloads of versions 0, 1 and 2 (deterministic bytes, so a replay writes the same data):
demo_V.root.raw (12 MiB), demo_V.efi (6 MiB) and demo_V.app.tar (a tree of about 2 MiB in 60
files, with subdirectories and a symlink), and SHA256SUMS, in payloads/ of an ext4 file system
image that the guest mounts read-only at /ro (tools/ beside it holds image-update).
"""

import hashlib
import io
import os
import random
import subprocess
import tarfile

VERSIONS = ["0", "1", "2"]
TRANSFERS = ["root", "app", "uki"]
ROOT_BYTES = 12 << 20
UKI_BYTES = 6 << 20
MIB = 1 << 20
ESP_MIB, ROOT_MIB, APP_MIB = 64, 16, 112
IMAGE_ESP_MIB = 24
IMAGE_NAME = "disk.img"
IMAGE_TRANSFERS = ["root", "uki"]
ROOT_TYPE = "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709"
ESP_TYPE = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
EPOCH = 1704067200


def data(version, what, size):
    return random.Random(f"powercut {version} {what}").randbytes(size)


def root_payload(version):
    return data(version, "root", ROOT_BYTES)


def uki_payload(version):
    return data(version, "uki", UKI_BYTES)


def app_tree(version):
    """The application tree of a version: {relative path: bytes, or ('symlink', target), or None for a directory}."""
    tree = {"bin": None, "lib": None, "share": None, "share/data": None, "etc": None}
    tree["bin/app"] = data(version, "bin/app", 300 << 10)
    tree["lib/libapp.so.1"] = data(version, "lib", 1 << 20)
    tree["lib/libapp.so"] = ("symlink", "libapp.so.1")
    tree["etc/app.conf"] = f"version={version}\n".encode()
    rng = random.Random(f"powercut {version} sizes")
    for index in range(56):
        tree[f"share/data/{index:02d}.dat"] = data(version, f"data {index}", rng.randrange(1, 24 << 10))
    return tree


def app_tar(version):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for path, content in sorted(app_tree(version).items()):
            info = tarfile.TarInfo("./" + path)
            info.mtime, info.uid, info.gid, info.uname, info.gname = EPOCH, 0, 0, "root", "root"
            if content is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            elif isinstance(content, tuple):
                info.type, info.linkname, info.mode = tarfile.SYMTYPE, content[1], 0o777
                tar.addfile(info)
            else:
                info.size, info.mode = len(content), 0o644
                tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def payload_name(transfer, version):
    return {"root": f"demo_{version}.root.raw", "app": f"demo_{version}.app.tar", "uki": f"demo_{version}.efi"}[transfer]


def write_payloads(directory):
    os.makedirs(directory, exist_ok=True)
    sums = []
    for version in VERSIONS:
        for transfer, content in (("root", root_payload(version)), ("app", app_tar(version)), ("uki", uki_payload(version))):
            name = payload_name(transfer, version)
            with open(os.path.join(directory, name), "wb") as f:
                f.write(content)
            sums.append(f"{hashlib.sha256(content).hexdigest()}  {name}\n")
    with open(os.path.join(directory, "SHA256SUMS"), "w") as f:
        f.writelines(sums)


def read_only_disk(tree, image):
    """An ext4 image of TREE (payloads/ and tools/), which the guest mounts read-only at /ro."""
    size = 0
    for directory, _, files in os.walk(tree):
        size += sum(os.path.getsize(os.path.join(directory, n)) for n in files)
    with open(image, "wb") as f:
        f.truncate(0)
        f.truncate(size + (16 << 20))
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext4", "-L", "ro", "-d", tree, image],
                   check=True, env={**os.environ, "E2FSPROGS_FAKE_TIME": str(EPOCH)})


def blank_disk(path, work):
    """The GPT and empty file systems; the guest installs versions into them."""
    total = 1 + ESP_MIB + 2 * ROOT_MIB + APP_MIB + 1
    if os.path.exists(path):
        os.unlink(path)
    subprocess.run(["truncate", "-s", f"{total}M", path], check=True)
    subprocess.run(["sgdisk", "-o",
                    "-n", f"1:1M:+{ESP_MIB}M", "-t", "1:EF00", "-c", "1:ESP",
                    "-n", f"2:0:+{ROOT_MIB}M", "-t", "2:8304", "-c", "2:_empty",
                    "-n", f"3:0:+{ROOT_MIB}M", "-t", "3:8304", "-c", "3:_empty",
                    "-n", f"4:0:+{APP_MIB}M", "-t", "4:8300", "-c", "4:app", path],
                   check=True, stdout=subprocess.DEVNULL)
    esp = os.path.join(work, "esp.img")
    app = os.path.join(work, "app.img")
    for f in (esp, app):
        if os.path.exists(f):
            os.unlink(f)
    with open(app, "wb") as f:
        f.truncate(APP_MIB * MIB)
    subprocess.run(["mkfs.fat", "-F", "32", "-n", "ESP", "-C", esp, str(ESP_MIB * 1024)], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["mmd", "-i", esp, "::/EFI", "::/EFI/Linux"], check=True, env={**os.environ, "MTOOLS_SKIP_CHECK": "1"})
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext4", "-L", "app", app], check=True)
    for image, offset in ((esp, 1), (app, 1 + ESP_MIB + 2 * ROOT_MIB)):
        subprocess.run(["dd", f"if={image}", f"of={path}", "bs=1M", f"seek={offset}", "conv=notrunc,sparse", "status=none"], check=True)
        os.unlink(image)


def image_file(path, work):
    """The image-file cases' disk image: a GPT with an ESP (FAT16, made by mkfs.fat) and two free
    root slots, as `image-update --image` finds them (Path=auto, PathRelativeTo=boot)."""
    total = 1 + IMAGE_ESP_MIB + 2 * ROOT_MIB + 1
    if os.path.exists(path):
        os.unlink(path)
    subprocess.run(["truncate", "-s", f"{total}M", path], check=True)
    subprocess.run(["sgdisk", "-o",
                    "-n", f"1:1M:+{IMAGE_ESP_MIB}M", "-t", "1:EF00", "-c", "1:ESP",
                    "-n", f"2:0:+{ROOT_MIB}M", "-t", "2:8304", "-c", "2:_empty",
                    "-n", f"3:0:+{ROOT_MIB}M", "-t", "3:8304", "-c", "3:_empty", path],
                   check=True, stdout=subprocess.DEVNULL)
    esp = os.path.join(work, "image-esp.img")
    if os.path.exists(esp):
        os.unlink(esp)
    subprocess.run(["mkfs.fat", "-n", "ESP", "-C", esp, str(IMAGE_ESP_MIB * 1024)], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["mmd", "-i", esp, "::/EFI", "::/EFI/Linux"], check=True, env={**os.environ, "MTOOLS_SKIP_CHECK": "1"})
    subprocess.run(["dd", f"if={esp}", f"of={path}", "bs=1M", "seek=1", "conv=notrunc", "status=none"], check=True)
    os.unlink(esp)
