// Static memory planning: every intermediate with a static shape gets a fixed offset in one arena.
// Lifetimes are [defining step, last reading step], inclusive on both ends, so a kernel never
// writes over one of its own inputs. Placement is greedy by decreasing size into the lowest gap
// that no overlapping lifetime occupies (the usual offset-assignment heuristic: large buffers
// first leave small ones to fill the gaps). docs/pipeline.md shows how to see the arena size.
//
// One exception to "never over an input": an output whose kernel says it may take over a dying
// input's storage (Kernel::output_reuses_input, a residual added element by element) shares that
// input's block. ResNet's residual convs then write their output over the shortcut they add
// instead of into a fresh 0.4-3.2 MB block whose lines must first be read in, and the chain
// of shortcuts through a stage lives in one block. And Reshape-like views share their input's
// block, so they copy nothing (transformers' GPT-2 runs 158 Reshapes per prefill).
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

// The first value of the chain of shares that v belongs to: the owner of v's block.
Slot block_root(const std::vector<Slot>& shares, Slot v) {
  while (shares[static_cast<size_t>(v)] != kNoSlot) v = shares[static_cast<size_t>(v)];
  return v;
}

// Element bytes of a dtype whose elements are whole bytes; 0 for strings and sub-byte types.
int64_t whole_element_bytes(DType t) {
  const int bits = t == DType::kString ? 0 : dtype_bits(t);
  return bits >= 8 && bits % 8 == 0 ? bits / 8 : 0;
}

// The value whose producer writes the bytes that `v` shows: back through views (Reshape and
// kin share their input's bytes); kNoSlot when that leaves the run's own intermediates.
Slot bytes_source(const ExecutionPlan& plan, const std::vector<int64_t>& def, Slot v) {
  while (true) {
    const SlotInfo& info = plan.slots[static_cast<size_t>(v)];
    if (info.is_graph_input || info.is_graph_output || info.is_constant || info.is_outer_scope) return kNoSlot;
    const int64_t s = def[static_cast<size_t>(v)];
    if (s < 0) return kNoSlot;
    const Step& step = plan.steps[static_cast<size_t>(s)];
    if (!step.kernel || !step.kernel->output_is_view() || step.outputs[0] != v) return v;
    if (step.inputs.empty() || step.inputs[0] == kNoSlot) return kNoSlot;
    v = step.inputs[0];
  }
}

