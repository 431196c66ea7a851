#include "onnxrt/tensor.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "tensor/tensor_alloc.h"

namespace onnxrt {

int64_t shape_size(std::span<const int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

namespace {

#ifdef MADV_POPULATE_WRITE
constexpr int kPopulateWrite = MADV_POPULATE_WRITE;
#else
constexpr int kPopulateWrite = 23;  // Linux's value; headers older than 5.14 lack the name
#endif

// 64-byte alignment lets vector kernels use aligned loads and keeps tensors off shared cache lines.
constexpr size_t kAlign = 64;

struct AlignedFree {
  void operator()(void* p) const { std::free(p); }
};

// `zero`: clear the storage (Tensor::allocate's promise); allocate_uninitialized skips it.
std::shared_ptr<void> allocate_bytes(size_t bytes, bool zero) {
  const size_t rounded = bytes == 0 ? kAlign : (bytes + kAlign - 1) / kAlign * kAlign;
  void* p = std::aligned_alloc(kAlign, rounded);
  if (p == nullptr) throw std::bad_alloc();
  if (zero) std::memset(p, 0, rounded);
  return std::shared_ptr<void>(p, AlignedFree{});
}

// From this size on, weight storage is a mapping of its own (allocate_weight_bytes).
constexpr size_t kOwnMapping = size_t{2} << 20;

std::shared_ptr<void> map_weight(size_t bytes) {
  static const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  const size_t len = (bytes + page - 1) / page * page;
  void* p = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  // The caller writes every byte next: fault the pages in with one call rather than one fault
  // per page. Advice only (Linux >= 5.14); older kernels fault on first touch as usual.
  ::madvise(p, len, kPopulateWrite);
  return std::shared_ptr<void>(p, [len](void* q) { ::munmap(q, len); });
}

std::shared_ptr<void> allocate_strings(size_t count) {
  auto* strings = new std::string[count == 0 ? 1 : count];
  return std::shared_ptr<void>(strings, [](void* p) { delete[] static_cast<std::string*>(p); });
}

}  // namespace

Tensor Tensor::allocate(DType dtype, Shape shape) {
  Tensor t;
  t.dtype_ = dtype;
  t.size_ = shape_size(shape);
  t.shape_ = std::move(shape);
  t.storage_ = dtype == DType::kString ? allocate_strings(static_cast<size_t>(t.size_))
                                       : allocate_bytes(t.nbytes(), true);
  t.data_ = t.storage_.get();
  return t;
}

Tensor Tensor::borrow(DType dtype, Shape shape, void* data, std::shared_ptr<void> keep_alive) {
  Tensor t;
  t.dtype_ = dtype;
  t.size_ = shape_size(shape);
  t.shape_ = std::move(shape);
  t.data_ = data;
  t.storage_ = std::move(keep_alive);
  return t;
}

Tensor Tensor::reshaped(Shape shape) const {
  Tensor t = *this;
  t.size_ = shape_size(shape);
  t.shape_ = std::move(shape);
  return t;
}

Tensor allocate_uninitialized(DType dtype, Shape shape) {
  if (dtype == DType::kString) return Tensor::allocate(dtype, std::move(shape));
  std::shared_ptr<void> storage =
      allocate_bytes(dtype_storage_bytes(dtype, static_cast<size_t>(shape_size(shape))), false);
  void* p = storage.get();
  return Tensor::borrow(dtype, std::move(shape), p, std::move(storage));
}

std::shared_ptr<void> allocate_weight_bytes(size_t bytes) {
  return bytes >= kOwnMapping ? map_weight(bytes) : allocate_bytes(bytes, false);
}

Tensor Tensor::clone() const {
  Tensor t = allocate_uninitialized(dtype_, shape_);
  if (dtype_ == DType::kString) {
    for (int64_t i = 0; i < size_; ++i) t.data<std::string>()[i] = data<std::string>()[i];
  } else if (nbytes() > 0) {
    std::memcpy(t.data_, data_, nbytes());
  }
  return t;
}

}  // namespace onnxrt
