"""OnnxrtBackendOptions: what torch.compile(..., backend="onnxrt", options=...) accepts."""

from __future__ import annotations

import dataclasses
from typing import Any, Iterable


@dataclasses.dataclass
class OnnxrtBackendOptions:
    """Options of the onnxrt torch.compile backend.

    Pass an instance or a dict with these keys: ``torch.compile(m, backend="onnxrt",
    options={"min_block_size": 3})``.

    intra_op_num_threads: onnxrt threads per session (0: one per core).
    graph_optimization_level: onnxrt.GraphOptimizationLevel (or its int value) for each session.
    min_block_size: a partition with fewer compute nodes than this stays in eager PyTorch
        (crossing into onnxrt costs more than a couple of small ops).
    disabled_ops: ops that must stay in PyTorch, named as the FX graph names them: a torch
        function or OpOverload object, or a string such as "relu", "torch.relu",
        "aten.relu.default", "mylib::op" or a method name "view".
    dynamic: None follows TorchDynamo (dims it marks symbolic are exported symbolic, so a new
        batch size reuses the session); False exports every shape static (one session per
        shape); True lets torch.export choose per dim (Dim.AUTO) for every dim.
    strict: raise when a partition cannot be exported or run instead of falling back to eager.
    cache_size: sessions kept per partition (least recently used dropped first).
    use_aot_autograd: None: only when gradients are needed (grad mode on and an input requires
        grad at compile time); True: always trace forward and backward with AOTAutograd and run
        both on onnxrt where the exporter can translate them; False: never.
    freeze_parameters: export module parameters and buffers as ONNX initializers (onnxrt can
        then fold and prepack them) rather than feeding them every call; an in-place change of a
        weight is detected and re-exports. Ignored under AOTAutograd.
    """

    intra_op_num_threads: int = 0
    graph_optimization_level: Any = None
    min_block_size: int = 1
    disabled_ops: Iterable[Any] = ()
    dynamic: bool | None = None
    strict: bool = False
    cache_size: int = 8
    use_aot_autograd: bool | None = None
    freeze_parameters: bool = True

    @classmethod
    def from_any(cls, options: Any) -> "OnnxrtBackendOptions":
        """An options object from None, a dict or an instance (a copy); unknown keys raise."""
        if options is None:
            return cls()
        if isinstance(options, cls):
            return dataclasses.replace(options)
        if not isinstance(options, dict):
            raise TypeError(f"onnxrt backend options must be a dict or OnnxrtBackendOptions, got {type(options).__name__}")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(options) - names)
        if unknown:
            raise ValueError(f"unknown onnxrt backend option(s) {unknown}; known: {sorted(names)}")
        out = cls(**options)
        out.validate()
        return out

    def validate(self) -> None:
        if int(self.min_block_size) < 1:
            raise ValueError(f"min_block_size must be >= 1, got {self.min_block_size}")
        if int(self.cache_size) < 1:
            raise ValueError(f"cache_size must be >= 1, got {self.cache_size}")
        if int(self.intra_op_num_threads) < 0:
            raise ValueError(f"intra_op_num_threads must be >= 0, got {self.intra_op_num_threads}")
        if isinstance(self.disabled_ops, (str, bytes)):
            self.disabled_ops = (self.disabled_ops,)
        self.disabled_ops = tuple(self.disabled_ops)
