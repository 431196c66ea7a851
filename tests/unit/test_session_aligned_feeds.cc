// A feed that does not start on a 64-byte boundary and is X of a 1x1 conv gets an aligned copy
// before the run (session.cc inputs_read_in_place_by_convs): numpy's arrays start 16 bytes past
// one. Whatever the feed's address, the outputs must be the same bits, the feed must stay as it
// was, and an output that is the input itself must not share the copy or the feed.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "kernels/harness.h"
#include "onnx/model_io.h"
#include "onnxrt/session.h"

namespace onnxrt::testing {
namespace {

// x[1, 16, 32, 32] (64 KB); p = Conv1x1(x) [8 channels], q = Conv3x3(x, pad 1), i = Identity(x).
std::unique_ptr<Session> load_session(std::mt19937& rng) {
  auto g = std::make_unique<ir::Graph>();
  g->opset_imports.push_back({"", 18});
  EXPECT_TRUE(g->add_input("x", ir::ValueType::tensor(DType::kFloat32, to_sym_shape(Shape{1, 16, 32, 32}))));
  EXPECT_TRUE(g->add_initializer("w1", random_tensor(DType::kFloat32, {8, 16, 1, 1}, rng)));
  EXPECT_TRUE(g->add_initializer("w3", random_tensor(DType::kFloat32, {8, 16, 3, 3}, rng)));
  auto add = [&](ir::Node n, std::vector<std::string> in, std::vector<std::string> out) {
    auto r = g->add_node(std::move(n), in, out);
    EXPECT_TRUE(r) << r.status().to_string();
  };
  add(NodeBuilder("Conv", 11).build(), {"x", "w1"}, {"p"});
  add(NodeBuilder("Conv", 11).attr_ints("pads", {1, 1, 1, 1}).build(), {"x", "w3"}, {"q"});
  add(NodeBuilder("Identity", 16).build(), {"x"}, {"i"});
  for (const char* o : {"p", "q", "i"}) EXPECT_TRUE(g->add_output(o).is_ok());
  auto bytes = onnx::save_model(*g, ModelMetadata{});
  EXPECT_TRUE(bytes) << bytes.status().to_string();
  auto s = Session::load_bytes(bytes->data(), bytes->size());
  EXPECT_TRUE(s) << s.status().to_string();
  return s ? std::move(*s) : nullptr;
}

TEST(SessionAlignedFeeds, MisalignedFeedsGiveTheAlignedRunsBits) {
  std::mt19937 rng(7);
  auto session = load_session(rng);
  ASSERT_TRUE(session);
  const Tensor x = random_tensor(DType::kFloat32, {1, 16, 32, 32}, rng);
  auto want = session->run({{"x", x}}, {});
  ASSERT_TRUE(want) << want.status().to_string();
  const size_t bytes = static_cast<size_t>(x.nbytes());
  std::shared_ptr<char> buffer(static_cast<char*>(std::aligned_alloc(64, bytes + 64)), std::free);
  for (size_t offset : {4, 16, 32, 48, 0}) {
    SCOPED_TRACE("feed " + std::to_string(offset) + " bytes past 64");
    char* at = buffer.get() + offset;
    std::memcpy(at, x.raw(), bytes);
    const Tensor feed = Tensor::borrow(DType::kFloat32, x.shape(), at, buffer);
    for (int run = 0; run < 2; ++run) {
      auto got = session->run({{"x", feed}}, {});
      ASSERT_TRUE(got) << got.status().to_string();
      ASSERT_EQ(got->size(), want->size());
      for (size_t o = 0; o < got->size(); ++o) {
        const Tensor& a = (*got)[o].tensor();
        const Tensor& b = (*want)[o].tensor();
        ASSERT_EQ(a.shape(), b.shape());
        EXPECT_EQ(std::memcmp(a.raw(), b.raw(), static_cast<size_t>(a.nbytes())), 0) << "output " << o;
      }
      const Tensor& identity = (*got)[2].tensor();
      EXPECT_NE(identity.raw(), static_cast<const void*>(at));  // the caller's own copy
      EXPECT_EQ(std::memcmp(at, x.raw(), bytes), 0);            // the feed is untouched
    }
  }
}

}  // namespace
}  // namespace onnxrt::testing
