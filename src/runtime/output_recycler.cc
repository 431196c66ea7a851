#include "runtime/output_recycler.h"

#include <bit>
#include <cstdlib>
#include <new>

#include "tensor/tensor_alloc.h"

namespace onnxrt::runtime {

OutputRecycler::~OutputRecycler() {
  for (auto& [capacity, p] : idle_) std::free(p);
}

size_t OutputRecycler::size_class(size_t bytes) {
  if (bytes <= 64) return 64;
  // Steps of 1/8 of the power of two below `bytes` (at least 64 bytes).
  const size_t step = std::max<size_t>(64, std::bit_floor(bytes) / 8);
  return (bytes + step - 1) / step * step;
}

Tensor OutputRecycler::allocate(DType dtype, Shape shape) {
  const int64_t count = shape_size(shape);
  const size_t bytes = dtype == DType::kString || count < 0 ? 0 : dtype_storage_bytes(dtype, static_cast<size_t>(count));
  if (dtype == DType::kString || bytes < kMinBytes) return allocate_uninitialized(dtype, std::move(shape));
  const size_t capacity = size_class(bytes);
  void* p = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = idle_.find(capacity); it != idle_.end()) {
      p = it->second;
      idle_.erase(it);
      idle_bytes_ -= capacity;
    }
  }
  if (p == nullptr) p = std::aligned_alloc(64, capacity);
  if (p == nullptr) throw std::bad_alloc();
  // The recycler may be gone when the caller drops the output (the session was destroyed).
  std::weak_ptr<OutputRecycler> home = weak_from_this();
  std::shared_ptr<void> storage(p, [home, capacity](void* q) {
    if (auto r = home.lock()) {
      r->give_back(q, capacity);
    } else {
      std::free(q);
    }
  });
  return Tensor::borrow(dtype, std::move(shape), p, std::move(storage));
}

void OutputRecycler::give_back(void* p, size_t capacity) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_bytes_ + capacity <= kMaxIdleBytes) {
      idle_.emplace(capacity, p);
      idle_bytes_ += capacity;
      return;
    }
  }
  std::free(p);
}

size_t OutputRecycler::idle_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return idle_bytes_;
}

}  // namespace onnxrt::runtime
