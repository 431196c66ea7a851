// Loading ONNX models into the IR and saving the IR back as an ONNX model. This is the only
// header of src/onnx/ that the rest of the engine includes; protobuf structs stay inside.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "ir/graph.h"
#include "onnxrt/session.h"
#include "onnxrt/status.h"

namespace onnxrt::onnx {

struct LoadedModel {
  std::unique_ptr<ir::Graph> graph;
  ModelMetadata metadata;
};

// Maps the file; weights stored aligned in it are used in place. External data is resolved in
// the file's directory.
Expected<LoadedModel> load_model_file(const std::string& path);
// Serialized bytes; nothing refers to `data` after the call returns (weights are copied).
// `model_dir` is where external data lives; empty refuses external data.
Expected<LoadedModel> load_model_bytes(const void* data, size_t size, const std::string& model_dir);
// IR -> ModelProto bytes: nodes in topological order, constants as initializers, declared
// inputs/outputs with their types (named symbols as dim_param).
Expected<std::string> save_model(const ir::Graph& graph, const ModelMetadata& meta);
// Parses and serializes back (reader/writer round-trip tests).
Expected<std::string> proto_roundtrip(std::string_view bytes);

}  // namespace onnxrt::onnx
