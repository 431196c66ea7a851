// libFuzzer target: the wire-format reader and writer on arbitrary bytes. Anything but a clean
// error or a successful parse (a crash, an out-of-bounds read, a leak, a hang) is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_targets.h"
#include "onnx/model_io.h"

namespace onnxrt::fuzz {

int reader_one_input(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto round = onnxrt::onnx::proto_roundtrip(bytes);
  if (round) {
    // What we write must read back: a writer bug would show here.
    auto again = onnxrt::onnx::proto_roundtrip(*round);
    if (!again || *again != *round) __builtin_trap();
  }
  return 0;
}

}  // namespace onnxrt::fuzz

#ifndef ONNXRT_FUZZ_NO_ENTRY_POINT
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return onnxrt::fuzz::reader_one_input(data, size);
}
#endif
