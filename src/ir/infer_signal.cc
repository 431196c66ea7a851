// Placeholder until the signal family lands.
#include "ir/op_families.h"

namespace onnxrt::ir {

std::span<const OpInfo> signal_op_infos() { return {}; }

}  // namespace onnxrt::ir
