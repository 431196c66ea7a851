"""InferenceSession and its companions, shaped like onnxruntime's Python API."""

from __future__ import annotations

import enum
import os
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from . import _convert
from . import _onnxrt

CPU_PROVIDER = "CPUExecutionProvider"
_AVAILABLE_PROVIDERS = [CPU_PROVIDER]


def get_available_providers() -> list[str]:
    """The execution providers onnxrt offers: only ``CPUExecutionProvider``."""
    return list(_AVAILABLE_PROVIDERS)


def get_device() -> str:
    """The device onnxrt runs on, as onnxruntime.get_device(): always "CPU"."""
    return "CPU"


class GraphOptimizationLevel(enum.IntEnum):
    """Same names and values as onnxruntime.GraphOptimizationLevel."""

    ORT_DISABLE_ALL = 0
    ORT_ENABLE_BASIC = 1
    ORT_ENABLE_EXTENDED = 2
    ORT_ENABLE_LAYOUT = 3
    ORT_ENABLE_ALL = 99


def _native_level(level) -> Any:
    level = int(level)  # also accepts onnxruntime's own enum members
    levels = _onnxrt.GraphOptimizationLevel
    if level <= 0:
        return levels.kDisableAll
    if level == 1:
        return levels.kBasic
    if level in (2, 3):  # onnxrt has no separate layout level; it belongs to "extended"
        return levels.kExtended
    return levels.kAll


# Session config entries (SessionOptions.add_session_config_entry) that onnxrt reads; others are
# kept and ignored, as onnxruntime ignores keys it does not know.
USE_REFERENCE_KERNELS_KEY = "session.use_reference_kernels"


class SessionOptions:
    """Options for InferenceSession; attribute names follow onnxruntime.SessionOptions.

    Attributes that onnxruntime has and onnxrt ignores (execution_mode, ...) may be set freely,
    so code written for onnxruntime keeps working.

    ``enable_profiling`` and ``profile_file_prefix`` work as in onnxruntime: every node run is
    timed and ``InferenceSession.end_profiling()`` writes a Chrome-trace JSON file.
    ``use_reference_kernels`` (also the config entry ``session.use_reference_kernels`` = "1")
    runs every node on the engine's naive reference kernels, for debugging.
    """

    def __init__(self) -> None:
        self.intra_op_num_threads: int = 0  # 0: one thread per core
        self.inter_op_num_threads: int = 0  # accepted for compatibility; onnxrt runs nodes in order
        self.graph_optimization_level = GraphOptimizationLevel.ORT_ENABLE_ALL
        self.log_severity_level: int = 2
        self.optimized_model_filepath: str = ""
        self.enable_profiling: bool = False
        self.profile_file_prefix: str = "onnxrt_profile"
        self.use_reference_kernels: bool = False
        self._config: dict[str, str] = {}

    def add_session_config_entry(self, key: str, value: str) -> None:
        """Sets a string option by key, as onnxruntime; onnxrt reads
        ``session.use_reference_kernels`` ("1" or "0") and keeps the others unread."""
        self._config[str(key)] = str(value)

    def get_session_config_entry(self, key: str) -> str:
        """The value set by add_session_config_entry; KeyError (like onnxruntime's error) when unset."""
        if key not in self._config:
            raise KeyError(f"session config entry {key!r} is not set")
        return self._config[key]

    def _reference_kernels(self) -> bool:
        entry = self._config.get(USE_REFERENCE_KERNELS_KEY)
        if entry is not None:
            if entry not in ("0", "1"):
                raise ValueError(f"{USE_REFERENCE_KERNELS_KEY} must be '0' or '1', got {entry!r}")
            return entry == "1" or bool(self.use_reference_kernels)
        return bool(self.use_reference_kernels)

    def _to_native(self) -> Any:
        opts = _onnxrt.SessionOptions()
        threads = int(self.intra_op_num_threads or 0)
        if threads < 0:
            raise ValueError(f"intra_op_num_threads must be >= 0, got {threads}")
        opts.intra_op_num_threads = threads
        opts.graph_optimization_level = _native_level(self.graph_optimization_level)
        opts.log_severity_level = int(self.log_severity_level)
        opts.optimized_model_filepath = os.fspath(self.optimized_model_filepath or "")
        opts.enable_profiling = bool(self.enable_profiling)
        opts.profile_file_prefix = os.fspath(self.profile_file_prefix or "onnxrt_profile")
        opts.use_reference_kernels = self._reference_kernels()
        return opts

    def __repr__(self) -> str:
        return (
            f"SessionOptions(intra_op_num_threads={self.intra_op_num_threads}, "
            f"graph_optimization_level={self.graph_optimization_level!r}, "
            f"log_severity_level={self.log_severity_level}, "
            f"optimized_model_filepath={self.optimized_model_filepath!r}, "
            f"enable_profiling={self.enable_profiling}, use_reference_kernels={self.use_reference_kernels}"
            + (f", config={self._config!r})" if self._config else ")")
        )


