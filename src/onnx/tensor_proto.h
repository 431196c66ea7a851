// Conversion between TensorProto and Tensor.
#pragma once

#include <map>
#include <span>
#include <memory>
#include <string>

#include "base/mapped_file.h"
#include "onnx/proto.h"
#include "onnxrt/status.h"
#include "onnxrt/tensor.h"

namespace onnxrt::onnx {

// Where tensor bytes may come from besides the proto itself.
struct ExternalDataContext {
  // Directory that external data locations are relative to; empty refuses external data.
  std::string model_dir;
  // Owner of the buffer that the protos point into. When set, raw_data is borrowed in place
  // (when aligned); when null, tensor bytes are always copied.
  std::shared_ptr<void> buffer_owner;
  // Set when that buffer is a mapped model file: a weight copied out of it (not aligned for its
  // type) gives the file's pages back right after the copy, and a weight borrowed from it gives
  // them back when its last tensor goes (a packed weight's original: ExecutionPlan), so that
  // the bytes are not resident twice.
  std::shared_ptr<MappedFile> buffer_file;
  // External files mapped so far, by canonical path (one map per file, shared by its tensors).
  mutable std::map<std::string, std::shared_ptr<MappedFile>> mapped;
};

// Element count of `dims`: each dim must be >= 0 and the product must stay below 2^56 (so that
// byte sizes never overflow). Errors name `what` (e.g. "tensor 'w'").
Expected<int64_t> checked_element_count(std::span<const int64_t> dims, const std::string& what);

// Converts every data type of the pinned onnx. Sizes are checked against dims before anything
// is allocated; 16-bit floats become their bits, sub-byte types stay packed as in raw_data.
// `may_stay_misaligned`: a float32 weight of a mapped file (ctx.buffer_file or external data)
// whose bytes are not 4-byte aligned is borrowed in place rather than copied. Only for weights
// whose every reader reads them bytewise (MatMul/Gemm B, packed by kernels::PackedB::pack; the
// data of Gather, copied by rows; see Importer::weights_read_bytewise); constant folding and the
// plan copy one for any other reader (runtime/pipeline_stages.cc, plan/execution_plan.cc).
Expected<Tensor> tensor_from_proto(const TensorProto& proto, const ExternalDataContext& ctx,
                                   bool may_stay_misaligned = false);

// The reverse, for the writer. The proto points into `t` (raw_data, or the strings of a string
// tensor), so `t` must outlive it.
TensorProto tensor_to_proto(const Tensor& t, std::string_view name);

// The bytes of a tensor stored outside the model (data_location EXTERNAL): the location is
// resolved inside ctx.model_dir (absolute paths, "..", and symlinks leading out are refused) and
// the file is mapped. `owner` keeps the map alive.
struct ExternalBytes {
  std::string_view bytes;
  std::shared_ptr<void> owner;
  std::shared_ptr<MappedFile> file;  // the mapped file that `bytes` lie in
};
Expected<ExternalBytes> read_external_data(const TensorProto& proto, const ExternalDataContext& ctx);

}  // namespace onnxrt::onnx
