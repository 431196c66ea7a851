// TensorProto -> Tensor conversion and external data.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>

#include "onnx/proto.h"
#include "onnx/tensor_proto.h"

namespace onnxrt::onnx {
namespace {

TensorProto make(DType dt, std::vector<int64_t> dims) {
  TensorProto p;
  p.name = "w";
  p.data_type = static_cast<int32_t>(dt);
  p.dims = std::move(dims);
  return p;
}

void expect_error(const TensorProto& p, const std::string& needle, const ExternalDataContext& ctx = {}) {
  auto t = tensor_from_proto(p, ctx);
  ASSERT_FALSE(t.has_value());
  EXPECT_NE(t.status().message().find(needle), std::string::npos) << t.status().message();
}

TEST(OnnxReaderTensor, HugeTensorInTinyBufferIsAnError) {
  TensorProto p = make(DType::kFloat32, {1000000, 1000000});
  p.raw_data = "abcd";
  p.mark(9);
  expect_error(p, "raw_data holds 4 bytes but the dims need 4000000000000");
  TensorProto q = make(DType::kFloat32, {1000000, 1000000});
  q.float_data = {1.0f};
  expect_error(q, "float_data holds 1 values");
}

TEST(OnnxReaderTensor, DimProductOverflowAndNegativeDims) {
  expect_error(make(DType::kFloat32, {int64_t{1} << 40, int64_t{1} << 40}), "more than 2^56");
  expect_error(make(DType::kFloat32, {INT64_MAX, INT64_MAX, 2}), "more than 2^56");
  expect_error(make(DType::kFloat32, {2, -3}), "negative");
  TensorProto bad = make(DType::kFloat32, {1});
  bad.data_type = 99;
  expect_error(bad, "invalid data_type 99");
}

TEST(OnnxReaderTensor, RawDataSizeMismatch) {
  TensorProto p = make(DType::kInt64, {3});
  p.raw_data = std::string_view("0123456789abcdef", 16);
  p.mark(9);
  expect_error(p, "raw_data holds 16 bytes but the dims need 24");
}

TEST(OnnxReaderTensor, TypedFields) {
  auto conv = [](const TensorProto& p) {
    auto t = tensor_from_proto(p, {});
    EXPECT_TRUE(t.has_value()) << t.status().to_string();
    return t.has_value() ? *t : Tensor();
  };
  TensorProto f = make(DType::kFloat32, {2});
  f.float_data = {1.5f, -2.0f};
  EXPECT_EQ(conv(f).data<float>()[1], -2.0f);
  TensorProto i8 = make(DType::kInt8, {3});
  i8.int32_data = {-1, 5, 127};
  Tensor t8 = conv(i8);
  EXPECT_EQ(t8.data<int8_t>()[0], -1);
  EXPECT_EQ(t8.data<int8_t>()[2], 127);
  TensorProto h = make(DType::kFloat16, {1});
  h.int32_data = {0x3c00};
  EXPECT_EQ(conv(h).data<uint16_t>()[0], 0x3c00);
  TensorProto b = make(DType::kBool, {2});
  b.int32_data = {0, 7};
  EXPECT_EQ(conv(b).data<uint8_t>()[1], 1);
  TensorProto i4 = make(DType::kInt4, {3});
  i4.int32_data = {0x21, 0x03};  // packed two per entry
  Tensor t4 = conv(i4);
  EXPECT_EQ(t4.nbytes(), 2u);
  EXPECT_EQ(t4.data<uint8_t>()[0], 0x21);
  TensorProto i64 = make(DType::kInt64, {2});
  i64.int64_data = {-7, 1LL << 40};
  EXPECT_EQ(conv(i64).data<int64_t>()[1], 1LL << 40);
  TensorProto u32 = make(DType::kUInt32, {1});
  u32.uint64_data = {4000000000u};
  EXPECT_EQ(conv(u32).data<uint32_t>()[0], 4000000000u);
  TensorProto d = make(DType::kFloat64, {1});
  d.double_data = {0.25};
  EXPECT_EQ(conv(d).data<double>()[0], 0.25);
  TensorProto c = make(DType::kComplex64, {1});
  c.float_data = {1.0f, 2.0f};
  EXPECT_EQ(conv(c).data<float>()[1], 2.0f);
  TensorProto s = make(DType::kString, {2});
  s.string_data = {"ab", std::string_view("\0x", 2)};
  Tensor ts = conv(s);
  EXPECT_EQ(ts.data<std::string>()[1], std::string("\0x", 2));
  TensorProto scalar = make(DType::kFloat32, {});
  scalar.float_data = {3.0f};
  EXPECT_EQ(conv(scalar).size(), 1);
  TensorProto empty = make(DType::kFloat32, {0, 5});
  EXPECT_EQ(conv(empty).size(), 0);
  TensorProto missing = make(DType::kInt32, {2});
  expect_error(missing, "int32_data holds 0 values");
}

TEST(OnnxReaderTensor, RawDataIsBorrowedWhenAlignedAndOwned) {
  auto owner = std::make_shared<std::vector<float>>(std::vector<float>{1, 2, 3, 4});
  TensorProto p = make(DType::kFloat32, {4});
  p.raw_data = std::string_view(reinterpret_cast<const char*>(owner->data()), 16);
  p.mark(9);
  ExternalDataContext ctx;
  ctx.buffer_owner = owner;
  auto t = tensor_from_proto(p, ctx);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->raw(), owner->data());
  // Misaligned: copied.
  std::string buf(20, '\0');
  std::memcpy(buf.data() + 1, owner->data(), 16);
  p.raw_data = std::string_view(buf.data() + 1, 16);
  auto u = tensor_from_proto(p, ctx);
  ASSERT_TRUE(u.has_value());
  EXPECT_NE(u->raw(), buf.data() + 1);
  EXPECT_EQ(u->data<float>()[3], 4.0f);
}

TEST(OnnxReaderTensor, TensorToProtoRoundTrip) {
  Tensor t = Tensor::allocate(DType::kInt16, {2, 2});
  for (int i = 0; i < 4; ++i) t.data<int16_t>()[i] = static_cast<int16_t>(i - 2);
  TensorProto p = tensor_to_proto(t, "x");
  auto bytes = serialize_tensor(p);
  auto back = parse_tensor(bytes);
  ASSERT_TRUE(back.has_value());
  auto u = tensor_from_proto(*back, {});
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->shape(), t.shape());
  EXPECT_EQ(std::memcmp(u->raw(), t.raw(), 8), 0);
  Tensor s = Tensor::allocate(DType::kString, {1});
  s.data<std::string>()[0] = "hello";
  auto sp = tensor_to_proto(s, "s");
  const std::string sbytes = serialize_tensor(sp);  // the parsed proto points into it
  auto sb = parse_tensor(sbytes);
  ASSERT_TRUE(sb.has_value());
  EXPECT_EQ(tensor_from_proto(*sb, {})->data<std::string>()[0], "hello");
}