class RunOptions:
    """Accepted by InferenceSession.run for compatibility; onnxrt reads none of its fields."""

    def __init__(self) -> None:
        self.log_severity_level = 2
        self.log_verbosity_level = 0
        self.logid = ""
        self.run_tag = ""
        self.terminate = False


class NodeArg:
    """An input or output of a model: name, shape and type, as onnxruntime's NodeArg.

    ``shape`` holds ints for fixed dims, strings for symbolic dims (dim_param) and None for
    unknown ones; it is None when the model declares no shape at all.
    """

    __slots__ = ("name", "type", "shape", "_dtype_code")

    def __init__(self, name: str, type: str, shape, dtype_code: int = 0) -> None:
        self.name = name
        self.type = type
        self.shape = shape
        self._dtype_code = dtype_code

    def __repr__(self) -> str:
        return f"NodeArg(name={self.name!r}, type={self.type!r}, shape={self.shape!r})"


class ModelMetadata:
    """The model's metadata, with onnxruntime's attribute names."""

    def __init__(self, md: Mapping[str, Any]) -> None:
        self.producer_name: str = md["producer_name"]
        self.producer_version: str = md["producer_version"]
        self.graph_name: str = md["graph_name"]
        self.domain: str = md["domain"]
        self.description: str = md["description"]
        self.graph_description: str = ""  # onnxrt does not keep the graph's doc_string
        self.version: int = md["model_version"]
        self.ir_version: int = md["ir_version"]
        self.opset_imports: dict[str, int] = dict(md["opset_imports"])
        self.custom_metadata_map: dict[str, str] = dict(md["custom_metadata"])

    def __repr__(self) -> str:
        return (
            f"ModelMetadata(producer_name={self.producer_name!r}, graph_name={self.graph_name!r}, "
            f"domain={self.domain!r}, version={self.version})"
        )


def _check_providers(providers) -> list[str]:
    if providers is None:
        return [CPU_PROVIDER]
    if isinstance(providers, (str, tuple)):
        providers = [providers]
    names = []
    for p in providers:
        # onnxruntime also accepts (name, {options}) pairs.
        name = p[0] if isinstance(p, (tuple, list)) else p
        if name not in _AVAILABLE_PROVIDERS:
            raise ValueError(
                f"execution provider {name!r} is not available in onnxrt; "
                f"available providers: {', '.join(_AVAILABLE_PROVIDERS)}"
            )
        names.append(name)
    return names or [CPU_PROVIDER]


