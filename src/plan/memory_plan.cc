// Static memory planning: every intermediate with a static shape gets a fixed offset in one arena.
// Lifetimes are [defining step, last reading step], inclusive on both ends, so a kernel never
// writes over one of its own inputs. Placement is greedy by decreasing size into the lowest gap
// that no overlapping lifetime occupies (the usual offset-assignment heuristic: large buffers
// first leave small ones to fill the gaps). docs/pipeline.md shows how to see the arena size.
#include <algorithm>

#include "plan/execution_plan.h"

namespace onnxrt::plan {

namespace {

constexpr int64_t kAlignment = 64;

struct Block {
  Slot slot;
  int64_t bytes;
  int64_t first;
  int64_t last;
  int64_t offset = -1;
};

}  // namespace

// 2^40 elements (at most 16 bytes each, 16 TB): past any machine's memory, and far enough from
// int64's limit that the byte sizes, their rounding and the offsets summed below cannot overflow.
constexpr int64_t kMaxArenaElements = int64_t{1} << 40;

void assign_arena_offsets(ExecutionPlan& plan) {
  std::vector<int64_t> def(plan.slots.size(), -1), last(plan.slots.size(), -1);
  for (size_t s = 0; s < plan.steps.size(); ++s) {
    for (Slot v : plan.steps[s].outputs)
      if (v != kNoSlot) def[static_cast<size_t>(v)] = static_cast<int64_t>(s);
    for (Slot v : plan.steps[s].release_after) last[static_cast<size_t>(v)] = static_cast<int64_t>(s);
  }
  std::vector<Block> blocks;
  for (size_t v = 0; v < plan.slots.size(); ++v) {
    const SlotInfo& info = plan.slots[v];
    if (!info.static_shape || info.dtype == DType::kString || def[v] < 0 || last[v] < 0) continue;
    // A static shape can still be absurd (dims from constants a model chose); such a value is left
    // to the executor's allocation, which refuses it with an error naming the node, instead of
    // an arena offset computed from a wrapped size.
    int64_t count = 1;
    bool fits = true;
    for (int64_t d : info.shape) fits = fits && d >= 0 && !__builtin_mul_overflow(count, d, &count);
    if (!fits || count > kMaxArenaElements) continue;
    const int64_t bytes = static_cast<int64_t>(dtype_storage_bytes(info.dtype, static_cast<size_t>(count)));
    blocks.push_back({static_cast<Slot>(v), (bytes + kAlignment - 1) / kAlignment * kAlignment, def[v], last[v]});
  }
  std::sort(blocks.begin(), blocks.end(), [](const Block& a, const Block& b) {
    return a.bytes != b.bytes ? a.bytes > b.bytes : a.slot < b.slot;
  });
  std::vector<const Block*> placed;
  int64_t arena = 0;
  for (Block& b : blocks) {
    // Occupied ranges among placed blocks whose lifetimes overlap this one, sorted by offset.
    std::vector<std::pair<int64_t, int64_t>> busy;
    for (const Block* p : placed)
      if (p->first <= b.last && b.first <= p->last) busy.emplace_back(p->offset, p->offset + p->bytes);
    std::sort(busy.begin(), busy.end());
    int64_t offset = 0;
    for (const auto& [lo, hi] : busy) {
      if (offset + b.bytes <= lo) break;
      offset = std::max(offset, hi);
    }
    b.offset = offset;
    arena = std::max(arena, offset + b.bytes);
    placed.push_back(&b);
  }
  for (const Block& b : blocks) plan.slots[static_cast<size_t>(b.slot)].arena_offset = b.offset;
  plan.arena_bytes = arena;
}

}  // namespace onnxrt::plan
