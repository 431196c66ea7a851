// TensorProto <-> Tensor. The typed fields (int32_data, ...) follow the packing rules in the
// pinned onnx.proto; every size is checked against the dims before any allocation, so a tiny
// file that declares a huge tensor is an error, not an out-of-memory.
#include "onnx/tensor_proto.h"

#include <bit>
#include <cstring>

#include "tensor/sym_shape.h"
#include "tensor/tensor_alloc.h"

namespace onnxrt::onnx {
namespace {

constexpr int64_t kMaxElements = int64_t{1} << 56;

std::string count_mismatch(const std::string& who, const char* field, size_t got, uint64_t want, int64_t n) {
  return who + ": " + field + " holds " + std::to_string(got) + (std::string(field) == "raw_data" || std::string(field) == "external data" ? " bytes" : " values") +
         " but the dims need " + std::to_string(want) + " for " + std::to_string(n) + " elements";
}

// Bytes of `n` elements of `bits` each, packed (n < 2^56, bits <= 128: no overflow).
uint64_t packed_bytes(int bits, int64_t n) { return (static_cast<uint64_t>(bits) * static_cast<uint64_t>(n) + 7) / 8; }

void byteswap_elements(unsigned char* p, size_t nbytes, size_t width) {
  if (width <= 1) return;
  for (size_t i = 0; i + width <= nbytes; i += width) {
    for (size_t a = i, b = i + width - 1; a < b; ++a, --b) std::swap(p[a], p[b]);
  }
}

// Width of the unit that endianness applies to (complex numbers swap per component).
size_t swap_width(DType dt) {
  if (dt == DType::kComplex64) return 4;
  if (dt == DType::kComplex128) return 8;
  const int bits = dtype_bits(dt);
  return bits >= 8 ? static_cast<size_t>(bits / 8) : 1;
}

// The owner of one weight borrowed from a mapped file: keeps the map alive and, when the last
// tensor on the weight goes, gives its pages back (pages a reader touched count in the resident
// set like any other memory, and a released original is never read again).
class MappedWeight {
 public:
  MappedWeight(std::shared_ptr<MappedFile> file, const char* p, size_t n) : file_(std::move(file)), p_(p), n_(n) {}
  ~MappedWeight() { file_->drop_pages(p_, n_); }
  MappedWeight(const MappedWeight&) = delete;
  MappedWeight& operator=(const MappedWeight&) = delete;

