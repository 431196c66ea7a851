#include "runtime/buffer_pool.h"

#include <bit>
#include <cstdlib>

namespace onnxrt::runtime {

namespace {
constexpr size_t kMinBucket = 64;
size_t bucket_for(size_t bytes) { return std::bit_ceil(bytes < kMinBucket ? kMinBucket : bytes); }
}  // namespace

BufferPool::~BufferPool() {
  for (auto& [size, entries] : free_)
    for (Entry& e : entries) std::free(e.ptr);
  for (auto& [ptr, size] : live_) std::free(ptr);
}

void* BufferPool::acquire(size_t bytes) {
  const size_t bucket = bucket_for(bytes);
  auto it = free_.find(bucket);
  void* p = nullptr;
  if (it != free_.end() && !it->second.empty()) {
    p = it->second.back().ptr;
    it->second.pop_back();
  } else {
    p = std::aligned_alloc(64, bucket);
    if (p == nullptr) return nullptr;
  }
  live_[p] = bucket;
  return p;
}

void BufferPool::release(void* p) {
  auto it = live_.find(p);
  if (it == live_.end()) return;
  free_[it->second].push_back({p, true});
  live_.erase(it);
}

void BufferPool::trim() {
  for (auto& [size, entries] : free_) {
    std::vector<Entry> kept;
    for (Entry& e : entries) {
      if (e.used_since_trim) {
        kept.push_back({e.ptr, false});
      } else {
        std::free(e.ptr);
      }
    }
    entries = std::move(kept);
  }
}

size_t BufferPool::cached_bytes() const {
  size_t total = 0;
  for (const auto& [size, entries] : free_) total += size * entries.size();
  return total;
}

}  // namespace onnxrt::runtime