// Concats whose output is its inputs laid end to end (every dim before the axis is 1, as the
// GPT-2 decode step's stacks of 12 per-layer caches, 2 x 4.7 MB, and channel concats at batch 1)
// have their inputs written in place by the inputs' producers; the Concat then copies nothing
// for them (its kernel skips an input already where it belongs). An input qualifies when its
// bytes come (through views) from an intermediate of the output's dtype that has a block of its
// own (it took over no input's) which no later op writes over in place, is in no other Concat
// and has no placed inputs itself (no nesting), at a 64-byte aligned offset. The output must be
// an arena intermediate or a graph output, and not written over in place either. Sets
// placed_in / placed_offset / has_placed_inputs.
void place_concat_inputs(ExecutionPlan& plan, const std::vector<int64_t>& def, const std::vector<int64_t>& bytes_of,
                         const std::vector<Slot>& shares) {
  // Blocks that a later value takes over to write in place (Kernel::output_reuses_input): the
  // value's bytes change while the block lives, so it can be neither a placed input nor a Concat
  // output holding placed inputs (whose reads the take-over did not count).
  std::vector<bool> written_over(plan.slots.size(), false);
  for (size_t v = 0; v < plan.slots.size(); ++v) {
    if (shares[v] == kNoSlot) continue;
    const Step& maker = plan.steps[static_cast<size_t>(def[v])];
    if (!maker.kernel || !maker.kernel->output_is_view()) written_over[static_cast<size_t>(block_root(shares, static_cast<Slot>(v)))] = true;
  }
  for (const Step& step : plan.steps) {
    if (!step.node) continue;  // plans built by hand (tests) may have steps without nodes
    const ir::Node& node = *step.node;
    if (!step.kernel || step.reference_kernel || step.kernel_sets_outputs || !step.static_shapes ||
        node.op_type != "Concat" || !(node.domain.empty() || node.domain == "ai.onnx") || step.outputs.size() != 1 ||
        step.outputs[0] == kNoSlot)
      continue;
    const Slot out = step.outputs[0];
    SlotInfo& o = plan.slots[static_cast<size_t>(out)];
    const int64_t es = whole_element_bytes(o.dtype);
    if (es == 0 || !o.static_shape || o.placed_in != kNoSlot || written_over[static_cast<size_t>(out)] ||
        shares[static_cast<size_t>(out)] != kNoSlot || o.is_graph_input || o.is_constant ||
        o.is_outer_scope || (bytes_of[static_cast<size_t>(out)] < 0 && !o.is_graph_output))
      continue;
    ir::AttrReader attrs(node);
    int64_t axis = attrs.i("axis", 1);
    const auto rank = static_cast<int64_t>(o.shape.size());
    if (!attrs.status().is_ok() || axis < -rank || axis >= rank) continue;
    if (axis < 0) axis += rank;
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= o.shape[static_cast<size_t>(d)];
    for (int64_t d = axis + 1; d < rank; ++d) inner *= o.shape[static_cast<size_t>(d)];
    if (outer != 1) continue;
    int64_t col = 0;  // elements of the output before this input
    for (Slot x : step.inputs) {
      if (x == kNoSlot) break;
      const SlotInfo& xi = plan.slots[static_cast<size_t>(x)];
      if (!xi.static_shape || static_cast<int64_t>(xi.shape.size()) != rank) break;
      const int64_t offset = col * es;
      col += xi.shape[static_cast<size_t>(axis)] * inner;
      const Slot src = bytes_source(plan, def, x);
      // Kernels may count on 64-byte aligned outputs, as arena blocks and pooled buffers are.
      if (src == kNoSlot || src == out || offset % kAlignment != 0) continue;
      SlotInfo& si = plan.slots[static_cast<size_t>(src)];
      const Step& maker = plan.steps[static_cast<size_t>(def[static_cast<size_t>(src)])];
      if (si.placed_in != kNoSlot || si.has_placed_inputs || si.dtype != o.dtype ||
          bytes_of[static_cast<size_t>(src)] < 0 || shape_size(si.shape) != shape_size(xi.shape) ||
          shape_size(si.shape) == 0 || maker.kernel_sets_outputs || !maker.static_shapes ||
          shares[static_cast<size_t>(src)] != kNoSlot || written_over[static_cast<size_t>(src)])
        continue;
      si.placed_in = out;
      si.placed_offset = offset;
      o.has_placed_inputs = true;
    }
  }
}

