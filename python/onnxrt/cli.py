"""The ``onnxrt`` command line.

    onnxrt run model.onnx [--input NAME=file.npy ...] [--dim batch=4 ...] [--threads N]
                          [--output out.npz] [--seed S]
    onnxrt info model.onnx
    onnxrt list-kernels [--op NAME] [--reference]
    onnxrt profile model.onnx [--runs R] [--top N] ...        (cli_profile.py)
    onnxrt bench model.onnx [--runs R | --duration S] [--vs onnxruntime] ...   (cli_bench.py)
    onnxrt compare model.onnx [--against onnxruntime|reference|reference-kernels] ...
                                                               (cli_compare.py)
    onnxrt optimize in.onnx out.onnx [--level ...]             (cli_graph.py)
    onnxrt dump model.onnx [--after PASS] [--json]             (cli_graph.py)

Every command that runs a model takes the same input options (--input, --dim, --seed,
--threads); inputs that are not given are random, with symbolic dims set by --dim (default 1).

User errors (a missing file, a bad option, a model onnxrt rejects) print one line to stderr and
exit with status 1 (2 for command-line usage errors); they never print a traceback.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
from typing import Any, Sequence

import numpy as np


class UsageError(Exception):
    """A problem with what the user asked for; reported as one line, exit status 2."""


def _fail(message: str, status: int = 1) -> int:
    print(f"onnxrt: error: {message}", file=sys.stderr)
    return status


# ---- onnxrt run


def _parse_assignments(items: Sequence[str] | None, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError(f"{what} expects NAME=VALUE, got {item!r}")
        out[name] = value
    return out


def _random_input(arg, dims: dict[str, int], rng: np.random.Generator) -> np.ndarray:
    from . import _convert

    shape = []
    for d in arg.shape or []:
        if isinstance(d, int):
            shape.append(d)
        elif isinstance(d, str):
            shape.append(dims.get(d, 1))
        else:
            shape.append(1)
    code = arg._dtype_code
    if code == _convert.STRING:
        words = np.array(["alpha", "beta", "gamma", "delta"], dtype=object)
        return words[rng.integers(0, len(words), size=shape)].astype(object)
    dtype = _convert.numpy_dtype(code)
    if dtype is None:
        raise UsageError(f"input '{arg.name}' has type {arg.type}, which numpy cannot hold; "
                         "pass it with --input")
    if dtype == np.bool_:
        return rng.integers(0, 2, size=shape).astype(np.bool_)
    if dtype.kind in "iu":
        # Small values keep index-like inputs (Gather indices, shapes' axes) in range.
        return rng.integers(0, 2, size=shape).astype(dtype)
    if dtype.kind == "c":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    return rng.standard_normal(shape).astype(np.float32).astype(dtype)


def _load_npy(name: str, path: str) -> np.ndarray:
    if not os.path.exists(path):
        raise UsageError(f"--input {name}: no such file: {path}")
    try:
        value = np.load(path, allow_pickle=False)
    except Exception as e:  # numpy reports format problems with many exception types
        raise UsageError(f"--input {name}: cannot read {path} as a .npy file ({e})") from None
    if isinstance(value, np.lib.npyio.NpzFile):
        raise UsageError(f"--input {name}: {path} is an .npz archive; pass a single .npy array")
    return value


def _summary(value: np.ndarray) -> str:
    if value.dtype == object or value.dtype.kind in "US":
        return ""
    if value.size == 0:
        return "(empty)"
    v = value.astype(np.float64) if value.dtype.kind != "c" else np.abs(value)
    return f"min={np.min(v):.6g} max={np.max(v):.6g} mean={np.mean(v):.6g}"


def parse_dims(items: Sequence[str] | None) -> dict[str, int]:
    """``--dim NAME=N`` options as {symbol: size}; UsageError on a bad value."""
    dims: dict[str, int] = {}
    for name, value in _parse_assignments(items, "--dim").items():
        try:
            dims[name] = int(value)
        except ValueError:
            raise UsageError(f"--dim {name}: {value!r} is not an integer") from None
        if dims[name] < 0:
            raise UsageError(f"--dim {name}: must be >= 0, got {dims[name]}")
    return dims


def session_options(args: argparse.Namespace) -> Any:
    """SessionOptions from the common --threads option."""
    import onnxrt

    threads = getattr(args, "threads", None)
    if threads is not None and threads < 0:
        raise UsageError(f"--threads must be >= 0, got {threads}")
    opts = onnxrt.SessionOptions()
    if threads is not None:
        opts.intra_op_num_threads = threads
    return opts


def make_feeds(sess: Any, args: argparse.Namespace) -> dict[str, Any]:
    """Feeds for every input of ``sess``: from --input files, else random (--dim, --seed)."""
    dims = parse_dims(getattr(args, "dim", None))
    files = _parse_assignments(getattr(args, "input", None), "--input")
    known = {a.name for a in sess.get_inputs()}
    for name in files:
        if name not in known:
            raise UsageError(f"--input {name}: the model has no input named {name!r}; "
                             f"its inputs are {sorted(known)}")
    rng = np.random.default_rng(getattr(args, "seed", 0))
    feeds = {}
    for arg in sess.get_inputs():
        if arg.name in files:
            feeds[arg.name] = _load_npy(arg.name, files[arg.name])
        else:
            feeds[arg.name] = _random_input(arg, dims, rng)
    return feeds


def add_input_options(p: argparse.ArgumentParser) -> None:
    """The input options shared by every command that runs a model."""
    p.add_argument("--input", action="append", metavar="NAME=FILE.npy",
                   help="feed input NAME from a .npy file (repeatable); other inputs are random")
    p.add_argument("--dim", action="append", metavar="SYMBOL=N",
                   help="value of a symbolic dim for random inputs (repeatable; default 1)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random inputs")
    p.add_argument("--threads", type=int, help="intra-op threads (0: one per core)")


def check_model_path(path: str) -> None:
    """UsageError for a model path that does not exist (before any engine error)."""
    if not os.path.exists(path):
        raise UsageError(f"no such file: {path}")


def cmd_run(args: argparse.Namespace) -> int:
    """``onnxrt run``: runs the model once and prints (or saves) the outputs."""
    import onnxrt

    parse_dims(args.dim)  # option errors first, before the model is loaded
    sess = onnxrt.InferenceSession(args.model, sess_options=session_options(args))
    feeds = make_feeds(sess, args)

    outputs = sess.run(None, feeds)
    names = [a.name for a in sess.get_outputs()]
    if args.output:
        np.savez(args.output, **dict(zip(names, outputs)))
        print(f"saved {len(outputs)} output(s) to {args.output}")
    for name, value in zip(names, outputs):
        shape = "x".join(str(d) for d in value.shape) or "scalar"
        print(f"{name}: shape={shape} dtype={value.dtype} {_summary(value)}".rstrip())
    return 0


# ---- onnxrt info


def _type_string(tp) -> str:
    import onnx

    which = tp.WhichOneof("value")
    if which == "tensor_type":
        elem = onnx.helper.tensor_dtype_to_string(tp.tensor_type.elem_type)
        return f"tensor({elem.replace('TensorProto.', '').lower()})"
    if which == "sequence_type":
        return f"seq({_type_string(tp.sequence_type.elem_type)})"
    if which == "optional_type":
        return f"optional({_type_string(tp.optional_type.elem_type)})"
    if which == "map_type":
        key = onnx.helper.tensor_dtype_to_string(tp.map_type.key_type)
        return f"map({key.replace('TensorProto.', '').lower()},{_type_string(tp.map_type.value_type)})"
    return "unknown"


def _shape_string(tp) -> str:
    if tp.WhichOneof("value") != "tensor_type" or not tp.tensor_type.HasField("shape"):
        return "?"
    dims = []
    for d in tp.tensor_type.shape.dim:
        if d.HasField("dim_value"):
            dims.append(str(d.dim_value))
        elif d.HasField("dim_param"):
            dims.append(d.dim_param)
        else:
            dims.append("?")
    return "[" + ", ".join(dims) + "]"


def _all_nodes(graph):
    """Nodes of a graph and of every subgraph (If/Loop/Scan bodies)."""
    import onnx

    for node in graph.node:
        yield node
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                yield from _all_nodes(attr.g)
            elif attr.type == onnx.AttributeProto.GRAPHS:
                for g in attr.graphs:
                    yield from _all_nodes(g)


def _element_types(model) -> dict[str, int]:
    """Element type of every value whose type is known, after onnx's shape inference."""
    import onnx

    try:
        inferred = onnx.shape_inference.infer_shapes(model, check_type=False, strict_mode=False)
    except Exception:  # inference is a nicety here; the histogram does not need it
        inferred = model
    types: dict[str, int] = {}

    def collect(graph):
        for v in list(graph.input) + list(graph.output) + list(graph.value_info):
            if v.type.WhichOneof("value") == "tensor_type":
                types[v.name] = v.type.tensor_type.elem_type
        for init in graph.initializer:
            types[init.name] = init.data_type
        for node in graph.node:
            for attr in node.attribute:
                if attr.type == onnx.AttributeProto.GRAPH:
                    collect(attr.g)

    collect(inferred.graph)
    return types


