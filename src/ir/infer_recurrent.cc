// Placeholder until the recurrent family lands.
#include "ir/op_families.h"

namespace onnxrt::ir {

std::span<const OpInfo> recurrent_op_infos() { return {}; }

}  // namespace onnxrt::ir
