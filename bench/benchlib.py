"""Pieces every benchmark needs: sizes from flags, a test file, and memory sampling from /proc."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import threading

MIB = 1 << 20


def parse_size(text: str) -> int:
    """'256M', '1G', '2GiB', '1048576' -> bytes."""
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper().removesuffix("IB").removesuffix("B")
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def write_test_file(path: str, size: int) -> str:
    """Data that does not compress (a random MiB with a counter); returns its base64 MD5."""
    digest = hashlib.md5()
    block = os.urandom(MIB)
    with open(path, "wb") as out:
        written, n = 0, 0
        while written < size:
            piece = (n.to_bytes(8, "big") + block[8:])[: size - written]
            out.write(piece)
            digest.update(piece)
            written += len(piece)
            n += 1
    return base64.b64encode(digest.digest()).decode()


def rss_kib(pid: int, *, with_children: bool = False) -> int:
    """VmRSS of a process (and, if asked, all its descendants) in KiB; 0 once it is gone."""
    total = 0
    try:
        with open(f"/proc/{pid}/status") as fh:
            match = re.search(r"^VmRSS:\s+(\d+)", fh.read(), re.M)
            total += int(match.group(1)) if match else 0
        if with_children:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as fh:
                    total += sum(rss_kib(int(child), with_children=True) for child in fh.read().split())
    except (FileNotFoundError, ProcessLookupError):
        pass
    return total


class RssSampler(threading.Thread):
    """Samples a process tree's RSS in the background; `baseline` and `peak` are in KiB."""

    def __init__(self, pid: int, *, interval: float = 0.02, with_children: bool = False):
        super().__init__(daemon=True)
        self.pid, self.interval, self.with_children = pid, interval, with_children
        self.baseline = self.peak = rss_kib(pid, with_children=with_children)
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            self.peak = max(self.peak, rss_kib(self.pid, with_children=self.with_children))
            self.stopped.wait(self.interval)

    def stop(self) -> None:
        self.stopped.set()
        self.join()
