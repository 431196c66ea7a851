// Run-time geometry for the nn kernels (CPU and reference): attributes read once, then checked
// against the concrete input shapes on every run so that no kernel indexes out of bounds when a
// model lies about its shapes. Also declares the kernel factories of both backends.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ir/infer_nn_window.h"
#include "kernels/kernel.h"

namespace onnxrt::kernels::nn {

struct ConvAttrs {
  ir::WindowAttrs w;
  int64_t group = 1;
  bool kernel_from_attr = false;  // kernel_shape given; otherwise taken from W at run time
};

// Reads Conv's attributes for `spatial_rank` spatial dims; kernel dims default to W's.
Expected<ConvAttrs> read_conv_attrs(const ir::Node& node, size_t spatial_rank,
                                    const std::vector<int64_t>& w_spatial);

// The spatial rank that input `i` declares, if its type has a shape.
std::optional<size_t> declared_spatial_rank(const KernelInit& init, size_t i);

struct ConvGeom {
  int64_t N = 0, C = 0, M = 0, G = 1, Cg = 0, Mg = 0;
  std::vector<int64_t> in, out, kernel, stride, dil, pad_begin;
  int64_t in_size = 1, out_size = 1, kernel_size = 1;
  int64_t K() const { return Cg * kernel_size; }  // GEMM depth per group
};

// Checks X, W, B and Y against each other and the attributes. `attrs` may be empty (rank was
// unknown at create time): then the node's attributes are read here. X, W, B and Y must all have
// element type `t` (float32 unless given).
Expected<ConvGeom> conv_geometry(const KernelContext& ctx, const std::optional<ConvAttrs>& attrs,
                                 const Tensor& x, const Tensor& w, const Tensor* b,
                                 const Tensor& y, DType t = DType::kFloat32);

struct PoolGeom {
  int64_t N = 0, C = 0;
  std::vector<int64_t> in, out, kernel, stride, dil, pad_begin, pad_end;
  int64_t in_size = 1, out_size = 1;
};

// Pool geometry; `attrs` read at create time or (empty) here from the node.
Expected<PoolGeom> pool_geometry(const KernelContext& ctx, const std::optional<ir::WindowAttrs>& attrs,
                                 const Tensor& x, const Tensor& y);
// Reads a pool's window attributes (ceil_mode per the op's opset).
Expected<ir::WindowAttrs> read_pool_attrs(const ir::Node& node, size_t spatial_rank);

// "float32[1,8,4,4,8]" for error messages; "none" for a missing tensor.
std::string dtype_and_shape(const Tensor* t);

// Checks that `t` is float32 with `n` elements (per-channel parameters).
Status check_param(const KernelContext& ctx, const Tensor* t, const char* name, int64_t n);

// Softmax-style axis split: rows = prod(dims before axis), n = dims[axis] (or prod(dims from axis)
// with `coerce_2d`), inner = prod(dims after axis) (1 with coerce_2d).
struct AxisSplit {
  int64_t outer = 1, n = 1, inner = 1;
};
Expected<AxisSplit> split_at_axis(const KernelContext& ctx, const Shape& shape, int64_t axis,
                                  bool coerce_2d);

}  // namespace onnxrt::kernels::nn

namespace onnxrt::kernels {

// CPU factories (kernels/cpu/nn_*.cc).
Expected<std::unique_ptr<Kernel>> make_cpu_conv(const KernelInit& init);
// float16 / bfloat16 Conv and com.onnxrt.FusedConv, computed a band at a time in float32 (nn_conv_half.cc).
Expected<std::unique_ptr<Kernel>> make_cpu_conv_half(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_cpu_fused_conv_half(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_cpu_pool(const KernelInit& init);  // Max/Average/LpPool
Expected<std::unique_ptr<Kernel>> make_cpu_global_pool(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_cpu_batchnorm(const KernelInit& init);
// BatchNormalization on float16 / bfloat16: inference natively, training mode via the float32 bridge.
Expected<std::unique_ptr<Kernel>> make_cpu_batchnorm_half(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_cpu_layernorm(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_cpu_instancenorm(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_cpu_groupnorm(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_cpu_lpnorm(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_cpu_lrn(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_cpu_softmax(const KernelInit& init);  // + LogSoftmax, Hardmax
Expected<std::unique_ptr<Kernel>> make_cpu_dropout(const KernelInit& init);

// Reference factories (kernels/reference/nn_*.cc).
Expected<std::unique_ptr<Kernel>> make_ref_conv(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_ref_pool(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_ref_global_pool(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_ref_batchnorm(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_ref_layernorm(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_ref_instancenorm(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_ref_groupnorm(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_ref_lpnorm(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_ref_lrn(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_ref_softmax(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_ref_dropout(const KernelInit& init);

}  // namespace onnxrt::kernels