def unsupported_ops(model, kernels=None) -> list[str]:
    """Descriptions of the model's (domain, op, opset, dtype) that have no onnxrt CPU kernel."""
    from . import _convert
    from . import _onnxrt

    kernels = kernels if kernels is not None else _onnxrt._list_kernels()
    by_op = collections.defaultdict(list)
    for domain, op, since, until, dtype in kernels:
        by_op[("" if domain == "ai.onnx" else domain, op)].append((since, until, dtype))
    opsets = {("" if o.domain == "ai.onnx" else o.domain): o.version for o in model.opset_import}
    types = _element_types(model)

    missing: dict[str, None] = {}
    for node in _all_nodes(model.graph):
        domain = "" if node.domain == "ai.onnx" else node.domain
        label = f"{domain + '.' if domain else ''}{node.op_type}"
        opset = opsets.get(domain, 0)
        entries = by_op.get((domain, node.op_type))
        if not entries:
            missing.setdefault(f"{label} (no kernel)")
            continue
        in_range = [e for e in entries if e[0] <= opset <= e[1]]
        if not in_range:
            missing.setdefault(f"{label} (opset {opset} not covered)")
            continue
        key = node.input[0] if node.input and node.input[0] else (node.output[0] if node.output else "")
        code = types.get(key)
        if code is None:
            continue  # type unknown statically: cannot tell, assume it runs
        name = _convert.code_name(code)
        if not any(e[2] in ("any", name) for e in in_range):
            missing.setdefault(f"{label} (no {name} kernel)")
    return list(missing)


