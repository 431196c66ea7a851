// The float32 Conv machinery of nn_conv.cc, exported for the 16-bit Conv (nn_conv_half.cc), which
// widens its input a band at a time and runs these same packed GEMMs and depthwise microkernels
// on the float32 band; so both dtypes share one blocking, one packing and one epilogue.
#pragma once

#include <cstdint>
#include <optional>

#include "kernels/cpu/fused_epilogue.h"
#include "kernels/cpu/nn_common.h"
#include "kernels/ukernels/gemm/sgemm.h"
#include "kernels/ukernels/nn/ukernels.h"

namespace onnxrt {
class ThreadPool;
}

namespace onnxrt::kernels::conv_impl {

// The SGEMM microkernel for this CPU (AVX-512, AVX2+FMA or scalar).
ukernels::SgemmUkernel pick_sgemm_ukernel();

// W[G*Mg, K] (float32) packed into the microkernel's A layout, G*Mg*K floats at `out`.
void pack_conv_weights(const float* w, int64_t G, int64_t Mg, int64_t K, int64_t mr, float* out);

// True when the conv is a 1x1, stride-1, unpadded one (B is X itself).
bool conv_is_pointwise(const nn::ConvGeom& g);

// One (image, group) GEMM on float32 X [Cg, in_size] into float32 Y [Mg, out_size], with the
// epilogue applied per tile; `pool` may be null (one thread). `wp` is the group's packed W.
void conv_gemm_item(const ukernels::SgemmUkernel& uk, const nn::ConvGeom& g, const float* x, bool pointwise,
                    const float* wp, float* y, const fused::Epilogue& epi, ThreadPool* pool);

// The depthwise microkernel's arguments for a 2-D conv (clamps folded in when there is no Z).
ukernels::DwConv2dArgs conv_dw_args(const nn::ConvGeom& g, const ir::FusedActivation& act, bool has_z);

// The conv attributes read at create time when the spatial rank is known (empty otherwise: the
// kernel reads them at run time); an error names the node.
Expected<std::optional<nn::ConvAttrs>> conv_attrs_at_create(const KernelInit& init);

}  // namespace onnxrt::kernels::conv_impl
