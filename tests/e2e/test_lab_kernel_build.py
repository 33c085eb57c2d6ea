"""lab/build-image.sh of a kernel the user names (--package, --build DIR, --kernel FILE):
the image and its manifest say what it was built from, the cache key follows the kernel,
its config and modules, and a kernel without what the lab needs is refused with exit status 3
naming every missing option, before anything is built. The trees are Debian's kernel laid
out as a build tree (kernel_tree.py). Skipped only with DAXBENCH_TEST_NO_LAB=1 (lab_gate.py)."""
import hashlib
import os
import pathlib
import re
import subprocess
import time

import pytest

from kernel_tree import cached_lab_deb, clone_tree, make_build_tree, manifest_of
from lab_gate import require_lab


@pytest.fixture(autouse=True)
def _lab_required():
    require_lab()


def build_image(root, *args, cache=None, cwd=None):
    """Runs lab/build-image.sh; returns (completed process, seconds). `cache`: a
    DAXBENCH_LAB_CACHE of its own (the build-tree forms need no .debs from it)."""
    env = dict(os.environ)
    if cache is not None:
        env["DAXBENCH_LAB_CACHE"] = str(cache)
    start = time.monotonic()
    done = subprocess.run([str(root / "lab" / "build-image.sh"), *map(str, args)], capture_output=True,
                          text=True, timeout=1200, env=env, cwd=cwd)
    return done, time.monotonic() - start


def folder_of(done):
    assert done.returncode == 0, done.stderr[-3000:]
    return pathlib.Path(done.stdout.strip().splitlines()[-1])


