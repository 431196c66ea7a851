// The public C++ API: load a model, inspect its inputs and outputs, run it.
//
//   onnxrt::SessionOptions opts;
//   opts.intra_op_num_threads = 2;
//   auto session = onnxrt::Session::load("model.onnx", opts);
//   if (!session) { std::cerr << session.status().to_string(); return 1; }
//   onnxrt::Tensor x = onnxrt::Tensor::allocate(onnxrt::DType::kFloat32, {1, 3});
//   auto outputs = (*session)->run({{"x", x}}, {});   // {} = every output
//   const onnxrt::Tensor& y = (*outputs)[0].tensor();
//
// A Session is immutable after load; run() may be called from many threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "onnxrt/dtype.h"
#include "onnxrt/status.h"
#include "onnxrt/tensor.h"
#include "onnxrt/value.h"

namespace onnxrt {

enum class GraphOptimizationLevel { kDisableAll = 0, kBasic = 1, kExtended = 2, kAll = 99 };

struct SessionOptions {
  int intra_op_num_threads = 0;  // 0: one per core
  GraphOptimizationLevel graph_optimization_level = GraphOptimizationLevel::kAll;
  int log_severity_level = 2;  // 0 verbose, 1 info, 2 warning, 3 error, 4 fatal
  // When set, the optimized model is saved here after load (like onnxruntime's option).
  std::string optimized_model_filepath;
  // Profiling, as onnxruntime: every node run is timed and Session::end_profiling() writes a
  // Chrome-trace JSON file `<profile_file_prefix>_<date>_<time>.json`. Off, it costs one
  // pointer test per node.
  bool enable_profiling = false;
  std::string profile_file_prefix = "onnxrt_profile";
  // Debugging: bind every node to the engine's naive reference kernel (ops that have only an
  // optimized kernel keep it), so a wrong result can be pinned on a kernel or on a graph pass.
  // Constant folding uses the reference kernels too.
  bool use_reference_kernels = false;
};

// A dimension as the model declares it: a number, or a symbol name (dim_param), or unknown.
struct DimInfo {
  int64_t value = -1;  // >= 0 when known
  std::string symbol;  // dim_param name; empty with value -1 means unknown
};

struct ValueInfo {
  std::string name;
  std::string type;  // "tensor(float)", "seq(tensor(int64))", ...
  DType dtype = DType::kUndefined;  // element type for tensors
  bool has_shape = false;
  std::vector<DimInfo> shape;
};

struct ModelMetadata {
  std::string producer_name;
  std::string producer_version;
  std::string domain;
  std::string graph_name;
  std::string description;  // doc_string
  int64_t model_version = 0;
  int64_t ir_version = 0;
  std::vector<std::pair<std::string, int64_t>> opset_imports;
  std::vector<std::pair<std::string, std::string>> custom_metadata;
};

class Session {
 public:
  // A model file; external data is resolved relative to its directory.
  static Expected<std::unique_ptr<Session>> load(const std::string& path,
                                                 const SessionOptions& options = {});
  // Serialized model bytes (copied if the model keeps references into them). `model_dir` is the
  // directory for external data; empty means external data is refused.
  static Expected<std::unique_ptr<Session>> load_bytes(const void* data, size_t size,
                                                       const SessionOptions& options = {},
                                                       const std::string& model_dir = "");
  ~Session();

  const std::vector<ValueInfo>& inputs() const;
  const std::vector<ValueInfo>& outputs() const;
  const ModelMetadata& metadata() const;
  const SessionOptions& options() const;

  // Runs the model. `output_names` empty means every graph output, in graph order. Thread-safe.
  // Feeds and outputs are Values: a tensor (a Tensor converts implicitly), a sequence for a
  // seq(...) input, Value::none() for an empty optional. Returned values own their storage:
  // none is shared with a feed or the model.
  Expected<std::vector<Value>> run(const std::vector<std::pair<std::string, Value>>& feeds,
                                   const std::vector<std::string>& output_names) const;

  // Debugging: runs like run() and returns every value that a node of the (optimized) top-level
  // graph computed, by value name, in execution order, graph outputs included. Values that
  // graph passes removed are absent: load with GraphOptimizationLevel::kDisableAll to keep all.
  Expected<std::vector<std::pair<std::string, Value>>> run_with_intermediates(
      const std::vector<std::pair<std::string, Value>>& feeds) const;

  // Profiling (SessionOptions::enable_profiling): writes the trace collected so far, stops
  // profiling and returns the file's path; an empty path when profiling is off or has ended.
  Expected<std::string> end_profiling() const;
  // When profiling started, in nanoseconds since the Unix epoch (0 when profiling is off).
  int64_t profiling_start_time_ns() const;

  struct Impl;

 private:
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace onnxrt
