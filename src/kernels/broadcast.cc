#include "kernels/broadcast.h"

#include <string>

#include "tensor/sym_shape.h"

namespace onnxrt::kernels {

Expected<Broadcaster> Broadcaster::make(std::span<const Shape> inputs, const Shape& output) {
  if (inputs.empty() || inputs.size() > static_cast<size_t>(kMaxInputs))
    return invalid_argument("broadcast: expected 1 to " + std::to_string(kMaxInputs) +
                            " inputs, got " + std::to_string(inputs.size()));
  Broadcaster bc;
  bc.num_inputs_ = static_cast<int>(inputs.size());
  const size_t rank = output.size();
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].size() > rank)
      return invalid_argument("broadcast: input " + std::to_string(i) + " shape " +
                              shape_to_string(inputs[i]) + " has more dims than the output " +
                              shape_to_string(output));
  }
  bc.size_ = 1;
  for (int64_t d : output) {
    if (d < 0) return invalid_argument("broadcast: negative output dim in " + shape_to_string(output));
    bc.size_ *= d;
  }

  // Per kept output dim (size > 1): which inputs broadcast along it.
  struct Kept {
    int64_t size;
    std::array<bool, kMaxInputs> bcast;
  };
  std::vector<Kept> kept;
  for (size_t d = 0; d < rank; ++d) {
    Kept k{output[d], {}};
    for (size_t i = 0; i < inputs.size(); ++i) {
      const Shape& s = inputs[i];
      const size_t lead = rank - s.size();
      const int64_t in = d < lead ? 1 : s[d - lead];
      if (in != output[d] && in != 1)
        return invalid_argument("broadcast: input " + std::to_string(i) + " shape " +
                                shape_to_string(s) + " does not broadcast to " +
                                shape_to_string(output));
      k.bcast[i] = in != output[d];
    }
    if (output[d] == 1) continue;  // walks nothing; dropping it lets neighbours merge
    if (bc.size_ == 0) continue;
    for (size_t i = 0; i < inputs.size(); ++i)
      if (k.bcast[i]) bc.same_shape_ = false;
    // Merge with the previous kept dim when every input walks both the same way.
    if (!kept.empty() && kept.back().bcast == k.bcast) {
      kept.back().size *= k.size;
    } else {
      kept.push_back(k);
    }
  }
  if (bc.size_ == 0) kept.clear();

  const size_t r = kept.size();
  bc.dims_.resize(r);
  for (size_t d = 0; d < r; ++d) bc.dims_[d] = kept[d].size;
  bc.strides_.assign(inputs.size() * r, 0);
  for (size_t i = 0; i < inputs.size(); ++i) {
    int64_t stride = 1;
    for (size_t d = r; d-- > 0;) {
      if (kept[d].bcast[i]) continue;
      bc.strides_[i * r + d] = stride;
      stride *= kept[d].size;
    }
    bc.inner_stride_[i] = r == 0 ? 1 : bc.strides_[i * r + r - 1];
  }
  return bc;
}

}  // namespace onnxrt::kernels