def sha256(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def default_image(root):
    require_lab()
    return cached_lab_deb(root)  # (deb, image folder)


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("kernels")


@pytest.fixture(scope="module")
def tree(default_image, work):
    return make_build_tree(default_image[0], work / "tree")  # (tree, release)


@pytest.fixture(scope="module")
def built(root, tree, work):
    done, seconds = build_image(root, "--build", tree[0], cache=work / "cache")
    print(f"image from a build tree: {seconds:.1f} s")
    return folder_of(done), done


def images(cache):
    return sorted(pathlib.Path(cache).glob("image-*"))


def test_the_default_image_says_it_came_from_its_package(default_image):
    deb, image = default_image
    manifest = manifest_of(image)
    name, version = manifest["kernel_package"].split()
    assert manifest["kernel_source"] == f"package {name} {version}"
    assert re.fullmatch(r"[0-9a-f]{64}", manifest["kernel_sha256"])
    release = manifest["kernel_release"]
    assert manifest["config_sha256"] == sha256(image / f"config-{release}")
    assert manifest["config_source"] == f"{deb}:/boot/config-{release}"


def test_a_build_tree_becomes_an_image_whose_manifest_names_it(built, tree, work, default_image):
    image, _ = built
    tree_dir, release = tree
    assert image.parent == work / "cache" and (image / "complete").is_file()
    manifest = manifest_of(image)
    assert manifest["kernel_source"] == f"build {tree_dir}"
    # No vmlinux in the tree: the bzImage is the kernel as given (its payload is booted).
    assert manifest["kernel_sha256"] == sha256(tree_dir / "arch" / "x86" / "boot" / "bzImage")
    assert manifest["config_sha256"] == sha256(tree_dir / ".config")
    assert manifest["config_source"] == str(tree_dir / ".config")
    assert manifest["kernel_release"] == release
    assert (image / f"config-{release}").read_bytes() == (tree_dir / ".config").read_bytes()
    assert manifest["kernel_file"].startswith("vmlinux (uncompressed vmlinux, PVH entry)")
    assert "kernel_package" not in manifest
    # The same kernel as the default image: the same modules go into the initramfs.
    assert manifest["modules"] == manifest_of(default_image[1])["modules"]
    assert manifest["kinds"] == "ext4 xfs devdax virtio-ext4 virtio-xfs"


def test_the_same_tree_again_is_a_cache_hit_even_named_relatively(root, built, tree, work):
    image, _ = built
    done, seconds = build_image(root, "--build", "tree", cache=work / "cache", cwd=work)
    assert folder_of(done) == image
    assert f"cached: {image}" in done.stderr
    # Its time is reported, not asserted (these machines are noisy): ≈0.1 s here.
    print(f"cache hit of a build tree: {seconds:.2f} s")


def test_compressed_modules_are_found_and_stored_plain(root, built, tree, work, default_image):
    # As `make modules_install` leaves them with CONFIG_MODULE_COMPRESS_XZ (Debian's 6.12
    # packages ship .ko.xz): the image must hold the same modules, as plain .ko (busybox
    # modprobe loads no compressed module).
    tree_dir, release = tree
    clone = clone_tree(tree_dir, work / "tree-xz")
    wanted = set(manifest_of(default_image[1])["modules"].split())
    compressed = 0
    for module in clone.rglob("*.ko"):
        if module.stem.replace("-", "_") in wanted:
            # -f: a hard-linked clone; xz unlinks this name only.
            subprocess.run(["xz", "-f", "-0", "-T1", str(module)], check=True)
            compressed += 1
    assert compressed == len(wanted), (compressed, sorted(wanted))
    image = folder_of(build_image(root, "--build", clone, cache=work / "cache")[0])
    assert image != built[0]  # other module files, another image
    assert manifest_of(image)["modules"] == manifest_of(default_image[1])["modules"]
    listing = subprocess.run(["busybox", "cpio", "-t"], stdin=(image / "initramfs.cpio").open("rb"),
                             capture_output=True, text=True, check=True).stdout.split()
    stored = [name for name in listing if ".ko" in name]
    assert len(stored) == len(wanted) and all(name.endswith(".ko") for name in stored), stored


@pytest.mark.parametrize("drop, remove, named", [
    (("FS_DAX",), (), ["CONFIG_FS_DAX (ext4 -o dax"]),
    (("FS_DAX", "DEV_DAX_PMEM"), (), ["CONFIG_FS_DAX (", "CONFIG_DEV_DAX_PMEM ("]),
    ((), ("kernel/fs/xfs/xfs.ko",), ["CONFIG_XFS_FS (=m, but no xfs.ko"]),
], ids=["fs-dax", "two-options", "module-missing"])
def test_a_tree_without_what_the_lab_needs_is_refused_naming_each_missing_piece(
        root, built, tree, work, drop, remove, named):
    clone = clone_tree(tree[0], work / ("lacks-" + "-".join(drop + remove).replace("/", "_")), drop)
    for name in remove:
        (clone / name).unlink()
    before = images(work / "cache")
    done, _ = build_image(root, "--build", clone, cache=work / "cache")
    assert done.returncode == 3, done.stderr[-3000:]
    assert done.stdout == ""
    errors = [line for line in done.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, done.stderr
    assert errors[0].startswith(f"build-image: error: kernel {clone} cannot run the lab: missing ")
    for text in named:
        assert text in errors[0], errors[0]
    assert errors[0].count("CONFIG_") == len(named), errors[0]
    assert images(work / "cache") == before and "building" not in done.stderr


def test_kernel_files_with_their_modules_and_config_build_the_same_release(root, built, tree, work):
    tree_dir, release = tree
    done, _ = build_image(root, "--kernel", "tree/arch/x86/boot/bzImage", "--modules", "tree",
                          "--config", "tree/.config", cache=work / "cache", cwd=work)
    image = folder_of(done)
    manifest = manifest_of(image)
    assert manifest["kernel_source"] == f"files {tree_dir / 'arch' / 'x86' / 'boot' / 'bzImage'}"
    assert manifest["kernel_release"] == release
    assert manifest["kernel_sha256"] == manifest_of(built[0])["kernel_sha256"]
    assert manifest["config_source"] == str(tree_dir / ".config")
    assert manifest["modules"] == manifest_of(built[0])["modules"]
    # --modules as an INSTALL_MOD_PATH root: the same modules, so the same image.
    (work / "installed" / "lib" / "modules").mkdir(parents=True)
    (work / "installed" / "lib" / "modules" / release).symlink_to(tree_dir)
    done, _ = build_image(root, "--kernel", tree_dir / "arch" / "x86" / "boot" / "bzImage",
                          "--modules", work / "installed", "--config", tree_dir / ".config",
                          cache=work / "cache")
    assert folder_of(done) == image and "cached:" in done.stderr


@pytest.mark.parametrize("args, why", [
    (["--kernel", "tree/arch/x86/boot/bzImage"], "pass --config FILE, or build it with CONFIG_IKCONFIG=y"),
    (["--kernel", "no-such-bzImage"], "kernel file no-such-bzImage does not exist"),
    (["--build", "no-such-tree"], "kernel build tree no-such-tree does not exist"),
    (["--kernel", "tree/arch/x86/boot/bzImage", "--modules", "tree", "--config", "none"],
     "config file none does not exist"),
    (["--kernel", "tree/arch/x86/boot/bzImage", "--config", "tree/.config"],
     "CONFIG_EXT4_FS (=m, but no ext4.ko"),  # Debian's modules are modules: none given
], ids=["no-config", "no-kernel", "no-tree", "no-config-file", "no-modules"])
def test_what_cannot_be_used_is_refused_with_status_3(root, built, work, args, why):
    done, _ = build_image(root, *args, cache=work / "cache", cwd=work)
    assert done.returncode == 3, done.stderr[-3000:]
    errors = [line for line in done.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and why in errors[0], done.stderr


def test_a_changed_module_or_config_is_another_image(root, built, tree, work):
    image, _ = built
    tree_dir, _ = tree
    module = tree_dir / "kernel" / "fs" / "xfs" / "xfs.ko"
    config = tree_dir / ".config"
    stat, text = module.stat(), config.read_text()
    try:
        os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
        touched = folder_of(build_image(root, "--build", tree_dir, cache=work / "cache")[0])
        assert touched != image
        os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        assert folder_of(build_image(root, "--build", tree_dir, cache=work / "cache")[0]) == image
        config.write_text(text + "# a comment changes the config's hash\n")
        changed = folder_of(build_image(root, "--build", tree_dir, cache=work / "cache")[0])
        assert changed not in (image, touched)
        assert manifest_of(changed)["config_sha256"] == sha256(config)
    finally:
        os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        config.write_text(text)


def test_a_metapackage_is_resolved_to_its_kernel_and_checked_per_kind(root):
    """linux-image-rt-amd64 names no kernel itself: its Depends does. Downloads ≈70 MB once
    into the real cache, where the lab's boot tests find it again. Debian's rt kernel has no
    device DAX (DEV_DAX needs TRANSPARENT_HUGEPAGE, which PREEMPT_RT turns off): refused for
    all kinds, built for the others."""
    done, _ = build_image(root, "--package", "linux-image-rt-amd64")
    assert done.returncode == 3, done.stderr[-3000:]
    resolved = re.search(r"linux-image-rt-amd64 is (linux-image-6\.1\.0-\d+-rt-amd64) (\S+)\n", done.stderr)
    assert resolved, done.stderr
    name, version = resolved.groups()
    assert (f"error: kernel {name} {version} cannot run the lab: missing CONFIG_DEV_DAX (" in done.stderr
            and "CONFIG_DEV_DAX_PMEM (" in done.stderr), done.stderr
    assert "it can run the kinds ext4 xfs virtio-ext4 virtio-xfs" in done.stderr
    done, _ = build_image(root, "--package", "linux-image-rt-amd64", "--kinds", "ext4,virtio-xfs")
    image = folder_of(done)
    manifest = manifest_of(image)
    assert manifest["kernel_source"] == f"package {name} {version}"
    assert manifest["kernel_package"] == f"{name} {version}"
    assert manifest["kernel_release"] == name.removeprefix("linux-image-")
    assert manifest["kinds"] == "ext4 xfs virtio-ext4 virtio-xfs"
    assert manifest["missing_for_devdax"].startswith("CONFIG_DEV_DAX (")
    assert "device_dax" not in manifest["modules"].split()
    # The image is there now; asking it for devdax is still refused (and fast).
    done, seconds = build_image(root, "--package", "linux-image-rt-amd64", "--kinds", "devdax")
    assert done.returncode == 3 and "missing CONFIG_DEV_DAX (" in done.stderr, done.stderr
    assert seconds < 5


def test_kinds_limit_the_check_to_what_they_need(root, built, tree, work):
    clone = clone_tree(tree[0], work / "no-xfs", ("XFS_FS",))
    done, _ = build_image(root, "--build", clone, "--kinds", "ext4,devdax", cache=work / "cache")
    manifest = manifest_of(folder_of(done))
    assert manifest["kinds"] == "ext4 devdax virtio-ext4"
    assert manifest["missing_for_xfs"] == manifest["missing_for_virtio-xfs"] == "CONFIG_XFS_FS (the filesystem)"
    assert "xfs" not in manifest["modules"].split()
    for kinds in ("xfs", "ext4,virtio-xfs"):  # a cache hit now, still refused
        done, _ = build_image(root, "--build", clone, "--kinds", kinds, cache=work / "cache")
        assert done.returncode == 3, done.stderr
        assert done.stderr.count("CONFIG_XFS_FS (the filesystem)") == 1, done.stderr
    done, _ = build_image(root, "--build", clone, "--kinds", "bogus", cache=work / "cache")
    assert done.returncode == 2 and "unknown kind 'bogus'" in done.stderr


def test_a_bogus_package_is_refused_with_status_3(root):
    done, _ = build_image(root, "--package", "linux-image-0.0.0-0-bogus")
    assert done.returncode == 3, done.stderr[-3000:]
    assert "cannot resolve the kernel package linux-image-0.0.0-0-bogus" in done.stderr