class OnnxReaderExternal : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() / ("onnxrt_ext_" + std::to_string(::getpid()));
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_ / "model");
    std::ofstream(root_ / "model" / "w.bin", std::ios::binary).write("\0\0\x80?\0\0\0@", 8);  // 1.0f, 2.0f
    std::ofstream(root_ / "secret.bin", std::ios::binary).write("\0\0\x80?\0\0\0@", 8);
    std::filesystem::create_symlink(root_ / "secret.bin", root_ / "model" / "link.bin");
    ctx_.model_dir = (root_ / "model").string();
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  TensorProto ext(std::string_view location, std::string_view offset = {}, std::string_view length = {}) {
    TensorProto p = make(DType::kFloat32, {2});
    p.data_location = 1;
    p.mark(14);
    keep_.push_back(std::string(location));
    StringStringEntryProto e;
    e.key = "location";
    e.value = keep_.back();
    p.external_data.push_back(e);
    if (!offset.empty()) p.external_data.push_back(entry("offset", offset));
    if (!length.empty()) p.external_data.push_back(entry("length", length));
    return p;
  }
  static StringStringEntryProto entry(std::string_view k, std::string_view v) {
    StringStringEntryProto e;
    e.key = k;
    e.value = v;
    return e;
  }

  std::filesystem::path root_;
  ExternalDataContext ctx_;
  std::deque<std::string> keep_;
};

TEST_F(OnnxReaderExternal, ReadsAndBorrows) {
  auto t = tensor_from_proto(ext("w.bin", "0", "8"), ctx_);
  ASSERT_TRUE(t.has_value()) << t.status().to_string();
  EXPECT_EQ(t->data<float>()[0], 1.0f);
  EXPECT_EQ(t->data<float>()[1], 2.0f);
  auto u = tensor_from_proto(ext("w.bin"), ctx_);
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(ctx_.mapped.size(), 1u);  // one map shared by both tensors
}

TEST_F(OnnxReaderExternal, BadLocations) {
  auto check = [&](const TensorProto& p, ErrorCode code, const std::string& needle) {
    auto t = tensor_from_proto(p, ctx_);
    ASSERT_FALSE(t.has_value());
    EXPECT_EQ(t.status().code(), code) << t.status().to_string();
    EXPECT_NE(t.status().message().find(needle), std::string::npos) << t.status().message();
    EXPECT_NE(t.status().message().find("tensor 'w'"), std::string::npos) << t.status().message();
  };
  check(ext("../secret.bin"), ErrorCode::kIoError, "'..'");
  check(ext((root_ / "secret.bin").string()), ErrorCode::kIoError, "absolute");
  check(ext("link.bin"), ErrorCode::kIoError, "outside the model directory");
  check(ext("missing.bin"), ErrorCode::kIoError, "missing.bin");
  check(ext("w.bin", "100"), ErrorCode::kInvalidModel, "beyond the end of the file");
  check(ext("w.bin", "4", "8"), ErrorCode::kInvalidModel, "beyond the end of the file");
  check(ext("w.bin", "x"), ErrorCode::kInvalidModel, "non-negative integer");
  check(ext("w.bin", "4"), ErrorCode::kInvalidModel, "external data holds 4 bytes");
  ExternalDataContext none;
  auto t = tensor_from_proto(ext("w.bin"), none);
  ASSERT_FALSE(t.has_value());
  EXPECT_NE(t.status().message().find("without a model directory"), std::string::npos);
}

}  // namespace
}  // namespace onnxrt::onnx
