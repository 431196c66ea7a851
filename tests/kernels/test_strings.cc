// Kernels of the strings family. The CPU table uses the reference kernels, so the pinned values
// (hand-computed or from onnx.reference) carry the weight; a small sweep checks both tables agree.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kernels/harness.h"

namespace onnxrt::testing {
namespace {

using kernels::Backend;
using Strs = std::vector<std::string>;

Tensor strs(Shape shape, const Strs& v) { return make_tensor<std::string>(DType::kString, std::move(shape), v); }

Strs to_strs(const Tensor& t) {
  Strs out;
  for (int64_t i = 0; i < t.size(); ++i) out.push_back(t.data<std::string>()[i]);
  return out;
}

std::vector<Tensor> run_both(const ir::Node& node, const std::vector<Tensor>& in, size_t outs) {
  auto cpu = run_node(Backend::kCpu, node, in, outs);
  auto ref = run_node(Backend::kReference, node, in, outs);
  EXPECT_TRUE(cpu.has_value()) << cpu.status().message();
  EXPECT_TRUE(ref.has_value()) << ref.status().message();
  if (!cpu.has_value() || !ref.has_value()) return {};
  for (size_t i = 0; i < outs; ++i) EXPECT_TRUE(tensors_close((*cpu)[i], (*ref)[i], 0, 0));
  return *cpu;
}

TEST(StringsKernels, NormalizerLowerWithStopwords) {
  auto node = NodeBuilder("StringNormalizer", 10)
                  .attr_s("case_change_action", "LOWER")
                  .attr_strings("stopwords", {"monday"})
                  .build();
  auto out = run_both(node, {strs({1, 6}, {"Monday", "tuesday", "wednesday", "Monday", "tuesday", "wednesday"})}, 1);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].shape(), (Shape{1, 4}));
  EXPECT_EQ(to_strs(out[0]), (Strs{"tuesday", "wednesday", "tuesday", "wednesday"}));
}

TEST(StringsKernels, NormalizerCaseSensitiveUpperLatin1) {
  auto node = NodeBuilder("StringNormalizer", 10)
                  .attr_s("case_change_action", "UPPER")
                  .attr_i("is_case_sensitive", 1)
                  .attr_strings("stopwords", {"monday"})
                  .build();
  auto out = run_both(node, {strs({4}, {"monday", "Monday", "caf\xc3\xa9", "x"})}, 1);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].shape(), (Shape{3}));
  EXPECT_EQ(to_strs(out[0]), (Strs{"MONDAY", "CAF\xc3\x89", "X"}));
}

TEST(StringsKernels, NormalizerAllFiltered) {
  auto node = NodeBuilder("StringNormalizer", 10).attr_strings("stopwords", {"monday"}).build();
  auto out = run_both(node, {strs({2}, {"monday", "MONDAY"})}, 1);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].shape(), (Shape{1}));
  EXPECT_EQ(to_strs(out[0]), (Strs{""}));
  auto out2 = run_both(node, {strs({1, 1}, {"Monday"})}, 1);
  ASSERT_EQ(out2.size(), 1u);
  EXPECT_EQ(out2[0].shape(), (Shape{1, 1}));
}

TEST(StringsKernels, NormalizerBadAction) {
  auto node = NodeBuilder("StringNormalizer", 10).attr_s("case_change_action", "TITLE").build();
  EXPECT_FALSE(run_node(Backend::kCpu, node, {strs({1}, {"a"})}, 1).has_value());
}

TEST(StringsKernels, ConcatBroadcast) {
  auto node = NodeBuilder("StringConcat", 20).build();
  auto out = run_both(node, {strs({2, 1}, {"a", "b"}), strs({3}, {"x", "", "zz"})}, 1);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(to_strs(out[0]), (Strs{"ax", "a", "azz", "bx", "b", "bzz"}));
  auto empty = run_both(node, {strs({0, 2}, {}), strs({2}, {"p", "q"})}, 1);
  ASSERT_EQ(empty.size(), 1u);
  EXPECT_EQ(empty[0].shape(), (Shape{0, 2}));
}

TEST(StringsKernels, ConcatSweepMatchesReference) {
  auto node = NodeBuilder("StringConcat", 20).build();
  for (auto [a, b] : std::vector<std::pair<Shape, Shape>>{{{1}, {5}}, {{4, 1, 3}, {2, 1}}, {{3}, {}}, {{0}, {1}}}) {
    auto fill = [](Shape s) {
      Tensor t = Tensor::allocate(DType::kString, std::move(s));
      for (int64_t i = 0; i < t.size(); ++i) t.data<std::string>()[i] = std::to_string(i * 7 % 5);
      return t;
    };
    expect_matches_reference(node, {fill(a), fill(b)}, 1, 0, 0);
  }
}

