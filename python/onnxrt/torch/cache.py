"""The sessions of one partition: one per input signature, in a bounded LRU.

The signature holds what an exported ONNX model is specialized to: each tensor input's dtype and
rank, and the sizes of the dims that are static. Dims that TorchDynamo marked symbolic are left
out of the key, because they are exported symbolic, so a new batch size finds the same session.
torch.export may still specialize such a dim (Dim.AUTO); the entry then carries checks of the
sizes its model fixed, and a call that fails them exports another entry under the same key.
"""

from __future__ import annotations

import collections
import dataclasses
from typing import Any, Hashable


@dataclasses.dataclass
class SessionEntry:
    session: Any  # onnxrt.InferenceSession (kept for introspection)
    native: Any  # its _onnxrt.Session, run directly to skip the dict-based feed path
    input_names: list[str]
    input_positions: list[int]  # which call arguments are fed, in input_names order
    fixed_sizes: list[tuple[int, int, int]]  # (argument position, dim, size) the model fixed
    onnx_ops: list[str]
    symbolic_inputs: list[tuple[str, list[Any]]]  # (input name, ONNX shape) for explain()

    def accepts(self, args: tuple) -> bool:
        return all(args[pos].shape[dim] == size for pos, dim, size in self.fixed_sizes)


class SessionCache:
    """Least-recently-used map signature -> SessionEntry, at most ``capacity`` entries."""

    def __init__(self, capacity: int):
        self.capacity = max(1, int(capacity))
        self._entries: collections.OrderedDict[int, tuple[Hashable, SessionEntry]] = collections.OrderedDict()
        self._next_id = 0
        self.evictions = 0

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, key: Hashable, args: tuple) -> SessionEntry | None:
        for entry_id, (k, entry) in reversed(self._entries.items()):
            if k == key and entry.accepts(args):
                self._entries.move_to_end(entry_id)
                return entry
        return None

    def insert(self, key: Hashable, entry: SessionEntry) -> None:
        self._entries[self._next_id] = (key, entry)
        self._next_id += 1
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)
            self.evictions += 1

    def clear(self) -> None:
        self._entries.clear()

    def entries(self) -> list[SessionEntry]:
        return [e for _, e in self._entries.values()]