def cmd_info(args: argparse.Namespace) -> int:
    """``onnxrt info``: inputs, outputs, opsets, op histogram and unsupported ops."""
    import onnx

    if not os.path.exists(args.model):
        raise UsageError(f"no such file: {args.model}")
    try:
        model = onnx.load(args.model, load_external_data=False)
    except Exception as e:
        raise UsageError(f"{args.model} is not a readable ONNX model ({type(e).__name__}: {e})") from None

    g = model.graph
    print(f"model:      {args.model}")
    print(f"producer:   {model.producer_name} {model.producer_version}".rstrip())
    print(f"ir_version: {model.ir_version}")
    opsets = ", ".join(f"{o.domain or 'ai.onnx'}={o.version}" for o in model.opset_import)
    print(f"opsets:     {opsets}")
    if g.name:
        print(f"graph:      {g.name}")
    if model.doc_string:
        print(f"doc:        {model.doc_string}")

    init_names = {i.name for i in g.initializer}
    print("inputs:")
    for v in g.input:
        if v.name in init_names:
            continue
        print(f"  {v.name}: {_type_string(v.type)} {_shape_string(v.type)}")
    print("outputs:")
    for v in g.output:
        print(f"  {v.name}: {_type_string(v.type)} {_shape_string(v.type)}")
    print(f"initializers: {len(g.initializer)}")

    hist = collections.Counter(
        (f"{n.domain}." if n.domain and n.domain != "ai.onnx" else "") + n.op_type
        for n in _all_nodes(g)
    )
    print(f"ops ({sum(hist.values())} nodes):")
    for op, count in sorted(hist.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {op:<28} {count}")

    missing = unsupported_ops(model)
    if missing:
        print("not supported by onnxrt yet:")
        for m in missing:
            print(f"  {m}")
    else:
        print("all ops supported by onnxrt")
    return 0


# ---- onnxrt list-kernels


def cmd_list_kernels(args: argparse.Namespace) -> int:
    """``onnxrt list-kernels``: one line per kernel table entry."""
    from . import _onnxrt

    rows = sorted(_onnxrt._list_kernels(bool(args.reference)))
    if args.op:
        rows = [r for r in rows if r[1] == args.op]
    for domain, op, since, until, dtype in rows:
        upto = "" if until >= (1 << 30) else str(until)
        print(f"{domain or 'ai.onnx'}\t{op}\t{since}-{upto}\t{dtype}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = argparse.ArgumentParser(prog="onnxrt", description="Run and inspect ONNX models.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("run", help="run a model on given or random inputs")
    p.add_argument("model", help="path to the .onnx file")
    add_input_options(p)
    p.add_argument("--output", metavar="OUT.npz", help="save the outputs to an .npz file")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("info", help="describe a model and what onnxrt cannot run in it")
    p.add_argument("model", help="path to the .onnx file")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("list-kernels", help="list the CPU kernels")
    p.add_argument("--op", help="only this op type")
    p.add_argument("--reference", action="store_true",
                   help="list the reference kernels (what --against reference-kernels runs) instead")
    p.set_defaults(func=cmd_list_kernels)

    # Commands with more code live in their own modules, imported here (after this module is
    # complete, so that they can import its helpers).
    from . import cli_bench, cli_compare, cli_graph, cli_profile

    cli_profile.add_parser(sub)
    cli_bench.add_parser(sub)
    cli_compare.add_parser(sub)
    cli_graph.add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line; returns the exit status (0 ok, 1 error, 2 usage error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        import onnxrt

        print(f"onnxrt {onnxrt.__version__}")
        return 0
    if not args.command:
        parser.print_help(sys.stderr)
        return 2
    try:
        import onnxrt
    except ImportError as e:
        return _fail(f"the onnxrt extension module cannot be imported: {e}")
    try:
        return args.func(args)
    except UsageError as e:
        return _fail(str(e), 2)
    except onnxrt.Error as e:
        return _fail(f"{type(e).__name__}: {e}")
    except KeyboardInterrupt:
        return 130


def _entry() -> Any:  # `python -m onnxrt.cli`
    sys.exit(main())


if __name__ == "__main__":
    _entry()
