"""Integer-edge sweep: every node case of the onnx backend suite, with each integer attribute
(each element of an ints attribute) and each element of a small integer input set in turn to
values at the edges of int32 and int64, each float attribute to NaN, infinities and 1e30, and
each float input wholly to one of those, run on onnxrt. libFuzzer rarely lands on INT64_MAX in
the right field; this sweep does so on purpose and found overflows, hangs and escaped exceptions
in kernels that the backend suite and the fuzzers had passed.

    python fuzz/int_edges.py                    the whole sweep (105,355 runs; its first 92,415 took 12 min on a core)
    python fuzz/int_edges.py --cases roialign   only cases whose name contains the text

Under the sanitizer build (as `make test-sanitize` runs Python: LD_PRELOAD of libasan and
libstdc++, PYTHONPATH to its package, --memory-gb 0 and ASAN_OPTIONS=allocator_may_return_null=1:
max_allocation_size_mb=1024) the sweep also finds undefined behaviour that Release survives.

A finding is a crash or a run past --timeout seconds (the sweep goes on in a fresh worker after
the case) or an InternalError (a C++ exception the engine caught). Anything else is fine: most
edits make a model invalid, and a clear error is the expected answer. Exit status 1 on a finding.
tests/python/test_int_edges.py replays the findings that were fixed.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import subprocess
import sys
import warnings
from collections.abc import Iterator

import numpy as np
import onnx

EDGES = [0, -1, -2, 2**31 - 1, -(2**31), 2**62, -(2**62), 2**63 - 1, -(2**63), 1000000007, 65536]
# Float attributes (alpha, epsilon, scales, seeds...) get these; kernels convert some to integers.
FLOAT_EDGES = ["nan", "inf", "-inf", "1e30", "-1e30", "0"]
# Float inputs are filled whole with these (all zeros is what most cases already test).
FLOAT_FILLS = [e for e in FLOAT_EDGES if e != "0"]
# Integer inputs up to this many elements are edited element by element.
MAX_EDITED_INPUT = 16


def node_cases() -> list:
    from onnx.backend.test.case.node import collect_testcases

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cases = collect_testcases(None)
    return sorted((c for c in cases if c.data_sets), key=lambda c: c.name)


def edits(case) -> Iterator[tuple[str, onnx.ModelProto, list[np.ndarray]]]:
    """(label, model, inputs) for every edit of one case; label is what apply() takes back."""
    for target, values in edit_targets(case):
        for e in values:
            label = f"{target}={e}"
            yield label, *apply(case, label)


def edit_targets(case) -> Iterator[tuple[str, list]]:
    """What can be edited in one case ("node3.pads[1]", "input0", ...) and the values it gets."""
    m, ins = case.model, list(case.data_sets[0][0])
    for ni, node in enumerate(m.graph.node):
        for a in node.attribute:
            if a.type in (onnx.AttributeProto.INT, onnx.AttributeProto.FLOAT):
                yield f"node{ni}.{a.name}", EDGES if a.type == onnx.AttributeProto.INT else FLOAT_EDGES
            elif a.type in (onnx.AttributeProto.INTS, onnx.AttributeProto.FLOATS):
                is_int = a.type == onnx.AttributeProto.INTS
                for k in range(len(a.ints if is_int else a.floats)):
                    yield f"node{ni}.{a.name}[{k}]", EDGES if is_int else FLOAT_EDGES
    for ii, x in enumerate(ins):
        if isinstance(x, np.ndarray) and x.dtype in (np.int32, np.int64) and 0 < x.size <= MAX_EDITED_INPUT:
            for k in range(x.size):
                yield f"input{ii}[{k}]", EDGES
        elif isinstance(x, np.ndarray) and x.dtype in (np.float16, np.float32, np.float64) and x.size > 0:
            # Float inputs are filled whole: coordinates, scales and ROIs reach index arithmetic.
            yield f"input{ii}", FLOAT_FILLS


def apply(case, label: str) -> tuple[onnx.ModelProto, list[np.ndarray]]:
    """The case's model and inputs with the one edit that `label` names."""
    return apply_to(case.model, list(case.data_sets[0][0]), label)