class InferenceSession:
    """Loads an ONNX model and runs it; a drop-in for onnxruntime.InferenceSession.

    ``path_or_bytes`` is a file path (str or os.PathLike), the serialized model (bytes), or an
    ``onnx.ModelProto``. Prefer the path form for models with external data: weights are then
    found next to the model file and mapped instead of copied. Bytes and ModelProto have no
    directory, so a model whose tensors live in external files is refused (InvalidArgument) unless
    it is given as a path. A ModelProto is serialized first (protobuf's 2 GiB limit applies).

    ``run`` may be called from several threads at once; the GIL is released while the engine runs.
    """

    def __init__(
        self,
        path_or_bytes,
        sess_options: SessionOptions | None = None,
        providers: Sequence[Any] | None = None,
        provider_options: Sequence[Mapping[str, Any]] | None = None,
        **kwargs: Any,
    ) -> None:
        self._model_path: str | None = None
        self._inputs: list[NodeArg] = []
        self._outputs: list[NodeArg] = []
        self._providers = _check_providers(providers)
        self._sess_options = sess_options if sess_options is not None else SessionOptions()
        native_opts = self._sess_options._to_native()

        if isinstance(path_or_bytes, (str, os.PathLike)):
            self._model_path = os.fspath(path_or_bytes)
            self._sess = _onnxrt.Session.load(self._model_path, native_opts)
        elif isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
            self._sess = _onnxrt.Session.load_bytes(bytes(path_or_bytes), native_opts, "")
        elif hasattr(path_or_bytes, "SerializeToString"):
            self._sess = _onnxrt.Session.load_bytes(path_or_bytes.SerializeToString(), native_opts, "")
        else:
            raise TypeError(
                "InferenceSession expects a model path, bytes or an onnx.ModelProto, "
                f"got {type(path_or_bytes).__name__}"
            )

        self._inputs = [self._node_arg(v) for v in self._sess.inputs()]
        self._outputs = [self._node_arg(v) for v in self._sess.outputs()]
        self._input_codes = {a.name: a._dtype_code for a in self._inputs}
        self._input_types = {a.name: a.type for a in self._inputs}
        # run() hands a dict of arrays straight to the engine unless an input takes a sequence,
        # optional or map, whose values need encoding here.
        self._arrays_only = not any(t.startswith(("seq(", "optional(", "map(")) for t in self._input_types.values())
        self._metadata = ModelMetadata(self._sess.metadata())

    @staticmethod
    def _node_arg(v: Mapping[str, Any]) -> NodeArg:
        return NodeArg(v["name"], v["type"], v["shape"], v["dtype"])

    def get_inputs(self) -> list[NodeArg]:
        """The model's inputs (initializers excluded), in graph order."""
        return list(self._inputs)

    def get_outputs(self) -> list[NodeArg]:
        """The model's outputs, in graph order."""
        return list(self._outputs)

    def get_overridable_initializers(self) -> list[NodeArg]:
        """Always empty: onnxrt does not let feeds replace initializers."""
        return []

    def get_modelmeta(self) -> ModelMetadata:
        """The model's metadata (producer, version, custom metadata map...)."""
        return self._metadata

    def get_providers(self) -> list[str]:
        """The execution providers of this session (``CPUExecutionProvider``)."""
        return list(self._providers)

    def get_provider_options(self) -> dict[str, dict]:
        """Options per provider; onnxrt's CPU provider has none."""
        return {p: {} for p in self._providers}

    def get_session_options(self) -> SessionOptions:
        """The SessionOptions the session was created with."""
        return self._sess_options

    def set_providers(self, providers: Sequence[Any] | None = None,
                      provider_options: Sequence[Mapping[str, Any]] | None = None) -> None:
        """Checks the providers as the constructor does (only the CPU provider exists)."""
        self._providers = _check_providers(providers)

    def run(
        self,
        output_names: Iterable[str] | None,
        input_feed: Mapping[str, Any],
        run_options: RunOptions | None = None,
    ) -> list[Any]:
        """Runs the model; returns the requested outputs (all when ``output_names`` is None or
        empty) in the requested order: numpy arrays for tensors, lists for sequences, dicts for
        maps and None for an empty optional, as onnxruntime does. A sequence input takes a list
        of arrays and an optional input takes None."""
        if self._arrays_only and type(input_feed) is dict:
            # The common call: numpy arrays in, arrays out, without encoding them here. None
            # means some feed or name needs the general path below.
            out = self._sess.run_arrays(input_feed, output_names)
            if out is not None:
                return [x if type(x) is np.ndarray else _decode_value(x) for x in out]
        if not isinstance(input_feed, Mapping):
            raise TypeError(f"input_feed must be a dict of name -> array, got {type(input_feed).__name__}")
        if isinstance(output_names, str):
            raise TypeError("output_names must be a list of names or None, got a str")
        names = [] if output_names is None else [str(n) for n in output_names]
        feeds = [self._feed(str(name), value) for name, value in input_feed.items()]
        results = self._sess.run(feeds, names)
        return [_decode_value(item) for item in results]

    def run_with_intermediates(self, input_feed: Mapping[str, Any]) -> dict[str, Any]:
        """Runs the model and returns every value a node computed, ``{value name: value}`` in
        execution order (graph outputs included), for debugging.

        Only values of the graph as optimized are visible: constant folding and fusions remove
        some. Load the session with ``graph_optimization_level = ORT_DISABLE_ALL`` to see every
        value of the model as written (``onnxrt compare`` does)."""
        if not isinstance(input_feed, Mapping):
            raise TypeError(f"input_feed must be a dict of name -> array, got {type(input_feed).__name__}")
        feeds = [self._feed(str(name), value) for name, value in input_feed.items()]
        return {name: _decode_value(item) for name, item in self._sess.run_with_intermediates(feeds)}

    def end_profiling(self) -> str:
        """Writes the profile (a Chrome-trace JSON file) and returns its path, as onnxruntime;
        profiling stops. Returns "" when the session was not created with enable_profiling."""
        return self._sess.end_profiling()

    def get_profiling_start_time_ns(self) -> int:
        """When profiling started, in nanoseconds since the Unix epoch (0 without profiling)."""
        return self._sess.profiling_start_time_ns()

    def _feed(self, name: str, value):
        type_str = self._input_types.get(name, "")
        if type_str.startswith(("seq(", "optional(", "map(")):
            return (name, _encode_value(name, value, type_str))
        return _convert.to_feed(name, value, self._input_codes.get(name))

    def run_with_ort_values(self, *args: Any, **kwargs: Any) -> list[Any]:  # pragma: no cover - explicit refusal
        """Not supported: onnxrt has no OrtValue. Raises NotImplementedError."""
        raise NotImplementedError("onnxrt has no OrtValue; use run() with numpy arrays")

    def __repr__(self) -> str:
        src = self._model_path or "<bytes>"
        return f"InferenceSession({src!r}, inputs={[a.name for a in self._inputs]})"


