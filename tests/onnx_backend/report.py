"""Runs the ONNX backend suite on onnxrt and on onnxruntime and writes docs/conformance.md.

    python tests/onnx_backend/report.py [--update-manifest]

Both runtimes go through the same cases (the suite's CPU cases, minus the "real" models that need a
download); a case counts as passed only when it ran and matched within the suite's tolerances, so
a case that a backend declines (is_compatible() False) counts as failed. --update-manifest rewrites
tests/onnx_backend/expected_failures.txt from onnxrt's failures, one line per case with the first
line of its error as the reason.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import os
import re
import sys
import unittest
import warnings
from pathlib import Path

import onnx
import onnx.backend.test

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "tests" / "onnx_backend" / "expected_failures.txt"
DOC = ROOT / "docs" / "conformance.md"
CATEGORIES = {
    "OnnxBackendNodeModelTest": "node",
    "OnnxBackendSimpleModelTest": "simple",
    "OnnxBackendPyTorchConvertedModelTest": "pytorch-converted",
    "OnnxBackendPyTorchOperatorModelTest": "pytorch-operator",
}


_NODE_OPS: dict[str, str] | None = None


def op_of(category: str, name: str) -> str:
    """The op a node case tests (the last node of its model); other categories group by category.
    The node cases' models come from onnx's case code in memory (the wheel ships no files)."""
    global _NODE_OPS
    if category != "node":
        return f"({category})"
    if _NODE_OPS is None:
        from onnx.backend.test.loader import load_model_tests

        _NODE_OPS = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for case in load_model_tests(kind="node"):
                model = case.model
                if model is None and case.model_dir:
                    model = onnx.load(os.path.join(case.model_dir, "model.onnx"), load_external_data=False)
                if model is not None and model.graph.node:
                    _NODE_OPS[case.name] = model.graph.node[-1].op_type
    return _NODE_OPS.get(name.removesuffix("_cpu"), "?")


class _Collector(unittest.TestResult):
    def __init__(self) -> None:
        super().__init__()
        self.outcomes: dict[str, str | None] = {}

    def addSuccess(self, test):  # noqa: N802 (unittest API)
        self.outcomes[test._testMethodName] = None

    def _fail(self, test, err):
        exc = err[1]
        text = f"{type(exc).__name__}: {exc}".strip().splitlines()
        self.outcomes[test._testMethodName] = (text[0] if text else type(exc).__name__)[:200]

    addFailure = _fail  # noqa: N815
    addError = _fail  # noqa: N815

    def addSkip(self, test, reason):  # noqa: N802
        self.outcomes[test._testMethodName] = f"skipped: {reason}"


def run_suite(backend_module) -> dict[str, tuple[str, str | None]]:
    """test name -> (category, None if passed else the reason it did not)."""
    suite_builder = onnx.backend.test.BackendTest(backend_module, __name__)
    results: dict[str, tuple[str, str | None]] = {}
    for cls_name, cls in suite_builder.test_cases.items():
        category = CATEGORIES.get(cls_name)
        if category is None:
            continue
        names = [n for n in dir(cls) if n.startswith("test_") and n.endswith("_cpu")]
        suite = unittest.TestSuite(cls(n) for n in names)
        collector = _Collector()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            suite.run(collector)
        for n in names:
            results[n] = (category, collector.outcomes.get(n, "did not run"))
    return results


def write_manifest(ours: dict[str, tuple[str, str | None]]) -> None:
    lines = [
        "# Expected failures of the ONNX backend suite on onnxrt (tests/onnx_backend/).",
        "# One case per line: a regular expression over the test name, then '#' and the reason.",
        "# A listed case that passes fails the run: remove it from this file.",
        "# Regenerate with: make conformance UPDATE_MANIFEST=1",
    ]
    for name in sorted(ours):
        reason = ours[name][1]
        if reason is not None:
            reason = re.sub(r"\s+", " ", reason)
            lines.append(f"{re.escape(name)}  # {reason}")
    MANIFEST.write_text("\n".join(lines) + "\n")


def write_doc(ours, theirs, ort_version: str) -> None:
    per_category = collections.defaultdict(lambda: [0, 0, 0])
    per_op = collections.defaultdict(lambda: [0, 0, 0])
    for name, (category, reason) in ours.items():
        ort_ok = theirs.get(name, (category, "missing"))[1] is None
        for table, key in ((per_category, category), (per_op, op_of(category, name))):
            table[key][0] += 1
            table[key][1] += reason is None
            table[key][2] += ort_ok
    total = [sum(v[i] for v in per_category.values()) for i in range(3)]
    out = [
        "# Conformance: the ONNX backend test suite",
        "",
        f"Generated by `make conformance` (tests/onnx_backend/report.py) on {datetime.date.today()}, "
        f"onnx {onnx.__version__}, onnxruntime {ort_version}. Both columns count the same cases: the "
        "suite's CPU cases except the 'real' models, which need a download. Passed means ran and "
        "matched within the suite's own tolerances; a declined case (is_compatible() False) is a failure.",
        "",
        "| category | cases | onnxrt passed | onnxruntime passed |",
        "|---|---:|---:|---:|",
    ]
    for cat in sorted(per_category):
        c = per_category[cat]
        out.append(f"| {cat} | {c[0]} | {c[1]} ({100 * c[1] / c[0]:.0f}%) | {c[2]} ({100 * c[2] / c[0]:.0f}%) |")
    out.append(
        f"| **total** | {total[0]} | **{total[1]} ({100 * total[1] / max(total[0], 1):.1f}%)** | "
        f"{total[2]} ({100 * total[2] / max(total[0], 1):.1f}%) |"
    )
    out += ["", "## Per op (node cases)", "", "| op | cases | onnxrt | onnxruntime |", "|---|---:|---:|---:|"]
    for op in sorted(per_op):
        c = per_op[op]
        out.append(f"| {op} | {c[0]} | {c[1]} | {c[2]} |")
    # The manifest's reasons, written by people where the error alone does not explain.
    listed = {}
    if MANIFEST.exists():
        for line in MANIFEST.read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                pattern, _, why = line.partition("#")
                listed[pattern.strip().replace("\\", "")] = why.strip()
    failures = sorted((n, listed.get(n, r)) for n, (_, r) in ours.items() if r is not None)
    out += ["", f"## onnxrt's expected failures ({len(failures)})", "",
            "Each is listed in tests/onnx_backend/expected_failures.txt; the reason is the first line of the error.", ""]
    for name, reason in failures:
        out.append(f"- `{name}`: {reason}")
    DOC.write_text("\n".join(out) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update-manifest", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import onnxruntime
    import onnxruntime.backend

    import onnxrt.backend

    ours = run_suite(onnxrt.backend.OnnxrtBackend)
    theirs = run_suite(onnxruntime.backend)
    if args.update_manifest:
        write_manifest(ours)
    write_doc(ours, theirs, onnxruntime.__version__)
    passed = sum(r is None for _, r in ours.values())
    print(f"onnxrt: {passed}/{len(ours)} passed; onnxruntime: "
          f"{sum(r is None for _, r in theirs.values())}/{len(theirs)}; wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
