"""py-spy sampling of this very process while a measured run goes on, and where
its samples went: the share of samples under each function (inclusive), among
the samples taken inside a given function."""

import contextlib
import os
import re
import signal
import subprocess
import time
from collections import Counter

FRAME = re.compile(r"(?P<function>.*?) \((?P<file>[^:()]*):\d+\)$")


@contextlib.contextmanager
def profiled(path, rate=200):
    """py-spy's raw (collapsed) samples of this process to ``path`` while
    inside; nothing when ``path`` is empty."""
    if not path:
        yield
        return
    spy = subprocess.Popen(
        [
            "py-spy",
            "record",
            "--pid",
            str(os.getpid()),
            "--format",
            "raw",
            "--rate",
            str(rate),
            "--output",
            str(path),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)  # py-spy attaches
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        spy.wait(60)


def inclusive_shares(path, inside, top=30):
    """``(samples inside, [(share, "function file"), ...])``: the functions most
    often on the stack of the samples that have ``inside`` on theirs."""
    counts, total = Counter(), 0
    with open(path, encoding="utf-8") as samples:
        for line in samples:
            stack, _space, number = line.rstrip().rpartition(" ")
            frames = stack.split(";")
            if not number.isdigit() or not any(inside in f for f in frames):
                continue
            total += int(number)
            names = set()
            for frame in frames:
                match = FRAME.match(frame)
                names.add(
                    f"{match['function']} {os.path.basename(match['file'])}"
                    if match
                    else frame
                )
            for name in names:
                counts[name] += int(number)
    return total, [
        (round(count / total, 3), name) for name, count in counts.most_common(top)
    ]