TEST(StringsKernels, SplitDelimiterAndMaxsplit) {
  auto node = NodeBuilder("StringSplit", 20).attr_s("delimiter", "-").attr_i("maxsplit", 1).build();
  auto out = run_both(node, {strs({3}, {"a-b-c", "", "x"})}, 2);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].shape(), (Shape{3, 2}));
  EXPECT_EQ(to_strs(out[0]), (Strs{"a", "b-c", "", "", "x", ""}));
  EXPECT_EQ(out[1].data<int64_t>()[0], 2);
  EXPECT_EQ(out[1].data<int64_t>()[1], 1);  // Python: "".split("-") == [""]
  EXPECT_EQ(out[1].data<int64_t>()[2], 1);
}

TEST(StringsKernels, SplitWhitespace) {
  auto node = NodeBuilder("StringSplit", 20).build();
  auto out = run_both(node, {strs({2, 1}, {"  hello   world ", ""})}, 2);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].shape(), (Shape{2, 1, 2}));
  EXPECT_EQ(to_strs(out[0]), (Strs{"hello", "world", "", ""}));
  EXPECT_EQ(out[1].data<int64_t>()[0], 2);
  EXPECT_EQ(out[1].data<int64_t>()[1], 0);  // Python: "".split() == []
  auto node1 = NodeBuilder("StringSplit", 20).attr_i("maxsplit", 1).build();
  auto out1 = run_both(node1, {strs({1}, {" a b  c "})}, 2);
  ASSERT_EQ(out1.size(), 2u);
  EXPECT_EQ(to_strs(out1[0]), (Strs{"a", "b  c"}));
}

TEST(StringsKernels, RegexFullMatch) {
  auto node = NodeBuilder("RegexFullMatch", 20).attr_s("pattern", "www\\.[\\w.-]+\\.\\bcom\\b").build();
  auto out = run_both(node, {strs({3}, {"www.google.com", "www.facebook.com", "www.bbc.co.uk"})}, 1);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].data<bool>()[0]);
  EXPECT_TRUE(out[0].data<bool>()[1]);
  EXPECT_FALSE(out[0].data<bool>()[2]);
  auto bad = NodeBuilder("RegexFullMatch", 20).attr_s("pattern", "(unclosed").build();
  EXPECT_FALSE(run_node(Backend::kCpu, bad, {strs({1}, {"a"})}, 1).has_value());
}

// The onnx test case tfidfvectorizer_tf_batch_onlybigrams_skip5 (values from onnx.reference).
TEST(StringsKernels, TfIdfBigramsSkip) {
  auto node = NodeBuilder("TfIdfVectorizer", 9)
                  .attr_s("mode", "TF")
                  .attr_i("min_gram_length", 2)
                  .attr_i("max_gram_length", 2)
                  .attr_i("max_skip_count", 5)
                  .attr_ints("ngram_counts", {0, 4})
                  .attr_ints("ngram_indexes", {0, 1, 2, 3, 4, 5, 6})
                  .attr_ints("pool_int64s", {2, 3, 5, 4, 5, 6, 7, 8, 6, 7})
                  .build();
  Tensor x = make_tensor<int32_t>(DType::kInt32, {2, 6}, {1, 1, 3, 3, 3, 7, 8, 6, 7, 5, 6, 8});
  auto out = run_both(node, {x}, 1);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].shape(), (Shape{2, 7}));
  const std::vector<float> want = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1};
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(out[0].data<float>()[i], want[i]) << i;
}

TEST(StringsKernels, TfIdfStringsWeighted) {
  auto node = NodeBuilder("TfIdfVectorizer", 9)
                  .attr_s("mode", "TFIDF")
                  .attr_i("min_gram_length", 1)
                  .attr_i("max_gram_length", 2)
                  .attr_ints("ngram_counts", {0, 2})
                  .attr_ints("ngram_indexes", {2, 0, 1})
                  .attr_strings("pool_strings", {"a", "b", "a", "b"})
                  .attr_floats("weights", {0.5f, 2.0f, 3.0f})
                  .build();
  // unigrams a -> 2, b -> 0; bigram (a b) -> 1. "a b a b c": a x2, b x2, ab x2.
  auto out = run_both(node, {strs({5}, {"a", "b", "a", "b", "c"})}, 1);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].shape(), (Shape{3}));
  EXPECT_FLOAT_EQ(out[0].data<float>()[0], 1.0f);
  EXPECT_FLOAT_EQ(out[0].data<float>()[1], 4.0f);
  EXPECT_FLOAT_EQ(out[0].data<float>()[2], 6.0f);
  auto idf = NodeBuilder("TfIdfVectorizer", 9)
                 .attr_s("mode", "IDF")
                 .attr_ints("ngram_counts", {0})
                 .attr_ints("ngram_indexes", {1, 0})
                 .attr_ints("pool_int64s", {7, 9})
                 .attr_floats("weights", {0.25f, 4.0f})
                 .build();
  auto o2 = run_both(idf, {make_tensor<int64_t>(DType::kInt64, {2, 3}, {7, 7, 1, 9, 9, 9})}, 1);
  ASSERT_EQ(o2.size(), 1u);
  const std::vector<float> want = {0.0f, 4.0f, 0.25f, 0.0f};
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(o2[0].data<float>()[i], want[i]) << i;
}

}  // namespace
}  // namespace onnxrt::testing
