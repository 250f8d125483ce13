"""Shared by the Python tests: where sbgw and the examples are, and how dumps are compared."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EXAMPLES_DIR = os.path.join(ROOT, "config", "examples")


def sbgw_binary() -> str:
    """$SBGW (set by tests/run.py from the build directory), else build/app/sbgw/sbgw."""
    path = os.environ.get("SBGW") or os.path.join(ROOT, "build", "app", "sbgw", "sbgw")
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"{path} is not an executable sbgw; build first")
    return os.path.abspath(path)


def run_sbgw(flag: str, text: str) -> subprocess.CompletedProcess:
    """sbgw FLAG -c FILE on text written to a fresh file named api.conf; run in its directory."""
    with tempfile.TemporaryDirectory(prefix="sbgw-py-") as d:
        with open(os.path.join(d, "api.conf"), "w", encoding="utf-8") as f:
            f.write(text)
        return subprocess.run([sbgw_binary(), flag, "-c", "api.conf"], cwd=d,
                              capture_output=True, text=True, timeout=60, check=False)


def dump_example(conf: str) -> str:
    proc = subprocess.run([sbgw_binary(), "-p", "-c", conf], cwd=EXAMPLES_DIR,
                          capture_output=True, text=True, timeout=60, check=False)
    if proc.returncode != 0:
        raise AssertionError(f"sbgw -p refused config/examples/{conf}:\n{proc.stderr}")
    return proc.stdout


_FILE_LINE = re.compile(r'^configuration ".*"$')
_LINE_NOTE = re.compile(r" \(line \d+\)")
# "policy: preset public_only" or "policy: custom": how the policy was written, not what it
# is; the defaults and every rule sbgw made of it are on the lines below.
_POLICY_LABEL = re.compile(r"^(\s*policy:) (preset \S+|custom)$")


def normalise(dump: str) -> str:
    """What legitimately differs between two files with the same meaning: the file name and
    the line numbers sbgw notes next to sandboxes, rules and secrets, and whether the
    policy was written as a preset or as its rules."""
    out = []
    for line in dump.splitlines():
        if _FILE_LINE.match(line):
            continue
        out.append(_POLICY_LABEL.sub(r"\1", _LINE_NOTE.sub("", line)))
    return "\n".join(out) + "\n"
