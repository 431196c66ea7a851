// Arena placement when a kernel offers an output the storage of a dying input
// (Kernel::output_reuses_input, plan/memory_plan.cc): the pair shares a block exactly when the
// input dies at that step, is read through no other input of it and has the output's size; chains
// of such steps share one block; and no other two values that are live together overlap. Views
// (Kernel::output_is_view) share their input's block even when it lives on, and then no step may
// write over that block while either is still read (checked by simulating the plan's writes).
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "plan/execution_plan.h"

namespace onnxrt {
namespace {

class OffersInput final : public kernels::Kernel {
 public:
  explicit OffersInput(int input) : input_(input) {}
  Status run(kernels::KernelContext&) const override { return Status::ok(); }
  int output_reuses_input() const override { return input_; }

 private:
  int input_;
};

// Output 0 is input 0's bytes (Reshape and kin).
class View final : public kernels::Kernel {
 public:
  Status run(kernels::KernelContext&) const override { return Status::ok(); }
  bool output_is_view() const override { return true; }
};

// Slot v is defined by step v (one output each) and released after last[v].
plan::ExecutionPlan chain_plan(const std::vector<int64_t>& sizes, const std::vector<int>& last) {
  plan::ExecutionPlan p;
  const size_t n = sizes.size();
  p.steps.resize(n);
  p.slots.resize(n);
  for (size_t s = 0; s < n; ++s) {
    p.slots[s].dtype = DType::kFloat32;
    p.slots[s].static_shape = true;
    p.slots[s].shape = {sizes[s]};
    p.steps[s].outputs = {static_cast<plan::Slot>(s)};
    p.steps[static_cast<size_t>(last[s])].release_after.push_back(static_cast<plan::Slot>(s));
  }
  return p;
}

TEST(MemoryPlanSharing, OutputTakesOverDyingInput) {
  // 0 -> step 1 reads 0 (its last reader) and offers it: 1 shares 0's block; 2 reads 1 and 0's
  // chain continues; step 3 reads 2 but 2 is also read by step 4, so 3 gets a block of its own.
  plan::ExecutionPlan p = chain_plan({1000, 1000, 1000, 1000, 1000}, {1, 2, 4, 4, 4});
  for (int s = 1; s <= 3; ++s) {
    p.steps[static_cast<size_t>(s)].inputs = {static_cast<plan::Slot>(s - 1)};
    p.steps[static_cast<size_t>(s)].kernel = std::make_unique<OffersInput>(0);
  }
  p.steps[4].inputs = {2, 3};
  plan::assign_arena_offsets(p);
  EXPECT_EQ(p.slots[1].arena_offset, p.slots[0].arena_offset);
  EXPECT_EQ(p.slots[2].arena_offset, p.slots[0].arena_offset);
  EXPECT_NE(p.slots[3].arena_offset, p.slots[2].arena_offset);
  EXPECT_NE(p.slots[4].arena_offset, p.slots[0].arena_offset);
  EXPECT_NE(p.slots[4].arena_offset, p.slots[3].arena_offset);
}

TEST(MemoryPlanSharing, RefusedWhenUnsafe) {
  struct Case {
    const char* what;
    std::vector<int64_t> sizes;
    std::vector<plan::Slot> inputs;  // of step 2, which offers input 0
  };
  const Case cases[] = {
      {"input read twice by the step", {1000, 1000, 1000}, {1, 1}},
      {"different size", {1000, 500, 1000}, {1, 0}},
  };
  for (const Case& c : cases) {
    plan::ExecutionPlan p = chain_plan(c.sizes, {2, 2, 2});
    p.steps[2].inputs = c.inputs;
    p.steps[2].kernel = std::make_unique<OffersInput>(0);
    plan::assign_arena_offsets(p);
    EXPECT_NE(p.slots[2].arena_offset, p.slots[1].arena_offset) << c.what;
  }
  // An input that outlives the step is never taken over.
  plan::ExecutionPlan p = chain_plan({1000, 1000, 1000}, {2, 2, 2});
  p.steps[1].inputs = {0};
  p.steps[1].kernel = std::make_unique<OffersInput>(0);
  p.steps[2].inputs = {0, 1};
  plan::assign_arena_offsets(p);
  EXPECT_NE(p.slots[1].arena_offset, p.slots[0].arena_offset);
  // Graph inputs and outputs stay out of it (they are not arena values).
  plan::ExecutionPlan q = chain_plan({1000, 1000}, {1, 1});
  q.slots[1].is_graph_output = true;
  q.steps[1].inputs = {0};
  q.steps[1].kernel = std::make_unique<OffersInput>(0);
  plan::assign_arena_offsets(q);
  EXPECT_NE(q.slots[1].arena_offset, q.slots[0].arena_offset);
}

TEST(MemoryPlanSharing, RandomPlansNeverOverlapOtherwise) {
  std::mt19937 rng(5);
  for (int trial = 0; trial < 50; ++trial) {
    const int steps = 30;
    std::vector<int64_t> sizes(steps);
    std::vector<int> last(steps);
    for (int s = 0; s < steps; ++s) {
      sizes[static_cast<size_t>(s)] = 64 * (1 + static_cast<int64_t>(rng() % 3));
      last[static_cast<size_t>(s)] = std::min(steps - 1, s + 1 + static_cast<int>(rng() % 4));
    }
    plan::ExecutionPlan p = chain_plan(sizes, last);
    std::vector<std::vector<int>> readers(steps);
    for (int s = 1; s < steps; ++s) {
      // Step s reads one or two earlier values that are still live, and offers the first.
      for (int k = 0; k < 2; ++k) {
        const int v = static_cast<int>(rng() % static_cast<unsigned>(s));
        if (last[static_cast<size_t>(v)] >= s) p.steps[static_cast<size_t>(s)].inputs.push_back(v);
      }
      if (!p.steps[static_cast<size_t>(s)].inputs.empty() && rng() % 2)
        p.steps[static_cast<size_t>(s)].kernel = std::make_unique<OffersInput>(0);
    }
    plan::assign_arena_offsets(p);
    // Shared pairs: output s over input v where v dies at s.
    auto shared = [&](int a, int b) {
      const int s = std::max(a, b), v = std::min(a, b);
      const plan::Step& st = p.steps[static_cast<size_t>(s)];
      return st.kernel && !st.inputs.empty() && st.inputs[0] == v && last[static_cast<size_t>(v)] == s &&
             std::count(st.inputs.begin(), st.inputs.end(), v) == 1 && sizes[static_cast<size_t>(v)] == sizes[static_cast<size_t>(s)];
    };
    for (int a = 0; a < steps; ++a) {
      const int64_t a0 = p.slots[static_cast<size_t>(a)].arena_offset, a1 = a0 + sizes[static_cast<size_t>(a)] * 4;
      EXPECT_LE(a1, p.arena_bytes);
      for (int b = a + 1; b < steps; ++b) {
        const bool live_together = a <= last[static_cast<size_t>(b)] && b <= last[static_cast<size_t>(a)];
        const int64_t b0 = p.slots[static_cast<size_t>(b)].arena_offset, b1 = b0 + sizes[static_cast<size_t>(b)] * 4;
        if (shared(a, b)) {
          EXPECT_EQ(a0, b0) << "trial " << trial << ": " << b << " should take over " << a;
        } else if (live_together) {
          EXPECT_TRUE(a1 <= b0 || b1 <= a0) << "trial " << trial << ": slots " << a << " and " << b << " overlap";
        }
      }
    }
  }
}

TEST(MemoryPlanSharing, ViewsShareTheirInputsBlock) {
  // 1 = view of 0 while 0 is read again by step 3: one block. 2 = view of 1. Step 3 offers
  // input 0 (it dies there), but view 2 is read by step 4: it must get a block of its own.
  plan::ExecutionPlan p = chain_plan({1000, 1000, 1000, 1000, 1000}, {3, 2, 4, 4, 4});
  p.steps[1].inputs = {0};
  p.steps[1].kernel = std::make_unique<View>();
  p.steps[2].inputs = {1};
  p.steps[2].kernel = std::make_unique<View>();
  p.steps[3].inputs = {0};
  p.steps[3].kernel = std::make_unique<OffersInput>(0);
  p.steps[4].inputs = {2, 3};
  plan::assign_arena_offsets(p);
  EXPECT_EQ(p.slots[1].arena_offset, p.slots[0].arena_offset);
  EXPECT_EQ(p.slots[2].arena_offset, p.slots[0].arena_offset);
  EXPECT_NE(p.slots[3].arena_offset, p.slots[0].arena_offset);
  // Without the later reader of the view, step 3 takes the block over.
  plan::ExecutionPlan q = chain_plan({1000, 1000, 1000, 1000}, {3, 2, 3, 3});
  q.steps[1].inputs = {0};
  q.steps[1].kernel = std::make_unique<View>();
  q.steps[2].inputs = {1};
  q.steps[2].kernel = std::make_unique<View>();
  q.steps[3].inputs = {0, 2};  // reads the block twice: refused
  q.steps[3].kernel = std::make_unique<OffersInput>(0);
  plan::assign_arena_offsets(q);
  EXPECT_NE(q.slots[3].arena_offset, q.slots[0].arena_offset);
  q.steps[3].inputs = {0};
  for (plan::Step& st : q.steps) st.release_after.clear();
  q.steps[3].release_after = {0, 1, 2, 3};
  plan::assign_arena_offsets(q);
  EXPECT_EQ(q.slots[3].arena_offset, q.slots[0].arena_offset);
}

// Random plans of views, in-place writers and plain kernels: replaying every step's writes over
// the arena (in 64-byte cells), each input must still hold its own bytes when a step reads it.
TEST(MemoryPlanSharing, RandomPlansWithViewsReadWhatWasWritten) {
  std::mt19937 rng(9);
  int shared_views = 0;
  for (int trial = 0; trial < 200; ++trial) {
    const int steps = 30;
    std::vector<int64_t> sizes(steps);
    std::vector<int> last(steps);
    for (int s = 0; s < steps; ++s) {
      sizes[static_cast<size_t>(s)] = 16 * (1 + static_cast<int64_t>(rng() % 2));
      last[static_cast<size_t>(s)] = std::min(steps - 1, s + 1 + static_cast<int>(rng() % 5));
    }
    plan::ExecutionPlan p = chain_plan(sizes, last);
    // What each value's bytes are: a view holds its source's bytes.
    std::vector<int> content(steps);
    for (int s = 0; s < steps; ++s) {
      content[static_cast<size_t>(s)] = s;
      plan::Step& st = p.steps[static_cast<size_t>(s)];
      if (s == 0) continue;
      for (int k = 0; k < 2; ++k) {
        const int v = static_cast<int>(rng() % static_cast<unsigned>(s));
        if (last[static_cast<size_t>(v)] >= s) st.inputs.push_back(v);
      }
      if (st.inputs.empty()) continue;
      const unsigned kind = rng() % 3;
      const plan::Slot in = st.inputs[0];
      if (kind == 0 && sizes[static_cast<size_t>(in)] == sizes[static_cast<size_t>(s)]) {
        st.kernel = std::make_unique<View>();
        content[static_cast<size_t>(s)] = content[static_cast<size_t>(in)];
      } else if (kind == 1) {
        st.kernel = std::make_unique<OffersInput>(0);
      }
    }
    plan::assign_arena_offsets(p);
    std::vector<int> cells(static_cast<size_t>(p.arena_bytes / 64), -1);
    auto range = [&](int v) {
      const int64_t a = p.slots[static_cast<size_t>(v)].arena_offset;
      return std::pair<size_t, size_t>(static_cast<size_t>(a / 64),
                                       static_cast<size_t>((a + sizes[static_cast<size_t>(v)] * 4 + 63) / 64));
    };
    for (int s = 0; s < steps; ++s) {
      const plan::Step& st = p.steps[static_cast<size_t>(s)];
      for (plan::Slot v : st.inputs) {
        const auto [lo, hi] = range(v);
        for (size_t c = lo; c < hi; ++c)
          ASSERT_EQ(cells[c], content[static_cast<size_t>(v)]) << "trial " << trial << " step " << s << " reads " << v;
      }
      if (st.kernel && st.kernel->output_is_view() && p.slots[static_cast<size_t>(s)].arena_offset ==
                                                          p.slots[static_cast<size_t>(st.inputs[0])].arena_offset)
        ++shared_views;
      const auto [lo, hi] = range(s);
      for (size_t c = lo; c < hi; ++c) cells[c] = content[static_cast<size_t>(s)];
    }
  }
  EXPECT_GT(shared_views, 100);  // the views did share
}

}  // namespace
}  // namespace onnxrt