 private:
  std::shared_ptr<MappedFile> file_;
  const char* p_;
  size_t n_;
};

// `file`: the mapped file that `bytes` lie in, or null (see ExternalDataContext::buffer_file).
// `may_stay_misaligned`: see tensor_from_proto.
Expected<Tensor> from_raw(DType dt, Shape shape, int64_t n, std::string_view bytes, const std::shared_ptr<void>& owner,
                          const std::shared_ptr<MappedFile>& file, const std::string& who, const char* field,
                          bool may_stay_misaligned) {
  const uint64_t want = packed_bytes(dtype_bits(dt), n);
  if (bytes.size() != want) return invalid_model(count_mismatch(who, field, bytes.size(), want, n));
  const size_t width = swap_width(dt);
  const bool aligned = reinterpret_cast<uintptr_t>(bytes.data()) % width == 0;
  // A misaligned weight that only packing kernels read stays in the file: no copy to allocate,
  // fault in and fill (GPT-2: 340 of its 500 MB). Below a page, a copy costs nothing.
  const bool in_place_misaligned = may_stay_misaligned && file && dt == DType::kFloat32 && want >= 4096;
  if (owner && (aligned || in_place_misaligned) && std::endian::native == std::endian::little && n > 0) {
    void* data = const_cast<char*>(bytes.data());
    if (file) return Tensor::borrow(dt, std::move(shape), data, std::make_shared<MappedWeight>(file, bytes.data(), want));
    return Tensor::borrow(dt, std::move(shape), data, owner);
  }
  // Every byte is overwritten: no need to clear the storage first.
  std::shared_ptr<void> storage = allocate_weight_bytes(want);
  void* data = storage.get();
  Tensor t = Tensor::borrow(dt, std::move(shape), data, std::move(storage));
  if (want > 0) std::memcpy(t.raw(), bytes.data(), want);
  if constexpr (std::endian::native == std::endian::big) {
    byteswap_elements(static_cast<unsigned char*>(t.raw()), want, width);
  }
  if (file) file->drop_pages(bytes.data(), want);
  return t;
}

template <typename Src, typename Dst>
void convert_into(const std::vector<Src>& src, Tensor& t) {
  Dst* d = t.data<Dst>();
  for (size_t i = 0; i < src.size(); ++i) d[i] = static_cast<Dst>(src[i]);
}

// int32_data for the types narrower than 32 bits. Each entry holds 1, 2 or 4 elements as one
// byte (8-bit and packed 4/2-bit types) or one element (16-bit types, 6-bit floats).
Expected<Tensor> from_int32_data(DType dt, Shape shape, int64_t n, const std::vector<int32_t>& v, const std::string& who) {
  const int bits = dtype_bits(dt);
  uint64_t want = static_cast<uint64_t>(n);
  if (bits == 4) want = (static_cast<uint64_t>(n) + 1) / 2;
  if (bits == 2) want = (static_cast<uint64_t>(n) + 3) / 4;
  if (v.size() != want) return invalid_model(count_mismatch(who, "int32_data", v.size(), want, n));
  Tensor t = Tensor::allocate(dt, std::move(shape));
  if (bits == 32) {
    convert_into<int32_t, int32_t>(v, t);
  } else if (bits == 16) {
    convert_into<int32_t, uint16_t>(v, t);
  } else if (bits == 8 || bits == 4 || bits == 2) {
    convert_into<int32_t, uint8_t>(v, t);
  } else if (bits == 6) {
    // One 6-bit code per entry, packed into an LSB-first bit stream as in raw_data.
    auto* out = static_cast<unsigned char*>(t.raw());
    for (size_t i = 0; i < v.size(); ++i) {
      const uint32_t code = static_cast<uint32_t>(v[i]) & 0x3f;
      const size_t bit = i * 6;
      out[bit / 8] |= static_cast<unsigned char>(code << (bit % 8));
      if (bit % 8 > 2) out[bit / 8 + 1] |= static_cast<unsigned char>(code >> (8 - bit % 8));
    }
  } else {
    return not_implemented(who + ": int32_data for " + std::string(dtype_name(dt)) + " is not supported");
  }
  return t;
}

template <typename Src, typename Dst>
Expected<Tensor> from_typed(DType dt, Shape shape, int64_t n, const std::vector<Src>& v, int per_element,
                            const std::string& who, const char* field) {
  const uint64_t want = static_cast<uint64_t>(n) * static_cast<uint64_t>(per_element);
  if (v.size() != want) return invalid_model(count_mismatch(who, field, v.size(), want, n));
  Tensor t = Tensor::allocate(dt, std::move(shape));
  convert_into<Src, Dst>(v, t);
  return t;
}

}  // namespace

Expected<int64_t> checked_element_count(std::span<const int64_t> dims, const std::string& what) {
  int64_t n = 1;
  bool zero = false;
  for (size_t i = 0; i < dims.size(); ++i) {
    const int64_t d = dims[i];
    if (d < 0) return invalid_model(what + ": dim " + std::to_string(i) + " is negative (" + std::to_string(d) + ")");
    if (d == 0) zero = true;
  }
  if (zero) return int64_t{0};
  for (int64_t d : dims) {
    if (d > kMaxElements / n) {
      return invalid_model(what + ": the dims " + shape_to_string(Shape(dims.begin(), dims.end())) + " hold more than 2^56 elements");
    }
    n *= d;
  }
  return n;
}

Expected<Tensor> tensor_from_proto(const TensorProto& p, const ExternalDataContext& ctx, bool may_stay_misaligned) {
  const std::string who = "tensor '" + std::string(p.name) + "'";
  if (!dtype_is_valid(p.data_type) || p.data_type == 0) {
    return invalid_model(who + ": invalid data_type " + std::to_string(p.data_type));
  }
  const DType dt = static_cast<DType>(p.data_type);
  ONNXRT_ASSIGN_OR_RETURN(int64_t n, checked_element_count(p.dims, who));
  Shape shape(p.dims.begin(), p.dims.end());
  if (p.has_field(3)) return not_implemented(who + ": segmented tensors (TensorProto.segment) are not supported");

  if (p.data_location == 1) {
    if (dt == DType::kString) return invalid_model(who + ": string tensors cannot be stored as external data");
    ONNXRT_ASSIGN_OR_RETURN(ExternalBytes ext, read_external_data(p, ctx));
    return from_raw(dt, std::move(shape), n, ext.bytes, ext.owner, ext.file, who, "external data", may_stay_misaligned);
  }
  if (p.has_field(9)) {
    if (dt == DType::kString) return invalid_model(who + ": string tensors must use string_data, not raw_data");
    return from_raw(dt, std::move(shape), n, p.raw_data, ctx.buffer_owner, ctx.buffer_file, who, "raw_data",
                    may_stay_misaligned);
  }
  switch (dt) {
    case DType::kFloat32: return from_typed<float, float>(dt, std::move(shape), n, p.float_data, 1, who, "float_data");
    case DType::kComplex64: return from_typed<float, float>(dt, std::move(shape), n, p.float_data, 2, who, "float_data");
    case DType::kFloat64: return from_typed<double, double>(dt, std::move(shape), n, p.double_data, 1, who, "double_data");
    case DType::kComplex128: return from_typed<double, double>(dt, std::move(shape), n, p.double_data, 2, who, "double_data");
    case DType::kInt64: return from_typed<int64_t, int64_t>(dt, std::move(shape), n, p.int64_data, 1, who, "int64_data");
    case DType::kUInt32: return from_typed<uint64_t, uint32_t>(dt, std::move(shape), n, p.uint64_data, 1, who, "uint64_data");
    case DType::kUInt64: return from_typed<uint64_t, uint64_t>(dt, std::move(shape), n, p.uint64_data, 1, who, "uint64_data");
    case DType::kString: {
      if (p.string_data.size() != static_cast<uint64_t>(n)) {
        return invalid_model(count_mismatch(who, "string_data", p.string_data.size(), static_cast<uint64_t>(n), n));
      }
      Tensor t = Tensor::allocate(dt, std::move(shape));
      auto* s = t.data<std::string>();
      for (size_t i = 0; i < p.string_data.size(); ++i) s[i] = std::string(p.string_data[i]);
      return t;
    }
    case DType::kBool: {
      // Any non-zero int32 is true; storage is one byte of 0 or 1.
      if (p.int32_data.size() != static_cast<uint64_t>(n)) {
        return invalid_model(count_mismatch(who, "int32_data", p.int32_data.size(), static_cast<uint64_t>(n), n));
      }
      Tensor t = Tensor::allocate(dt, std::move(shape));
      auto* b = t.data<uint8_t>();
      for (size_t i = 0; i < p.int32_data.size(); ++i) b[i] = p.int32_data[i] != 0 ? 1 : 0;
      return t;
    }
    default: return from_int32_data(dt, std::move(shape), n, p.int32_data, who);
  }
}

TensorProto tensor_to_proto(const Tensor& t, std::string_view name) {
  TensorProto p;
  p.name = name;
  if (!name.empty()) p.mark(8);
  p.dims.assign(t.shape().begin(), t.shape().end());
  p.data_type = static_cast<int32_t>(t.dtype());
  p.mark(2);
  if (t.dtype() == DType::kString) {
    const auto* s = t.data<std::string>();
    for (int64_t i = 0; i < t.size(); ++i) p.string_data.emplace_back(s[i]);
  } else {
    // The writer assumes a little-endian host for raw_data (as tensors are stored in memory).
    p.raw_data = std::string_view(static_cast<const char*>(t.raw()), t.size() > 0 ? t.nbytes() : 0);
    p.mark(9);
  }
  return p;
}

}  // namespace onnxrt::onnx
