"""The official ONNX backend suite (shipped in the pinned onnx package) run on onnxrt.backend.

Every case either passes or is listed in expected_failures.txt with its reason. A listed case that
passes fails the run ("Unexpected success"), so the list stays true. A reason that starts with
"flaky:" marks a case whose expected data no runtime can reproduce but which a random output can
match by chance (Bernoulli): it may pass or fail, and a failure is reported as a skip. A case that the runner would
skip because is_compatible() says no counts as a failure, not as a skip. Only the "real" model
cases, which download models from the internet, are skipped. Tolerances are the suite's own.
"""

from __future__ import annotations

import functools
import re
import unittest
from pathlib import Path

import onnx.backend.test

import onnxrt.backend as backend

MANIFEST = Path(__file__).with_name("expected_failures.txt")
_DOWNLOADING_CATEGORY = "OnnxBackendRealModelTest"


def load_manifest(path: Path = MANIFEST) -> list[tuple[re.Pattern[str], str]]:
    """Lines are `PATTERN  # reason`; PATTERN is a regular expression over the test name."""
    entries = []
    for line in path.read_text().splitlines() if path.exists() else []:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        pattern, _, reason = line.partition("#")
        entries.append((re.compile(pattern.strip()), reason.strip()))
    return entries


def expected_failure_reason(name: str, manifest: list[tuple[re.Pattern[str], str]]) -> str | None:
    for pattern, reason in manifest:
        if pattern.fullmatch(name):
            return reason
    return None


def _count_incompatible_as_failure(fn):
    @functools.wraps(fn)
    def run(self, *args, **kwargs):
        try:
            return fn(self, *args, **kwargs)
        except unittest.SkipTest as e:
            if "Not compatible" in str(e):
                raise AssertionError(
                    "onnxrt.backend.is_compatible() is False: a node has no kernel for its op, "
                    "opset or element type"
                ) from None
            raise

    return run


def _pass_or_skip(fn, reason: str):
    @functools.wraps(fn)
    def run(self, *args, **kwargs):
        try:
            return fn(self, *args, **kwargs)
        except AssertionError:
            raise unittest.SkipTest(reason) from None

    return run


def _skip_download(fn):
    @functools.wraps(fn)
    def run(self, *args, **kwargs):
        raise unittest.SkipTest("downloads its model from the internet; the test machines have no network")

    return run


def build_test_cases() -> dict[str, type]:
    manifest = load_manifest()
    suite = onnx.backend.test.BackendTest(backend.OnnxrtBackend, __name__)
    cases = suite.test_cases
    for category, cls in cases.items():
        for name in [n for n in dir(cls) if n.startswith("test_")]:
            if not name.endswith("_cpu"):
                delattr(cls, name)  # device variants onnxrt does not have
                continue
            fn = getattr(cls, name)
            if category == _DOWNLOADING_CATEGORY:
                setattr(cls, name, _skip_download(fn))
                continue
            fn = _count_incompatible_as_failure(fn)
            reason = expected_failure_reason(name, manifest)
            if reason is not None and reason.startswith("flaky:"):
                fn = _pass_or_skip(fn, reason)
            elif reason is not None:
                fn = unittest.expectedFailure(fn)
            setattr(cls, name, fn)
    return cases


globals().update(build_test_cases())
