// Tensor-family kernels: Einsum (CPU contraction chain vs the summation-loop reference over many
// equations), and pinned values for the ops whose CPU and reference kernels are one function
// (Trilu, NonZero, OneHot, Compress, Unique, EyeLike, ReverseSequence, TensorScatter, Col2Im,
// Det, Tile-1).
#include <random>

#include "kernels/harness.h"

namespace onnxrt::testing {
namespace {

using kernels::Backend;

Tensor i64(Shape s, std::vector<int64_t> v) { return make_tensor<int64_t>(DType::kInt64, s, v); }
Tensor f32(Shape s, std::vector<float> v) { return make_tensor<float>(DType::kFloat32, s, v); }
Tensor boolean(Shape s, std::vector<bool> v) {
  Tensor t = Tensor::allocate(DType::kBool, std::move(s));
  for (int64_t i = 0; i < t.size(); ++i) t.data<bool>()[i] = v[static_cast<size_t>(i)];
  return t;
}
std::vector<float> floats(const Tensor& t) { return {t.data<float>(), t.data<float>() + t.size()}; }
std::vector<int64_t> ints(const Tensor& t) { return {t.data<int64_t>(), t.data<int64_t>() + t.size()}; }

std::vector<Tensor> run(const ir::Node& n, const std::vector<Tensor>& in, size_t outs = 1) {
  auto out = run_node(Backend::kCpu, n, in, outs);
  EXPECT_TRUE(out.has_value()) << out.status().to_string();
  if (!out.has_value()) return std::vector<Tensor>(outs);
  return *out;
}

TEST(TensorMiscKernels, EinsumMatchesReference) {
  std::mt19937 rng(21);
  struct Case {
    const char* eq;
    std::vector<Shape> shapes;
  };
  const Case cases[] = {
      {"ij,jk->ik", {{3, 4}, {4, 5}}},
      {"ij,jk->ik", {{0, 4}, {4, 5}}},
      {"ij,jk->ik", {{3, 0}, {0, 5}}},  // empty contraction: zeros
      {"ij,jk->ik", {{64, 70}, {70, 80}}},
      {"bij,bjk->bik", {{2, 3, 4}, {2, 4, 5}}},
      {"ij,kj->ik", {{3, 4}, {5, 4}}},
      {"ii->i", {{4, 4}}},
      {"ii", {{4, 4}}},
      {"ij->", {{3, 5}}},
      {"ij->ji", {{3, 5}}},
      {"ij", {{3, 5}}},
      {"i,i", {{7}, {7}}},
      {"i,j->ij", {{3}, {4}}},
      {"ij,ij->ij", {{3, 4}, {3, 4}}},
      {"...ij,...jk->...ik", {{2, 1, 3, 4}, {5, 4, 2}}},
      {"...ii->...i", {{2, 3, 3}}},
      {"b...,b...->b", {{3, 2, 2}, {3, 2, 2}}},
      {"abc,cd,de->abe", {{2, 3, 4}, {4, 5}, {5, 6}}},
      {"bii->bi", {{3, 4, 4}}},
      {"iij,jk", {{3, 3, 4}, {4, 2}}},
      {"bn,anm,bm->ba", {{2, 3}, {4, 3, 5}, {2, 5}}},
      {"ab,cd->", {{2, 3}, {4, 5}}},
      {" i j , j k -> i k ", {{2, 3}, {3, 2}}},
      // Operands read in place by sgemm: transposed A, attention's transposed K over 6 heads
      // (one product per task), and P V.
      {"ji,jk->ik", {{4, 3}, {4, 5}}},
      {"bhqd,bhkd->bhqk", {{2, 3, 5, 4}, {2, 3, 6, 4}}},
      {"bhkq,bhkd->bhqd", {{2, 3, 6, 5}, {2, 3, 6, 4}}},
      {"bhqk,bhkd->bhqd", {{1, 2, 33, 17}, {1, 2, 17, 40}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.eq);
    auto node = NodeBuilder("Einsum", 12).attr_s("equation", c.eq).build();
    std::vector<Tensor> in;
    for (const Shape& s : c.shapes) in.push_back(random_tensor(DType::kFloat32, s, rng));
    expect_matches_reference(node, in, 1, 1e-4, 1e-4);
  }
  // Other dtypes take the summation loop in both tables.
  auto mm = NodeBuilder("Einsum", 12).attr_s("equation", "ij,jk").build();
  for (DType t : {DType::kFloat64, DType::kInt32, DType::kFloat16, DType::kBFloat16})
    expect_matches_reference(mm, {random_tensor(t, {3, 4}, rng, -3, 3), random_tensor(t, {4, 2}, rng, -3, 3)}, 1,
                             1e-2, 1e-2);
}

TEST(TensorMiscKernels, EinsumPinnedValuesAndErrors) {
  Tensor a = f32({2, 2}, {1, 2, 3, 4}), b = f32({2, 2}, {5, 6, 7, 8});
  auto mm = run(NodeBuilder("Einsum", 12).attr_s("equation", "ij,jk->ik").build(), {a, b});
  EXPECT_EQ(floats(mm[0]), (std::vector<float>{19, 22, 43, 50}));
  EXPECT_EQ(floats(run(NodeBuilder("Einsum", 12).attr_s("equation", "ii").build(), {a})[0]),
            (std::vector<float>{5}));
  EXPECT_EQ(floats(run(NodeBuilder("Einsum", 12).attr_s("equation", "ii->i").build(), {a})[0]),
            (std::vector<float>{1, 4}));
  EXPECT_EQ(floats(run(NodeBuilder("Einsum", 12).attr_s("equation", "ij->j").build(), {a})[0]),
            (std::vector<float>{4, 6}));
  for (const char* bad : {"ij,jk->iz", "ij->ii", "ijk,jk->ik", "i.j->i", "ij"}) {
    SCOPED_TRACE(bad);
    const bool two = std::string(bad) != "i.j->i" && std::string(bad) != "ij";
    std::vector<Tensor> in = {a};
    if (two) in.push_back(b);
    if (std::string(bad) == "ij") in.push_back(b);  // one term, two inputs
    auto out = run_node(Backend::kCpu, NodeBuilder("Einsum", 12).attr_s("equation", bad).build(), in, 1);
    EXPECT_FALSE(out.has_value());
  }
}

TEST(TensorMiscKernels, TriluNonZeroOneHot) {
  std::vector<float> x(12);
  for (int i = 0; i < 12; ++i) x[static_cast<size_t>(i)] = static_cast<float>(i);
  Tensor m = f32({3, 4}, x);
  EXPECT_EQ(floats(run(NodeBuilder("Trilu", 14).build(), {m})[0]),
            (std::vector<float>{0, 1, 2, 3, 0, 5, 6, 7, 0, 0, 10, 11}));
  EXPECT_EQ(floats(run(NodeBuilder("Trilu", 14).attr_i("upper", 0).build(), {m, i64({}, {-1})})[0]),
            (std::vector<float>{0, 0, 0, 0, 4, 0, 0, 0, 8, 9, 0, 0}));
  EXPECT_EQ(floats(run(NodeBuilder("Trilu", 14).build(), {m, i64({}, {9})})[0]), std::vector<float>(12, 0.0f));

  auto nz = run(NodeBuilder("NonZero", 13).build(), {boolean({2, 2}, {true, false, true, true})});
  EXPECT_EQ(nz[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(ints(nz[0]), (std::vector<int64_t>{0, 1, 1, 0, 0, 1}));
  auto nz0 = run(NodeBuilder("NonZero", 13).build(), {f32({0, 3}, {})});
  EXPECT_EQ(nz0[0].shape(), (Shape{2, 0}));

  Tensor vals = f32({2}, {0, 5});
  EXPECT_EQ(floats(run(NodeBuilder("OneHot", 11).build(), {i64({3}, {0, -1, 3}), f32({}, {3}), vals})[0]),
            (std::vector<float>{5, 0, 0, 0, 0, 5, 0, 0, 0}));
  EXPECT_EQ(floats(run(NodeBuilder("OneHot", 11).attr_i("axis", 0).build(),
                       {i64({3}, {0, -1, 3}), f32({}, {3}), vals})[0]),
            (std::vector<float>{5, 0, 0, 0, 0, 0, 0, 5, 0}));
}

TEST(TensorMiscKernels, CompressUniqueEyeLike) {
  Tensor x = f32({3, 2}, {1, 2, 3, 4, 5, 6});
  auto c0 = run(NodeBuilder("Compress", 11).attr_i("axis", 0).build(), {x, boolean({3}, {false, true, true})});
  EXPECT_EQ(c0[0].shape(), (Shape{2, 2}));
  EXPECT_EQ(floats(c0[0]), (std::vector<float>{3, 4, 5, 6}));
  auto c1 = run(NodeBuilder("Compress", 11).attr_i("axis", -1).build(), {x, boolean({1}, {true})});
  EXPECT_EQ(floats(c1[0]), (std::vector<float>{1, 3, 5}));
  auto cf = run(NodeBuilder("Compress", 11).build(), {x, boolean({5}, {false, true, false, false, true})});
  EXPECT_EQ(floats(cf[0]), (std::vector<float>{2, 5}));

  auto u = run(NodeBuilder("Unique", 11).attr_i("sorted", 0).build(), {f32({6}, {2, 1, 1, 3, 4, 3})}, 4);
  EXPECT_EQ(floats(u[0]), (std::vector<float>{2, 1, 3, 4}));
  EXPECT_EQ(ints(u[1]), (std::vector<int64_t>{0, 1, 3, 4}));
  EXPECT_EQ(ints(u[2]), (std::vector<int64_t>{0, 1, 1, 2, 3, 2}));
  EXPECT_EQ(ints(u[3]), (std::vector<int64_t>{1, 2, 2, 1}));
  auto us = run(NodeBuilder("Unique", 11).build(), {f32({2, 2}, {1, 3, 2, 3})}, 4);
  EXPECT_EQ(floats(us[0]), (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(ints(us[1]), (std::vector<int64_t>{0, 2, 1}));
  EXPECT_EQ(ints(us[2]), (std::vector<int64_t>{0, 2, 1, 2}));
  auto ua = run(NodeBuilder("Unique", 11).attr_i("axis", 0).build(),
                {f32({3, 3}, {1, 0, 0, 1, 0, 0, 2, 3, 4})}, 4);
  EXPECT_EQ(ua[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(floats(ua[0]), (std::vector<float>{1, 0, 0, 2, 3, 4}));
  EXPECT_EQ(ints(ua[1]), (std::vector<int64_t>{0, 2}));
  EXPECT_EQ(ints(ua[2]), (std::vector<int64_t>{0, 0, 1}));
  EXPECT_EQ(ints(ua[3]), (std::vector<int64_t>{2, 1}));
  Tensor strs = Tensor::allocate(DType::kString, {3});
  strs.data<std::string>()[0] = "b";
  strs.data<std::string>()[1] = "a";
  strs.data<std::string>()[2] = "b";
  auto ustr = run(NodeBuilder("Unique", 11).build(), {strs}, 1);
  ASSERT_EQ(ustr[0].size(), 2);
  EXPECT_EQ(ustr[0].data<std::string>()[0], "a");

  auto eye = run(NodeBuilder("EyeLike", 9).attr_i("k", 1).attr_i("dtype", 7).build(), {f32({3, 4}, std::vector<float>(12))});
  EXPECT_EQ(eye[0].dtype(), DType::kInt64);
  EXPECT_EQ(ints(eye[0]), (std::vector<int64_t>{0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}));
}

TEST(TensorMiscKernels, ReverseSequenceTensorScatterCol2ImDetTile1) {
  std::vector<float> v(16);
  for (int i = 0; i < 16; ++i) v[static_cast<size_t>(i)] = static_cast<float>(i);
  auto rs = run(NodeBuilder("ReverseSequence", 10).attr_i("time_axis", 0).attr_i("batch_axis", 1).build(),
                {f32({4, 4}, v), i64({4}, {4, 3, 2, 1})});
  EXPECT_EQ(floats(rs[0]), (std::vector<float>{12, 9, 6, 3, 8, 5, 2, 7, 4, 1, 10, 11, 0, 13, 14, 15}));
  auto bad = run_node(Backend::kCpu, NodeBuilder("ReverseSequence", 10).build(), {f32({4, 4}, v), i64({4}, {5, 1, 1, 1})}, 1);
  EXPECT_FALSE(bad.has_value());

  Tensor past = f32({1, 4, 2}, std::vector<float>(8, 0.0f));
  Tensor upd = f32({1, 2, 2}, {1, 2, 3, 4});
  auto ts = run(NodeBuilder("TensorScatter", 24).build(), {past, upd, i64({1}, {1})});
  EXPECT_EQ(floats(ts[0]), (std::vector<float>{0, 0, 1, 2, 3, 4, 0, 0}));
  auto tc = run(NodeBuilder("TensorScatter", 24).attr_s("mode", "circular").build(), {past, upd, i64({1}, {3})});
  EXPECT_EQ(floats(tc[0]), (std::vector<float>{3, 4, 0, 0, 0, 0, 1, 2}));
  auto tl = run_node(Backend::kCpu, NodeBuilder("TensorScatter", 24).build(), {past, upd, i64({1}, {3})}, 1);
  EXPECT_FALSE(tl.has_value());  // linear writes past the end of the cache

  auto ci = run(NodeBuilder("Col2Im", 18).build(), {f32({1, 2, 2}, {1, 2, 3, 4}), i64({1}, {3}), i64({1}, {2})});
  EXPECT_EQ(ci[0].shape(), (Shape{1, 1, 3}));
  EXPECT_EQ(floats(ci[0]), (std::vector<float>{1, 5, 4}));
  // 2-D with stride 2 and padding 1: each of the 4 blocks of a 2x2 kernel lands on one pixel.
  auto c2 = run(NodeBuilder("Col2Im", 18).attr_ints("strides", {2, 2}).attr_ints("pads", {1, 1, 1, 1}).build(),
                {f32({1, 4, 4}, std::vector<float>(16, 1.0f)), i64({2}, {2, 2}), i64({2}, {2, 2})});
  EXPECT_EQ(floats(c2[0]), (std::vector<float>{1, 1, 1, 1}));

  auto det = run(NodeBuilder("Det", 11).build(), {f32({2, 2, 2}, {1, 2, 3, 4, 0, 1, 1, 0})});
  EXPECT_EQ(det[0].shape(), (Shape{2}));
  EXPECT_NEAR(det[0].data<float>()[0], -2.0f, 1e-6);
  EXPECT_NEAR(det[0].data<float>()[1], -1.0f, 1e-6);
  auto d3 = run(NodeBuilder("Det", 11).build(), {f32({3, 3}, {2, 0, 0, 0, 3, 0, 1, 1, 4})});
  EXPECT_NEAR(d3[0].data<float>()[0], 24.0f, 1e-5);

  // Tile-1: (input, tiles, axis).
  auto t1 = run(NodeBuilder("Tile", 1).build(), {f32({2}, {1, 2}), i64({}, {3}), i64({}, {0})});
  EXPECT_EQ(floats(t1[0]), (std::vector<float>{1, 2, 1, 2, 1, 2}));
}

// Concat of narrow rows (a classifier's score columns side by side) takes a row-by-row path; wide
// rows the range walk. Both against the reference, over element sizes, piece widths and enough
// rows for both threads; strings always take the walk.
TEST(TensorMiscKernels, ConcatNarrowAndWideRowsMatchReference) {
  std::mt19937 rng(31);
  for (DType dt : {DType::kFloat32, DType::kInt64, DType::kUInt8, DType::kFloat16, DType::kString}) {
    for (const std::vector<int64_t>& widths : {std::vector<int64_t>{1, 1}, {1, 2, 1}, {3, 5}, {2, 40}, {7}}) {
      for (int64_t rows : {1, 3, 2001}) {
        std::vector<Tensor> in;
        for (int64_t w : widths) {
          Tensor t = random_tensor(dt == DType::kString ? DType::kFloat32 : dt, {rows, w}, rng, -50, 50);
          if (dt == DType::kString) {
            Tensor s = Tensor::allocate(DType::kString, {rows, w});
            for (int64_t i = 0; i < t.size(); ++i) s.data<std::string>()[i] = std::to_string(t.data<float>()[i]);
            t = s;
          }
          in.push_back(t);
        }
        for (int64_t axis : {1, -1}) {
          SCOPED_TRACE(std::string(dtype_name(dt)) + " rows " + std::to_string(rows) + " axis " + std::to_string(axis));
          expect_matches_reference(NodeBuilder("Concat", 13).attr_i("axis", axis).build(), in, 1, 0, 0);
        }
      }
    }
  }
}

}  // namespace
}  // namespace onnxrt::testing