def apply_to(model: onnx.ModelProto, inputs: list[np.ndarray], label: str) -> tuple[onnx.ModelProto, list[np.ndarray]]:
    m = onnx.ModelProto()
    m.CopyFrom(model)
    ins = list(inputs)
    target, value = label.rsplit("=", 1)
    index = None
    if target.endswith("]"):
        target, k = target[:-1].split("[")
        index = int(k)
    if target.startswith("node"):
        ni, name = target[4:].split(".", 1)
        attr = next(a for a in m.graph.node[int(ni)].attribute if a.name == name)
        is_float = attr.type in (onnx.AttributeProto.FLOAT, onnx.AttributeProto.FLOATS)
        v = float(value) if is_float else int(value)
        if index is not None:
            (attr.floats if is_float else attr.ints)[index] = v
        elif is_float:
            attr.f = v
        else:
            attr.i = v
    elif index is None:
        ii = int(target[len("input"):])
        ins[ii] = np.full_like(ins[ii], float(value))
    else:
        ii = int(target[len("input"):])
        x = ins[ii].copy().reshape(-1)
        info = np.iinfo(x.dtype)
        x[index] = np.clip(int(value), info.min, info.max)
        ins[ii] = x.reshape(ins[ii].shape)
    return m, ins


def run_case(m: onnx.ModelProto, ins: list[np.ndarray]) -> str | None:
    """None, or the message of an InternalError (a bug even though the process survived)."""
    import onnxrt

    options = onnxrt.SessionOptions()
    options.intra_op_num_threads = 1
    initializers = {t.name for t in m.graph.initializer}
    names = [i.name for i in m.graph.input if i.name not in initializers]
    try:
        session = onnxrt.InferenceSession(m.SerializeToString(), options)
        session.run(None, dict(zip(names, ins)))
    except onnxrt.Error as e:
        if "C++ exception" in str(e):
            return str(e)
    except Exception:  # noqa: BLE001 - numpy or the binding refusing a value is not a finding
        pass
    return None


def worker(args) -> None:
    """Runs the cases from index --start on, writing each index before running it."""
    if args.memory_gb > 0:  # 0 under ASan, whose shadow memory needs terabytes of address space
        resource.setrlimit(resource.RLIMIT_AS, (args.memory_gb << 30, args.memory_gb << 30))
    progress = open(args.progress, "a")
    index = 0
    shard, shards = (int(v) for v in args.shard.split("/"))
    for position, case in enumerate(node_cases()):
        if not all(isinstance(x, np.ndarray) for x in case.data_sets[0][0]):
            continue
        if (args.cases and args.cases not in case.name) or position % shards != shard:
            continue
        for label, m, ins in edits(case):
            index += 1
            if index < args.start:
                continue
            progress.write(f"{index}\t{case.name}\t{label}\n")
            progress.flush()
            signal.alarm(args.timeout)  # default action: the worker dies and the parent reports it
            internal = run_case(m, ins)
            signal.alarm(0)
            if internal:
                print(f"INTERNAL\t{case.name}\t{label}\t{internal[:300]}", flush=True)
    print(f"DONE\t{index}", flush=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cases", default="", help="only node cases whose name contains this")
    p.add_argument("--shard", default="0/1", help="I/N: only every N-th case from the I-th (N processes)")
    p.add_argument("--timeout", type=int, default=20, help="seconds per case before it counts as a hang")
    p.add_argument("--memory-gb", type=int, default=3,
                   help="address-space limit of the worker: as in the fuzzers, a valid model that asks "
                   "for outputs of many GB gets an out-of-memory error instead of a long run")
    p.add_argument("--progress", default="", help=argparse.SUPPRESS)
    p.add_argument("--start", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        worker(args)
        return 0

    import tempfile

    findings = []
    start = 0
    with tempfile.NamedTemporaryFile("r", suffix=".progress") as progress:
        while True:
            cmd = [sys.executable, os.path.abspath(__file__), "--worker", "--start", str(start), "--progress",
                   progress.name, "--cases", args.cases, "--shard", args.shard, "--timeout", str(args.timeout),
                   "--memory-gb", str(args.memory_gb)]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            for line in proc.stdout.splitlines():
                if line.startswith("INTERNAL"):
                    findings.append(line)
                    print(line, flush=True)
            if any(line.startswith("DONE") for line in proc.stdout.splitlines()):
                total = proc.stdout.split("DONE\t")[-1].split()[0]
                break
            lines = open(progress.name).read().splitlines()
            if not lines or int(lines[-1].split("\t")[0]) < start:  # died before its first case
                print(proc.stderr[-2000:], file=sys.stderr)
                return 2
            index, case, label = lines[-1].split("\t")
            what = "hang" if proc.returncode == -signal.SIGALRM else f"crash (exit {proc.returncode})"
            # A sanitizer report's headline, else the end of what the worker printed.
            report = [x for x in proc.stderr.splitlines() if "runtime error" in x or "ERROR: AddressSanitizer" in x]
            detail = report[0].strip() if report else proc.stderr.strip()[-300:]
            line = f"{what.upper()}\t{case}\t{label}\t{detail}"
            findings.append(line)
            print(line, flush=True)
            start = int(index) + 1
    print(f"{total} runs, {len(findings)} findings")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
