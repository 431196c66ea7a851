// The ONNX protobuf messages as plain structs (field numbers from the pinned onnx.proto).
//
// Strings and bytes are string_views into the parsed buffer (zero copy): a parsed message is
// valid only while that buffer lives. Structs built in code point at storage the builder keeps
// alive until serialization is done.
//
// Each struct records which singular fields were present (`has`, bit = field number), because
// ONNX is proto2: a field set to its default differs from an absent one, and a faithful
// round trip must keep that. Fields that onnxrt does not model (training_info, device
// configurations, quantization annotations, fields from newer onnx versions) are kept verbatim in
// `unknown` and written back unchanged.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "onnxrt/status.h"

namespace onnxrt::onnx {

struct ProtoBase {
  uint64_t has = 0;
  std::vector<std::string_view> unknown;  // whole encoded fields (key + payload)
  bool has_field(uint32_t n) const { return (has >> n) & 1u; }
  void mark(uint32_t n) { has |= uint64_t{1} << n; }
};

struct StringStringEntryProto : ProtoBase {
  std::string_view key;    // 1
  std::string_view value;  // 2
};

struct OperatorSetIdProto : ProtoBase {
  std::string_view domain;  // 1
  int64_t version = 0;      // 2
};

struct TensorShapeProto : ProtoBase {
  struct Dimension : ProtoBase {
    // oneof value: field 1 or 2 (the one set is marked in `has`).
    int64_t dim_value = 0;        // 1
    std::string_view dim_param;   // 2
    std::string_view denotation;  // 3
  };
  std::vector<Dimension> dim;  // 1
};

struct TypeProto : ProtoBase {
  // Used for both tensor_type and sparse_tensor_type.
  struct Tensor : ProtoBase {
    int32_t elem_type = 0;   // 1
    TensorShapeProto shape;  // 2
  };
  struct Sequence : ProtoBase {
    std::shared_ptr<TypeProto> elem_type;  // 1
  };
  struct Map : ProtoBase {
    int32_t key_type = 0;                   // 1
    std::shared_ptr<TypeProto> value_type;  // 2
  };
  struct Optional : ProtoBase {
    std::shared_ptr<TypeProto> elem_type;  // 1
  };
  struct Opaque : ProtoBase {
    std::string_view domain;  // 1
    std::string_view name;    // 2
  };
  enum Case : uint32_t { kNone = 0, kTensor = 1, kSequence = 4, kMap = 5, kOpaque = 7, kSparseTensor = 8, kOptional = 9 };

