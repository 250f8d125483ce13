#!/usr/bin/python3
"""Run the Python package's tests (stdlib unittest) and print TAP: "ok N - name" / "not ok N - name".

usage: python/tests/run.py [BUILD_DIR]     (default: build; sbgw is BUILD_DIR/app/sbgw/sbgw)
Exit status 0 only when every test passed.
"""

from __future__ import annotations

import os
import sys
import traceback
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


class TapResult(unittest.TestResult):
    def __init__(self) -> None:
        super().__init__()
        self.n = 0
        self.bad = 0

    def _line(self, ok: bool, test: unittest.TestCase, note: str = "") -> None:
        self.n += 1
        name = test.id().split(".", 1)[-1]
        print(f"{'ok' if ok else 'not ok'} {self.n} - {name}{note}", flush=True)

    def addSuccess(self, test):  # noqa: N802
        self._line(True, test)

    def addSkip(self, test, reason):  # noqa: N802
        self._line(True, test, f" # SKIP {reason}")

    def _fail(self, test, err) -> None:
        self.bad += 1
        self._line(False, test)
        for line in "".join(traceback.format_exception(*err)).splitlines():
            print(f"# {line}")

    def addFailure(self, test, err):  # noqa: N802
        self._fail(test, err)

    def addError(self, test, err):  # noqa: N802
        self._fail(test, err)

    def addSubTest(self, test, subtest, err):  # noqa: N802
        if err is not None:
            self._fail(subtest, err)

    def addExpectedFailure(self, test, err):  # noqa: N802
        self._line(True, test, " # TODO expected failure")

    def addUnexpectedSuccess(self, test):  # noqa: N802
        self.bad += 1
        self._line(False, test, " # unexpected success")


def main() -> int:
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    if not os.path.isabs(build):
        build = os.path.join(ROOT, build)
    os.environ["SBGW"] = os.path.join(build, "app", "sbgw", "sbgw")
    sys.path[:0] = [os.path.join(ROOT, "python"), HERE]
    suite = unittest.defaultTestLoader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    result = TapResult()
    suite.run(result)
    print(f"1..{result.n}")
    return 0 if result.bad == 0 and result.n > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
