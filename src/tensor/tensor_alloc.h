// Tensors whose storage is not zero-filled, for the engine's own outputs: every kernel writes
// all of its outputs (docs/pipeline.md), so clearing them first is a wasted pass over memory
// (measured: an Add + Relu on 4M floats spent a quarter of its time in memset).
#pragma once

#include "onnxrt/tensor.h"

namespace onnxrt {

// Like Tensor::allocate, but the contents are undefined (strings are still empty strings).
Tensor allocate_uninitialized(DType dtype, Shape shape);

// Uninitialised, 64-byte aligned storage for data that lives as long as a session and is written
// in full right away: copies of weights and packed weights. From 2 MiB on it is a mapping of its
// own, so that freeing it (a released original, ExecutionPlan) returns the memory to the system
// at once, which a malloc heap may not do; its pages are faulted in by one madvise call
// (MADV_POPULATE_WRITE): 500 MB in 190-270 ms vs 330-390 ms for a fault per 4 KiB page
// (microbenchmark, loaded machine). Transparent huge pages took 64 ms when the kernel had free
// 2 MiB blocks at hand but up to seconds when it had not (this VM hands free 2 MiB blocks back
// to its host), which made GPT-2's session creation swing between 0.4 and 5 s: not used.
std::shared_ptr<void> allocate_weight_bytes(size_t bytes);

}  // namespace onnxrt
