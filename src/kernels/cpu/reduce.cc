// The CPU kernel table of the reduce family. Kernels live in reduce_ops.cc (Reduce*) and
// reduce_misc.cc (ArgMax/ArgMin, TopK, CumSum/CumProd). Every factory dispatches on the element
// type itself and serves every opset version (axes as attribute or input is read from the node).
#include "kernels/cpu/reduce_common.h"
#include "kernels/kernel_families.h"

namespace onnxrt::kernels {

namespace {

constexpr DType kAny = DType::kUndefined;

const KernelEntry kCpuReduce[] = {
    {"", "ReduceSum", 1, kMaxOpset, kAny, &make_cpu_reduce},
    {"", "ReduceMean", 1, kMaxOpset, kAny, &make_cpu_reduce},
    {"", "ReduceMax", 1, kMaxOpset, kAny, &make_cpu_reduce},
    {"", "ReduceMin", 1, kMaxOpset, kAny, &make_cpu_reduce},
    {"", "ReduceProd", 1, kMaxOpset, kAny, &make_cpu_reduce},
    {"", "ReduceL1", 1, kMaxOpset, kAny, &make_cpu_reduce},
    {"", "ReduceL2", 1, kMaxOpset, kAny, &make_cpu_reduce},
    {"", "ReduceLogSum", 1, kMaxOpset, kAny, &make_cpu_reduce},
    {"", "ReduceLogSumExp", 1, kMaxOpset, kAny, &make_cpu_reduce},
    {"", "ReduceSumSquare", 1, kMaxOpset, kAny, &make_cpu_reduce},
    {"", "ArgMax", 1, kMaxOpset, kAny, &make_cpu_arg_reduce},
    {"", "ArgMin", 1, kMaxOpset, kAny, &make_cpu_arg_reduce},
    {"", "TopK", 1, kMaxOpset, kAny, &make_cpu_topk},
    {"", "CumSum", 11, kMaxOpset, kAny, &make_cpu_cumulative},
    {"", "CumProd", 26, kMaxOpset, kAny, &make_cpu_cumulative},
};

}  // namespace

std::span<const KernelEntry> cpu_reduce_kernels() { return kCpuReduce; }

}  // namespace onnxrt::kernels
