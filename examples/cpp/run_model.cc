// A minimal program on the public C++ API: load a model, feed zeros (or a tiny built-in model
// with --self-test), run it and print the outputs.
//   onnxrt_example model.onnx
//   onnxrt_example --self-test
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "onnxrt/onnxrt.h"

namespace {

// y = Relu(x + [1, -2, 0.5]) with x: float[batch, 3], serialized by onnx.helper.
const unsigned char kTinyModel[] = {8, 8, 18, 14, 111, 110, 110, 120, 114, 116, 45, 101, 120, 97, 109, 112, 108, 101, 58, 122, 10, 19, 10, 1, 120, 10, 1, 98, 18, 1, 115, 26, 3, 97, 100, 100, 34, 3, 65, 100, 100, 10, 18, 10, 1, 115, 18, 1, 121, 26, 4, 114, 101, 108, 117, 34, 4, 82, 101, 108, 117, 18, 4, 116, 105, 110, 121, 42, 21, 8, 3, 16, 1, 34, 12, 0, 0, 128, 63, 0, 0, 0, 192, 0, 0, 0, 63, 66, 1, 98, 90, 24, 10, 1, 120, 18, 19, 10, 17, 8, 1, 18, 13, 10, 7, 18, 5, 98, 97, 116, 99, 104, 10, 2, 8, 3, 98, 24, 10, 1, 121, 18, 19, 10, 17, 8, 1, 18, 13, 10, 7, 18, 5, 98, 97, 116, 99, 104, 10, 2, 8, 3, 66, 4, 10, 0, 16, 17};

int self_test() {
  auto session = onnxrt::Session::load_bytes(kTinyModel, sizeof(kTinyModel));
  if (!session) {
    std::fprintf(stderr, "load failed: %s\n", session.status().to_string().c_str());
    return 1;
  }
  onnxrt::Tensor x = onnxrt::Tensor::allocate(onnxrt::DType::kFloat32, {2, 3});
  const float in[6] = {0.f, 0.f, 0.f, -1.f, 3.f, 1.f};
  std::memcpy(x.raw(), in, sizeof(in));
  auto out = (*session)->run({{"x", x}}, {});
  if (!out) {
    std::fprintf(stderr, "run failed: %s\n", out.status().to_string().c_str());
    return 1;
  }
  const float want[6] = {1.f, 0.f, 0.5f, 0.f, 1.f, 1.5f};
  if (!(*out)[0].is_tensor()) return std::fprintf(stderr, "output is not a tensor\n"), 1;
  const onnxrt::Tensor& y = (*out)[0].tensor();
  if (y.shape() != onnxrt::Shape{2, 3}) return std::fprintf(stderr, "wrong shape\n"), 1;
  for (int i = 0; i < 6; ++i) {
    if (std::fabs(y.data<float>()[i] - want[i]) > 1e-6f) {
      std::fprintf(stderr, "y[%d] = %g, expected %g\n", i, y.data<float>()[i], want[i]);
      return 1;
    }
  }
  std::printf("self-test passed\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--self-test") == 0) return self_test();
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s model.onnx | --self-test\n", argv[0]);
    return 2;
  }
  auto session = onnxrt::Session::load(argv[1]);
  if (!session) {
    std::fprintf(stderr, "%s\n", session.status().to_string().c_str());
    return 1;
  }
  std::vector<std::pair<std::string, onnxrt::Value>> feeds;
  for (const onnxrt::ValueInfo& in : (*session)->inputs()) {
    // Sequences start empty, optionals absent; tensors are zeros with unknown dims set to 1.
    if (in.type.rfind("seq(", 0) == 0) {
      feeds.emplace_back(in.name, onnxrt::Value::sequence({}));
      continue;
    }
    if (in.type.rfind("optional(", 0) == 0) {
      feeds.emplace_back(in.name, onnxrt::Value::none());
      continue;
    }
    onnxrt::Shape shape;
    for (const onnxrt::DimInfo& d : in.shape) shape.push_back(d.value >= 0 ? d.value : 1);
    feeds.emplace_back(in.name, onnxrt::Tensor::allocate(in.dtype, shape));
  }
  auto outputs = (*session)->run(feeds, {});
  if (!outputs) {
    std::fprintf(stderr, "%s\n", outputs.status().to_string().c_str());
    return 1;
  }
  for (size_t i = 0; i < outputs->size(); ++i) {
    const onnxrt::Value& v = (*outputs)[i];
    if (!v.is_tensor()) {
      std::printf("%s: %s\n", (*session)->outputs()[i].name.c_str(), v.describe().c_str());
      continue;
    }
    const onnxrt::Tensor& t = v.tensor();
    std::string dims;
    for (int64_t d : t.shape()) dims += (dims.empty() ? "" : "x") + std::to_string(d);
    std::printf("%s: %s [%s]\n", (*session)->outputs()[i].name.c_str(),
                std::string(onnxrt::dtype_name(t.dtype())).c_str(), dims.c_str());
  }
  return 0;
}
