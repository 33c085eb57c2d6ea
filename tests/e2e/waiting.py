"""Waiting for what a test can observe, not for a time: these machines are loaded, so a
sleep that is long enough here is too short there. Each wait has a generous deadline and
fails saying what did not happen."""
import os
import pathlib
import time

import pytest

# Nothing waits this long when it works; a loaded 2-core machine may need seconds.
DEADLINE_S = 60


def wait_for(what, ready, deadline_s=DEADLINE_S, poll_s=0.02):
    """Polls `ready()` until it returns True; any other value says what is still missing.
    Fails naming `what` and the last answer when the deadline passes first."""
    end = time.monotonic() + deadline_s
    while True:
        answer = ready()
        if answer is True:
            return
        if time.monotonic() > end:
            pytest.fail(f"{what}: not after {deadline_s} s ({answer})")
        time.sleep(poll_s)


def _links(fd_dir):
    """Where each open file descriptor in /proc/PID/fd points; one that closes meanwhile (the
    listing's own, for this process) is left out."""
    links = set()
    for fd in fd_dir.iterdir():
        try:
            links.add(os.readlink(fd))
        except FileNotFoundError:
            continue
    return links


def users_of(paths, exclude=()):
    """Live processes (but `exclude`) that have any of `paths` open or mapped:
    {pid: command line}."""
    wanted = {os.path.realpath(p) for p in paths}
    found = {}
    for proc in pathlib.Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) in exclude:
            continue
        try:
            opened = _links(proc / "fd")
            mapped = {line.split(maxsplit=5)[5] for line in (proc / "maps").read_text().splitlines()
                      if len(line.split(maxsplit=5)) == 6}
            if wanted & (opened | mapped):
                found[int(proc.name)] = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue  # it ended while we looked, or is not ours to see
    return found
