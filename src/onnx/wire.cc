#include "onnx/wire.h"

#include <cstring>

namespace onnxrt::onnx {

namespace {
// Protobuf groups are obsolete and ONNX never uses them; skipping them still needs recursion, so
// they get their own depth bound.
constexpr int kMaxGroupDepth = 64;
}  // namespace

const char* wire_type_name(WireType t) {
  switch (t) {
    case WireType::kVarint: return "varint";
    case WireType::kI64: return "fixed64";
    case WireType::kLen: return "length-delimited";
    case WireType::kStartGroup: return "start-group";
    case WireType::kEndGroup: return "end-group";
    case WireType::kI32: return "fixed32";
  }
  return "invalid";
}

Status WireReader::truncated(const char* what) const {
  return invalid_model("truncated " + std::string(what) + " at byte offset " + std::to_string(offset()));
}

Status WireReader::read_varint(uint64_t* v) {
  uint64_t result = 0;
  for (int i = 0; i < 10; ++i) {
    if (pos_ >= buf_.size()) return truncated("varint");
    const uint8_t b = static_cast<uint8_t>(buf_[pos_++]);
    // The 10th byte may only carry the top bit of a 64-bit value.
    if (i == 9 && b > 1) {
      return invalid_model("varint longer than 64 bits at byte offset " + std::to_string(offset() - 10));
    }
    result |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) {
      *v = result;
      return Status::ok();
    }
  }
  return invalid_model("varint longer than 10 bytes at byte offset " + std::to_string(offset() - 10));
}

Status WireReader::read_tag(uint32_t* field, WireType* type) {
  const size_t start = offset();
  uint64_t key = 0;
  ONNXRT_RETURN_IF_ERROR(read_varint(&key));
  const uint64_t number = key >> 3;
  const uint8_t wt = static_cast<uint8_t>(key & 7);
  if (number == 0 || number > 0x1fffffff) {
    return invalid_model("invalid field number " + std::to_string(number) + " at byte offset " + std::to_string(start));
  }
  if (wt > 5) {
    return invalid_model("invalid wire type " + std::to_string(wt) + " for field " + std::to_string(number) +
                         " at byte offset " + std::to_string(start));
  }
  *field = static_cast<uint32_t>(number);
  *type = static_cast<WireType>(wt);
  return Status::ok();
}

Status WireReader::read_fixed32(uint32_t* v) {
  if (buf_.size() - pos_ < 4) return truncated("fixed32");
  unsigned char b[4];
  std::memcpy(b, buf_.data() + pos_, 4);
  *v = static_cast<uint32_t>(b[0]) | static_cast<uint32_t>(b[1]) << 8 | static_cast<uint32_t>(b[2]) << 16 |
       static_cast<uint32_t>(b[3]) << 24;
  pos_ += 4;
  return Status::ok();
}

Status WireReader::read_fixed64(uint64_t* v) {
  if (buf_.size() - pos_ < 8) return truncated("fixed64");
  uint64_t r = 0;
  for (int i = 7; i >= 0; --i) r = (r << 8) | static_cast<uint8_t>(buf_[pos_ + static_cast<size_t>(i)]);
  *v = r;
  pos_ += 8;
  return Status::ok();
}

Status WireReader::read_bytes(std::string_view* v) {
  const size_t start = offset();
  uint64_t len = 0;
  ONNXRT_RETURN_IF_ERROR(read_varint(&len));
  const size_t left = buf_.size() - pos_;
  if (len > left) {
    return invalid_model("length " + std::to_string(len) + " at byte offset " + std::to_string(start) +
                         " exceeds the " + std::to_string(left) + " bytes left in the enclosing message");
  }
  *v = buf_.substr(pos_, static_cast<size_t>(len));
  pos_ += static_cast<size_t>(len);
  return Status::ok();
}

Status WireReader::skip(uint32_t field, WireType type, int depth) {
  uint64_t u64 = 0;
  uint32_t u32 = 0;
  std::string_view sv;
  switch (type) {
    case WireType::kVarint: return read_varint(&u64);
    case WireType::kI64: return read_fixed64(&u64);
    case WireType::kI32: return read_fixed32(&u32);
    case WireType::kLen: return read_bytes(&sv);
    case WireType::kEndGroup:
      return invalid_model("unmatched end-group for field " + std::to_string(field) + " at byte offset " +
                           std::to_string(offset()));
    case WireType::kStartGroup: {
      if (depth >= kMaxGroupDepth) return invalid_model("groups nested too deeply at byte offset " + std::to_string(offset()));
      while (true) {
        if (done()) return truncated("group");
        uint32_t f = 0;
        WireType t{};
        ONNXRT_RETURN_IF_ERROR(read_tag(&f, &t));
        if (t == WireType::kEndGroup) {
          if (f != field) return invalid_model("mismatched end-group at byte offset " + std::to_string(offset()));
          return Status::ok();
        }
        ONNXRT_RETURN_IF_ERROR(skip(f, t, depth + 1));
      }
    }
  }
  return invalid_model("invalid wire type");
}

size_t varint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

void WireWriter::varint(uint64_t v) {
  char buf[10];
  size_t n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out_->append(buf, n);
}

void WireWriter::fixed32(uint32_t v) {
  char b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  out_->append(b, 4);
}

void WireWriter::fixed64(uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  out_->append(b, 8);
}

}  // namespace onnxrt::onnx
