// Placeholder until the image family lands.
#include "ir/op_families.h"

namespace onnxrt::ir {

std::span<const OpInfo> image_op_infos() { return {}; }

}  // namespace onnxrt::ir
