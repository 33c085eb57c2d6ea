"""Kernel build trees made from a Debian kernel .deb, for the tests of
`lab/build-image.sh --build DIR` and `--kernel FILE`: the same layout `make` and
`make modules` leave behind (arch/x86/boot/bzImage, vmlinux, .config, the modules' .ko files,
modules.builtin, modules.order, include/config/kernel.release), with chosen options taken
out of the .config to show the configuration check."""
import lzma
import os
import pathlib
import shutil
import subprocess


def cached_lab_deb(root):
    """The .deb of the default lab image's kernel: builds (or finds) that image with
    lab/build-image.sh and reads its manifest's kernel_package line; the .deb stays in the
    cache's debs/ folder. Returns (deb path, image folder)."""
    done = subprocess.run([str(root / "lab" / "build-image.sh")], capture_output=True, text=True,
                          timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    image = pathlib.Path(done.stdout.strip().splitlines()[-1])
    manifest = manifest_of(image)
    name, version = manifest["kernel_package"].split()
    cache = pathlib.Path(os.environ.get("DAXBENCH_LAB_CACHE") or image.parent)
    deb = cache / "debs" / f"{name}_{version.replace(':', '%3a')}_amd64.deb"
    assert deb.is_file(), f"{deb} is missing though {image} was built from it"
    return deb, image


def manifest_of(image):
    """manifest.txt's `key: value` lines as a dict."""
    lines = (pathlib.Path(image) / "manifest.txt").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if ": " in line)


def write_config(source, dest, drop=()):
    """Copies a .config, with each option of `drop` (names without CONFIG_) turned into
    `# CONFIG_X is not set`, as menuconfig writes a disabled option."""
    dropped = {f"CONFIG_{name}" for name in drop}
    out = []
    for line in pathlib.Path(source).read_text().splitlines():
        name = line.split("=", 1)[0]
        out.append(f"# {name} is not set" if name in dropped and "=" in line else line)
    missing = dropped - {line.split("=", 1)[0] for line in pathlib.Path(source).read_text().splitlines()}
    assert not missing, f"{source} does not set {sorted(missing)}"
    pathlib.Path(dest).write_text("\n".join(out) + "\n")


def extract_vmlinux(bzimage, dest):
    """The uncompressed ELF inside a Debian bzImage (xz, as Debian compresses it)."""
    data = pathlib.Path(bzimage).read_bytes()
    at = data.find(b"\xfd7zXZ\x00")
    while at >= 0:
        try:
            elf = lzma.LZMADecompressor().decompress(data[at:])
            if elf[:4] == b"\x7fELF":
                pathlib.Path(dest).write_bytes(elf)
                return
        except lzma.LZMAError:
            pass
        at = data.find(b"\xfd7zXZ\x00", at + 1)
    raise AssertionError(f"no xz-compressed ELF in {bzimage}")


def make_build_tree(deb_path, dest, drop=(), vmlinux=False):
    """Lays out the kernel of a Debian linux-image .deb at `dest` as a build tree: the
    bzImage at arch/x86/boot/, `vmlinux` (uncompressed, when asked) at the top, the .config
    without the options in `drop`, the modules at their kernel/... paths with
    modules.builtin and modules.order, and include/config/kernel.release. Returns
    (dest, release)."""
    dest = pathlib.Path(dest)
    unpacked = dest / ".deb"
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run(["dpkg", "-x", str(deb_path), str(unpacked)], check=True)
    releases = os.listdir(unpacked / "lib" / "modules")
    assert len(releases) == 1, releases
    release = releases[0]
    modules = unpacked / "lib" / "modules" / release
    (dest / "arch" / "x86" / "boot").mkdir(parents=True)
    os.rename(unpacked / "boot" / f"vmlinuz-{release}", dest / "arch" / "x86" / "boot" / "bzImage")
    if vmlinux:
        extract_vmlinux(dest / "arch" / "x86" / "boot" / "bzImage", dest / "vmlinux")
    write_config(unpacked / "boot" / f"config-{release}", dest / ".config", drop)
    # Renamed, not copied: the same filesystem, and 350 MB of modules.
    os.rename(modules / "kernel", dest / "kernel")
    for name in ("modules.builtin", "modules.order"):
        os.rename(modules / name, dest / name)
    (dest / "include" / "config").mkdir(parents=True)
    (dest / "include" / "config" / "kernel.release").write_text(release + "\n")
    shutil.rmtree(unpacked)
    return dest, release


def clone_tree(tree, dest, drop=()):
    """A copy of a tree made by make_build_tree, hard-linked (cheap) but for its .config,
    which loses the options in `drop`."""
    subprocess.run(["cp", "-al", str(tree), str(dest)], check=True)
    config = pathlib.Path(dest) / ".config"
    source = pathlib.Path(tree) / ".config"
    config.unlink()
    write_config(source, config, drop)
    return pathlib.Path(dest)
