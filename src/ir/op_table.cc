// The op table: every op that onnxrt knows, with its inference function. Built once from the
// per-family tables (ir/infer_<family>.cc).
#include <algorithm>
#include <vector>

#include "ir/op_families.h"

namespace onnxrt::ir {
namespace {

std::vector<OpInfo> build_table() {
  std::vector<OpInfo> all;
  for (auto family : {elementwise_op_infos(), linalg_op_infos(), nn_op_infos(), tensor_op_infos(),
                      reduce_op_infos(), image_op_infos(), transformer_op_infos(), loss_op_infos(),
                      recurrent_op_infos(), signal_op_infos(), quant_op_infos(),
                      control_op_infos(),
                      fused_op_infos(),
                      blocked_op_infos(),
                      strings_op_infos(),
                      random_op_infos(),
                      training_op_infos(),
                      ml_op_infos()})
    all.insert(all.end(), family.begin(), family.end());
  std::sort(all.begin(), all.end(), [](const OpInfo& a, const OpInfo& b) {
    return a.domain != b.domain ? a.domain < b.domain : a.op_type < b.op_type;
  });
  return all;
}

const std::vector<OpInfo>& table() {
  static const std::vector<OpInfo> t = build_table();
  return t;
}

}  // namespace

InferFn find_infer_fn(std::string_view domain, std::string_view op_type) {
  if (domain == "ai.onnx") domain = "";
  const auto& t = table();
  auto it = std::lower_bound(t.begin(), t.end(), std::pair(domain, op_type),
                             [](const OpInfo& a, const std::pair<std::string_view, std::string_view>& k) {
                               return a.domain != k.first ? a.domain < k.first : a.op_type < k.second;
                             });
  if (it == t.end() || it->domain != domain || it->op_type != op_type) return nullptr;
  return it->infer;
}

std::span<const OpInfo> all_op_infos() { return table(); }

}  // namespace onnxrt::ir
