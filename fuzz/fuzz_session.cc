// libFuzzer target: load a model from arbitrary bytes (reader, import, inference, passes, plan)
// and, when it loads, run it once on small inputs: symbolic dims bound to 1..3, zero-filled data.
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "fuzz_targets.h"
#include "onnxrt/onnxrt.h"

namespace onnxrt::fuzz {

int session_one_input(const uint8_t* data, size_t size) {
  onnxrt::SessionOptions options;
  options.intra_op_num_threads = 1;
  auto session = onnxrt::Session::load_bytes(data, size, options);
  if (!session) {
    check_not_internal(session.status());
    return 0;
  }
  std::vector<std::pair<std::string, onnxrt::Value>> feeds;
  int64_t budget = 1 << 16;  // keep runs small: the fuzzer wants many executions per second
  for (const onnxrt::ValueInfo& in : (*session)->inputs()) {
    if (in.type.rfind("tensor(", 0) != 0 || in.dtype == onnxrt::DType::kUndefined) return 0;
    onnxrt::Shape shape;
    for (size_t i = 0; i < in.shape.size(); ++i) {
      const int64_t d = in.shape[i].value >= 0 ? in.shape[i].value : 1 + static_cast<int64_t>(i % 3);
      shape.push_back(d);
    }
    int64_t n = 1;
    for (int64_t d : shape) {
      if (d > budget) return 0;  // before multiplying: declared dims may be near INT64_MAX
      n *= d;
      if (n > budget) return 0;
    }
    feeds.emplace_back(in.name, onnxrt::Tensor::allocate(in.dtype, shape));
  }
  auto outputs = (*session)->run(feeds, {});
  if (!outputs) check_not_internal(outputs.status());
  return 0;
}

}  // namespace onnxrt::fuzz

#ifndef ONNXRT_FUZZ_NO_ENTRY_POINT
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return onnxrt::fuzz::session_one_input(data, size);
}
#endif