// For each value, the value whose arena block it takes over (kNoSlot: its own block). Two kinds
// of step share: a view (Kernel::output_is_view: Reshape and kin) gives its output input 0's
// block whether or not the input is read later, since neither is ever written again; a kernel
// that writes output 0 over a dying input (Kernel::output_reuses_input) takes that input's block
// only when nothing else reads the block after this step (the input and every view of it die
// here) and the step reads the block through no other input. Both only for arena intermediates
// of one dtype and byte size.
std::vector<Slot> shared_blocks(const ExecutionPlan& plan, const std::vector<int64_t>& def,
                                const std::vector<int64_t>& last, const std::vector<int64_t>& bytes_of) {
  std::vector<Slot> shares(plan.slots.size(), kNoSlot);
  auto root = [&](Slot v) { return block_root(shares, v); };
  // The last reader of any value in a block so far, indexed by the block's first value.
  std::vector<int64_t> block_last(last);
  for (size_t s = 0; s < plan.steps.size(); ++s) {
    const Step& step = plan.steps[s];
    if (!step.kernel || step.outputs.empty() || step.outputs[0] == kNoSlot) continue;
    const bool view = step.kernel->output_is_view();
    const int i = view ? 0 : step.kernel->output_reuses_input();
    if (i < 0 || static_cast<size_t>(i) >= step.inputs.size()) continue;
    const Slot in = step.inputs[static_cast<size_t>(i)], out = step.outputs[0];
    if (in == kNoSlot || in == out) continue;
    const SlotInfo &from = plan.slots[static_cast<size_t>(in)], &to = plan.slots[static_cast<size_t>(out)];
    // Only intermediates: a graph input belongs to the caller, a graph output is handed to it.
    if (from.is_graph_input || from.is_graph_output || from.is_constant || from.is_outer_scope || to.is_graph_output)
      continue;
    const int64_t b = bytes_of[static_cast<size_t>(in)];
    if (b < 0 || b != bytes_of[static_cast<size_t>(out)] || def[static_cast<size_t>(out)] != static_cast<int64_t>(s) ||
        from.dtype != to.dtype)
      continue;
    const Slot r = root(in);
    if (!view) {
      if (block_last[static_cast<size_t>(r)] != static_cast<int64_t>(s)) continue;
      int64_t reads = 0;
      for (Slot v : step.inputs) reads += v != kNoSlot && bytes_of[static_cast<size_t>(v)] >= 0 && root(v) == r;
      if (reads != 1) continue;
    }
    shares[static_cast<size_t>(out)] = in;
    block_last[static_cast<size_t>(r)] = std::max(block_last[static_cast<size_t>(r)], last[static_cast<size_t>(out)]);
  }
  return shares;
}

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
  // Arena bytes of each value, -1 for values that stay out of the arena.
  std::vector<int64_t> bytes_of(plan.slots.size(), -1);
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
    bytes_of[v] = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  }
  const std::vector<Slot> shares = shared_blocks(plan, def, last, bytes_of);
  place_concat_inputs(plan, def, bytes_of, shares);
  // A value that shares another's block is placed with it: the block of the chain's first value
  // lives until the last member's last reader.
  auto root = [&](Slot v) { return block_root(shares, v); };
  std::vector<int64_t> chain_last(last);
  for (size_t v = 0; v < plan.slots.size(); ++v) {
    if (shares[v] == kNoSlot) continue;
    const size_t r = static_cast<size_t>(root(static_cast<Slot>(v)));
    chain_last[r] = std::max(chain_last[r], last[v]);
  }
  // A Concat's output block also holds its placed inputs from the first one's making on.
  std::vector<int64_t> block_first(def);
  for (size_t v = 0; v < plan.slots.size(); ++v) {
    const Slot in = plan.slots[v].placed_in;
    if (in == kNoSlot) continue;
    const auto o = static_cast<size_t>(in);
    block_first[o] = std::min(block_first[o], def[v]);
    chain_last[o] = std::max(chain_last[o], chain_last[v]);
  }
  std::vector<Block> blocks;
  for (size_t v = 0; v < plan.slots.size(); ++v)
    if (bytes_of[v] >= 0 && shares[v] == kNoSlot && plan.slots[v].placed_in == kNoSlot)
      blocks.push_back({static_cast<Slot>(v), bytes_of[v], block_first[v], chain_last[v]});
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
  for (SlotInfo& info : plan.slots) {
    if (info.placed_in == kNoSlot) continue;
    const int64_t o = plan.slots[static_cast<size_t>(info.placed_in)].arena_offset;
    info.arena_offset = o >= 0 ? o + info.placed_offset : -1;
  }
  for (size_t v = 0; v < plan.slots.size(); ++v)
    if (shares[v] != kNoSlot) plan.slots[v].arena_offset = plan.slots[static_cast<size_t>(root(static_cast<Slot>(v)))].arena_offset;
  plan.arena_bytes = arena;
}

}  // namespace onnxrt::plan
