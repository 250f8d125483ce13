"""Ask the sbgw binary itself about a rendered file: `sbgw -t` (check) and `sbgw -p` (dump).

Some rules only the gateway can judge (files the configuration names,
environment variables, clashes between sandboxes, pool exhaustion); this
is how a Python caller gets those verdicts, with sbgw's own messages.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass


class ConfigRejected(ValueError):
    """sbgw -t refused the file; messages are its `FILE:LINE: path: message` lines."""

    def __init__(self, messages: list[str]):
        self.messages = messages
        super().__init__("sbgw rejected the configuration:\n" + "\n".join(messages))


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str


def find_sbgw(binary: str | None = None) -> str:
    """The sbgw binary: the argument, $SBGW, or sbgw on PATH."""
    candidate = binary or os.environ.get("SBGW") or shutil.which("sbgw")
    if not candidate or not os.access(candidate, os.X_OK):
        raise FileNotFoundError("sbgw binary not found: pass binary=, set $SBGW, or put sbgw on PATH")
    return candidate


def run(args: list[str], path: str, binary: str | None = None, timeout: float = 60) -> Result:
    proc = subprocess.run(
        [find_sbgw(binary), *args, "-c", os.fspath(path)],
        capture_output=True, text=True, timeout=timeout, check=False,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def _with_file(text: str, directory: str | None, fn):
    # Relative paths in a file are relative to the file's directory, hence the choice of directory.
    fd, path = tempfile.mkstemp(prefix="sbgw-", suffix=".conf", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        return fn(path)
    finally:
        os.unlink(path)


def check_file(path: str, binary: str | None = None) -> None:
    """sbgw -t -c path; ConfigRejected with every message when it says no."""
    r = run(["-t"], path, binary)
    if r.returncode != 0:
        raise ConfigRejected([line for line in r.stderr.splitlines() if line.strip()])


def check_text(text: str, binary: str | None = None, directory: str | None = None) -> None:
    """check_file for rendered text (written to a private temporary file in directory)."""
    _with_file(text, directory, lambda p: check_file(p, binary))


def dump_file(path: str, binary: str | None = None) -> str:
    """sbgw -p -c path: the normalised configuration and compiled policies."""
    r = run(["-p"], path, binary)
    if r.returncode != 0:
        raise ConfigRejected([line for line in r.stderr.splitlines() if line.strip()])
    return r.stdout


def dump_text(text: str, binary: str | None = None, directory: str | None = None) -> str:
    return _with_file(text, directory, lambda p: dump_file(p, binary))