  Case value_case = kNone;  // the oneof member that is set
  Tensor tensor_type;         // 1
  Sequence sequence_type;     // 4
  Map map_type;               // 5
  std::string_view denotation;  // 6
  Opaque opaque_type;         // 7
  Tensor sparse_tensor_type;  // 8
  Optional optional_type;     // 9
};

struct TensorProto : ProtoBase {
  struct Segment : ProtoBase {
    int64_t begin = 0;  // 1
    int64_t end = 0;    // 2
  };
  std::vector<int64_t> dims;                   // 1
  int32_t data_type = 0;                       // 2
  Segment segment;                             // 3
  std::vector<float> float_data;               // 4
  std::vector<int32_t> int32_data;             // 5
  std::vector<std::string_view> string_data;   // 6
  std::vector<int64_t> int64_data;             // 7
  std::string_view name;                       // 8
  std::string_view raw_data;                   // 9
  std::vector<double> double_data;             // 10
  std::vector<uint64_t> uint64_data;           // 11
  std::string_view doc_string;                 // 12
  std::vector<StringStringEntryProto> external_data;  // 13
  int32_t data_location = 0;                   // 14 (1 = EXTERNAL)
  std::vector<StringStringEntryProto> metadata_props;  // 16
};

struct SparseTensorProto : ProtoBase {
  TensorProto values;          // 1
  TensorProto indices;         // 2
  std::vector<int64_t> dims;   // 3
};

struct GraphProto;

struct AttributeProto : ProtoBase {
  std::string_view name;                         // 1
  float f = 0.0f;                                // 2
  int64_t i = 0;                                 // 3
  std::string_view s;                            // 4
  TensorProto t;                                 // 5
  std::shared_ptr<GraphProto> g;                 // 6
  std::vector<float> floats;                     // 7
  std::vector<int64_t> ints;                     // 8
  std::vector<std::string_view> strings;         // 9
  std::vector<TensorProto> tensors;              // 10
  std::vector<std::shared_ptr<GraphProto>> graphs;  // 11
  std::string_view doc_string;                   // 13
  TypeProto tp;                                  // 14
  std::vector<TypeProto> type_protos;            // 15
  int32_t type = 0;                              // 20 (AttributeType)
  std::string_view ref_attr_name;                // 21
  SparseTensorProto sparse_tensor;               // 22
  std::vector<SparseTensorProto> sparse_tensors;  // 23
};

struct ValueInfoProto : ProtoBase {
  std::string_view name;        // 1
  TypeProto type;               // 2
  std::string_view doc_string;  // 3
  std::vector<StringStringEntryProto> metadata_props;  // 4
};

struct NodeProto : ProtoBase {
  std::vector<std::string_view> input;   // 1
  std::vector<std::string_view> output;  // 2
  std::string_view name;                 // 3
  std::string_view op_type;              // 4
  std::vector<AttributeProto> attribute;  // 5
  std::string_view doc_string;           // 6
  std::string_view domain;               // 7
  std::string_view overload;             // 8
  std::vector<StringStringEntryProto> metadata_props;  // 9
};

struct GraphProto : ProtoBase {
  std::vector<NodeProto> node;               // 1
  std::string_view name;                     // 2
  std::vector<TensorProto> initializer;      // 5
  std::string_view doc_string;               // 10
  std::vector<ValueInfoProto> input;         // 11
  std::vector<ValueInfoProto> output;        // 12
  std::vector<ValueInfoProto> value_info;    // 13
  std::vector<SparseTensorProto> sparse_initializer;  // 15
  std::vector<StringStringEntryProto> metadata_props;  // 16
};

struct FunctionProto : ProtoBase {
  std::string_view name;                        // 1
  std::vector<std::string_view> input;          // 4
  std::vector<std::string_view> output;         // 5
  std::vector<std::string_view> attribute;      // 6
  std::vector<NodeProto> node;                  // 7
  std::string_view doc_string;                  // 8
  std::vector<OperatorSetIdProto> opset_import;  // 9
  std::string_view domain;                      // 10
  std::vector<AttributeProto> attribute_proto;  // 11
  std::vector<ValueInfoProto> value_info;       // 12
  std::string_view overload;                    // 13
  std::vector<StringStringEntryProto> metadata_props;  // 14
};

struct ModelProto : ProtoBase {
  int64_t ir_version = 0;                       // 1
  std::string_view producer_name;               // 2
  std::string_view producer_version;            // 3
  std::string_view domain;                      // 4
  int64_t model_version = 0;                    // 5
  std::string_view doc_string;                  // 6
  GraphProto graph;                             // 7
  std::vector<OperatorSetIdProto> opset_import;  // 8
  std::vector<StringStringEntryProto> metadata_props;  // 14
  std::vector<FunctionProto> functions;         // 25
};

// Message nesting allowed while parsing (graphs inside attributes inside nodes inside graphs...);
// deeper input is an error instead of a stack overflow.
constexpr int kMaxProtoDepth = 192;

// Parsers. `bytes` must outlive the result (string_views point into it).
Expected<ModelProto> parse_model(std::string_view bytes);
Expected<TensorProto> parse_tensor(std::string_view bytes);
Expected<GraphProto> parse_graph(std::string_view bytes);

// Serializers: known fields in field-number order, then the unknown fields verbatim.
std::string serialize_model(const ModelProto& m);
std::string serialize_tensor(const TensorProto& t);
std::string serialize_graph(const GraphProto& g);

// Parses and serializes back; for round-trip tests of the reader and writer.
Expected<std::string> proto_roundtrip(std::string_view bytes);

}  // namespace onnxrt::onnx
