// A read-only memory map of a whole file. Tensors borrow weights from it in place, holding the
// map alive through a shared_ptr (Tensor::borrow's keep_alive).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "onnxrt/status.h"

namespace onnxrt {

class MappedFile {
 public:
  // Maps `path` read-only. A missing or unreadable file is kIoError naming the path. An empty
  // file maps to an empty view.
  static Expected<std::shared_ptr<MappedFile>> open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const unsigned char* data() const { return data_; }
  size_t size() const { return size_; }
  std::string_view view() const { return {reinterpret_cast<const char*>(data_), size_}; }

 private:
  MappedFile() = default;
  const unsigned char* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace onnxrt
