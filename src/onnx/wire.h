// The protobuf wire format, read and written by hand (no libprotobuf). The reader never reads
// past its buffer: every length is checked against the bytes left in the enclosing message, and
// every failure is a Status naming the offset.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "onnxrt/status.h"

namespace onnxrt::onnx {

enum class WireType : uint8_t { kVarint = 0, kI64 = 1, kLen = 2, kStartGroup = 3, kEndGroup = 4, kI32 = 5 };

const char* wire_type_name(WireType t);

inline int64_t zigzag_decode(uint64_t v) { return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1)); }
inline uint64_t zigzag_encode(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}

class WireReader {
 public:
  // `base_offset` is where `buf` starts in the whole input, so errors report absolute offsets.
  explicit WireReader(std::string_view buf, size_t base_offset = 0) : buf_(buf), base_(base_offset) {}

  bool done() const { return pos_ >= buf_.size(); }
  size_t offset() const { return base_ + pos_; }  // absolute
  size_t pos() const { return pos_; }
  std::string_view buffer() const { return buf_; }

  // Reads a field key. Field number 0 and wire types 6/7 are errors.
  Status read_tag(uint32_t* field, WireType* type);
  Status read_varint(uint64_t* v);  // at most 10 bytes
  Status read_fixed32(uint32_t* v);
  Status read_fixed64(uint64_t* v);
  // A length-delimited payload; the length must fit in what is left.
  Status read_bytes(std::string_view* v);
  // Skips the payload of a field whose key was just read (groups nest, depth-limited).
  Status skip(uint32_t field, WireType type, int depth = 0);

 private:
  Status truncated(const char* what) const;
  std::string_view buf_;
  size_t base_ = 0;
  size_t pos_ = 0;
};

// Appends wire-format fields to a string.
class WireWriter {
 public:
  explicit WireWriter(std::string* out) : out_(out) {}
  void tag(uint32_t field, WireType type) { varint((static_cast<uint64_t>(field) << 3) | static_cast<uint8_t>(type)); }
  void varint(uint64_t v);
  void fixed32(uint32_t v);
  void fixed64(uint64_t v);
  void raw(std::string_view bytes) { out_->append(bytes.data(), bytes.size()); }
  void bytes_field(uint32_t field, std::string_view bytes) {
    tag(field, WireType::kLen);
    varint(bytes.size());
    raw(bytes);
  }
  void int_field(uint32_t field, int64_t v) {
    tag(field, WireType::kVarint);
    varint(static_cast<uint64_t>(v));
  }
  std::string* out() { return out_; }

 private:
  std::string* out_;
};

size_t varint_size(uint64_t v);

}  // namespace onnxrt::onnx
