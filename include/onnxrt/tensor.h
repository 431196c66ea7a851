// A dense tensor: element type, shape and a pointer to row-major (C-order) data. A Tensor is a
// cheap handle: copies share the same storage, kept alive by a reference count. The storage may
// be owned by the tensor, by a memory-mapped model file, or by the caller (borrowed).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "onnxrt/dtype.h"

namespace onnxrt {

using Shape = std::vector<int64_t>;

// Product of dims; 1 for a scalar (empty shape). Callers validate dims before (see shape_count).
int64_t shape_size(std::span<const int64_t> shape);

class Tensor {
 public:
  Tensor() = default;

  // Allocates zero-initialised, 64-byte aligned storage (strings: empty strings).
  static Tensor allocate(DType dtype, Shape shape);
  // Wraps memory owned by someone else; `keep_alive` (may be null) is held as long as the tensor.
  static Tensor borrow(DType dtype, Shape shape, void* data, std::shared_ptr<void> keep_alive);

  bool defined() const { return dtype_ != DType::kUndefined; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int64_t rank() const { return static_cast<int64_t>(shape_.size()); }
  int64_t dim(int64_t i) const { return shape_[static_cast<size_t>(i)]; }
  int64_t size() const { return size_; }  // element count
  size_t nbytes() const { return dtype_storage_bytes(dtype_, static_cast<size_t>(size_)); }

  void* raw() { return data_; }
  const void* raw() const { return data_; }
  template <typename T>
  T* data() { return static_cast<T*>(data_); }
  template <typename T>
  const T* data() const { return static_cast<const T*>(data_); }
  template <typename T>
  std::span<T> span() { return {data<T>(), static_cast<size_t>(size_)}; }
  template <typename T>
  std::span<const T> span() const { return {data<T>(), static_cast<size_t>(size_)}; }

  // Same storage, new shape with the same element count (checked by the caller).
  Tensor reshaped(Shape shape) const;
  // A deep copy with its own storage.
  Tensor clone() const;
  const std::shared_ptr<void>& storage() const { return storage_; }

 private:
  DType dtype_ = DType::kUndefined;
  Shape shape_;
  int64_t size_ = 0;
  void* data_ = nullptr;
  std::shared_ptr<void> storage_;
};

}  // namespace onnxrt
