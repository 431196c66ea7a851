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

  // Gives back the pages that lie wholly inside [p, p + n) (a range of this map): they leave the
  // process's resident set, and a later read maps them again from the file (the page cache), so
  // the bytes read the same. For weights that were copied or packed and are not read again.
  // Pages shared with neighbouring bytes stay. A range outside the map is ignored.
  void drop_pages(const void* p, size_t n) const;

 private:
  MappedFile() = default;
  const unsigned char* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace onnxrt