# ---- values that are not tensors (the encoding is described at the top of bindings.cc)

_NAME_TO_CODE = {name: code for code, name in _convert._CODE_NAMES.items()}


def _inner_type(type_str: str, prefix: str) -> str:
    return type_str[len(prefix) : -1]


def _tensor_code(type_str: str) -> int | None:
    if type_str.startswith("tensor(") and type_str.endswith(")"):
        return _NAME_TO_CODE.get(_inner_type(type_str, "tensor("))
    return None


def _encode_value(name: str, value, type_str: str):
    """A feed for the declared ONNX type: None for an empty optional, ("seq", [...]) for a
    sequence, ("map", keys, values) for a map, (code, payload) for a tensor."""
    if type_str.startswith("optional("):
        return None if value is None else _encode_value(name, value, _inner_type(type_str, "optional("))
    if value is None:
        from . import InvalidArgument

        raise InvalidArgument(f"input '{name}' is None but its type {type_str} is not optional")
    if type_str.startswith("seq("):
        if isinstance(value, np.ndarray) or not isinstance(value, (list, tuple)):
            from . import InvalidArgument

            raise InvalidArgument(
                f"input '{name}' has type {type_str}: pass a list of arrays, got {type(value).__name__}"
            )
        elem = _inner_type(type_str, "seq(")
        return ("seq", [_encode_value(f"{name}[{i}]", v, elem) for i, v in enumerate(value)])
    if type_str.startswith("map("):
        if not isinstance(value, Mapping):
            from . import InvalidArgument

            raise InvalidArgument(f"input '{name}' has type {type_str}: pass a dict, got {type(value).__name__}")
        key_name, _, value_type = _inner_type(type_str, "map(").partition(",")
        keys = np.asarray(list(value.keys()), dtype=object if key_name == "string" else np.int64)
        key_feed = _convert.to_feed(name, keys, _NAME_TO_CODE.get(key_name))
        value_feed = _convert.to_feed(name, list(value.values()), _tensor_code(value_type))
        return ("map", key_feed[1:], value_feed[1:])
    _, code, payload = _convert.to_feed(name, value, _tensor_code(type_str))
    return (code, payload)


def _decode_value(item):
    if item is None:
        return None
    if isinstance(item[0], str):
        if item[0] == "seq":
            return [_decode_value(x) for x in item[1]]
        if item[0] == "map":
            keys = _decode_value(item[1])
            values = _decode_value(item[2])
            return dict(zip(keys.tolist(), values.tolist()))
    code, shape, payload = item
    return _convert.from_output(code, shape, payload)
