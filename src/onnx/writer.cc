// Serialization of the proto structs. Every message body is written by one template over a
// sink: SizeSink only counts bytes, OutSink appends them. A nested message needs its length
// before its bytes, so OutSink asks SizeSink first; sizes are recomputed once per nesting level,
// which costs far less than building each submessage in a temporary string (that would copy
// every weight once per level).
#include <bit>

#include "onnx/proto.h"
#include "onnx/wire.h"

namespace onnxrt::onnx {
namespace {

struct SizeSink {
  size_t n = 0;
  void tag(uint32_t field, WireType t) { n += varint_size((static_cast<uint64_t>(field) << 3) | static_cast<uint8_t>(t)); }
  void varint(uint64_t v) { n += varint_size(v); }
  void fixed32(uint32_t) { n += 4; }
  void fixed64(uint64_t) { n += 8; }
  void raw(std::string_view b) { n += b.size(); }
  template <typename Fn>
  void message(uint32_t field, Fn&& body) {
    SizeSink inner;
    body(inner);
    tag(field, WireType::kLen);
    varint(inner.n);
    n += inner.n;
  }
  template <typename Fn>
  void packed(uint32_t field, Fn&& body) {
    message(field, body);
  }
};

struct OutSink {
  WireWriter w;
  void tag(uint32_t field, WireType t) { w.tag(field, t); }
  void varint(uint64_t v) { w.varint(v); }
  void fixed32(uint32_t v) { w.fixed32(v); }
  void fixed64(uint64_t v) { w.fixed64(v); }
  void raw(std::string_view b) { w.raw(b); }
  template <typename Fn>
  void message(uint32_t field, Fn&& body) {
    SizeSink size;
    body(size);
    w.tag(field, WireType::kLen);
    w.varint(size.n);
    body(*this);
  }
  template <typename Fn>
  void packed(uint32_t field, Fn&& body) {
    message(field, body);
  }
};

// --- field helpers; a singular field is written when present or not default.

template <typename S>
void put_str(S& s, uint32_t field, std::string_view v) {
  s.tag(field, WireType::kLen);
  s.varint(v.size());
  s.raw(v);
}
template <typename S, typename M>
void opt_str(S& s, const M& m, uint32_t field, std::string_view v) {
  if (m.has_field(field) || !v.empty()) put_str(s, field, v);
}
template <typename S, typename M>
void opt_int(S& s, const M& m, uint32_t field, int64_t v) {
  if (m.has_field(field) || v != 0) {
    s.tag(field, WireType::kVarint);
    s.varint(static_cast<uint64_t>(v));
  }
}
template <typename S>
void rep_str(S& s, uint32_t field, const std::vector<std::string_view>& v) {
  for (std::string_view x : v) put_str(s, field, x);
}
// int32 values are sign-extended to 64 bits on the wire, as protobuf does.
template <typename S, typename T>
void rep_varint(S& s, uint32_t field, const std::vector<T>& v) {
  if (v.empty()) return;
  s.packed(field, [&](auto& in) {
    for (T x : v) in.varint(static_cast<uint64_t>(static_cast<std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>>(x)));
  });
}
template <typename S>
void rep_float(S& s, uint32_t field, const std::vector<float>& v) {
  if (v.empty()) return;
  s.packed(field, [&](auto& in) {
    for (float x : v) in.fixed32(std::bit_cast<uint32_t>(x));
  });
}
template <typename S>
void rep_double(S& s, uint32_t field, const std::vector<double>& v) {
  if (v.empty()) return;
  s.packed(field, [&](auto& in) {
    for (double x : v) in.fixed64(std::bit_cast<uint64_t>(x));
  });
}
template <typename S>
void unknown(S& s, const ProtoBase& m) {
  for (std::string_view u : m.unknown) s.raw(u);
}
template <typename S, typename T, typename Fn>
void rep_msg(S& s, uint32_t field, const std::vector<T>& v, Fn&& emit) {
  for (const T& x : v) s.message(field, [&](auto& in) { emit(in, x); });
}

// --- messages

template <typename S>
void emit_entry(S& s, const StringStringEntryProto& m) {
  opt_str(s, m, 1, m.key);
  opt_str(s, m, 2, m.value);
  unknown(s, m);
}
constexpr auto kEntry = [](auto& s, const StringStringEntryProto& m) { emit_entry(s, m); };

template <typename S>
void emit_opset(S& s, const OperatorSetIdProto& m) {
  opt_str(s, m, 1, m.domain);
  opt_int(s, m, 2, m.version);
  unknown(s, m);
}

template <typename S>
void emit_shape(S& s, const TensorShapeProto& m) {
  rep_msg(s, 1, m.dim, [](auto& in, const TensorShapeProto::Dimension& d) {
    if (d.has_field(1)) {
      opt_int(in, d, 1, d.dim_value);
    } else if (d.has_field(2) || !d.dim_param.empty()) {
      put_str(in, 2, d.dim_param);
    } else if (d.dim_value != 0) {
      opt_int(in, d, 1, d.dim_value);
    }
    opt_str(in, d, 3, d.denotation);
    unknown(in, d);
  });
  unknown(s, m);
}

template <typename S>
void emit_type(S& s, const TypeProto& m);

template <typename S>
void emit_type_tensor(S& s, const TypeProto::Tensor& t) {
  opt_int(s, t, 1, t.elem_type);
  if (t.has_field(2) || !t.shape.dim.empty()) s.message(2, [&](auto& in) { emit_shape(in, t.shape); });
  unknown(s, t);
}

template <typename S>
void emit_type_ptr(S& s, uint32_t field, const std::shared_ptr<TypeProto>& p) {
  if (p) s.message(field, [&](auto& in) { emit_type(in, *p); });
}

template <typename S>
void emit_type(S& s, const TypeProto& m) {
  switch (m.value_case) {
    case TypeProto::kTensor: s.message(1, [&](auto& in) { emit_type_tensor(in, m.tensor_type); }); break;
    case TypeProto::kSequence:
      s.message(4, [&](auto& in) {
        emit_type_ptr(in, 1, m.sequence_type.elem_type);
        unknown(in, m.sequence_type);
      });
      break;
    case TypeProto::kMap:
      s.message(5, [&](auto& in) {
        opt_int(in, m.map_type, 1, m.map_type.key_type);
        emit_type_ptr(in, 2, m.map_type.value_type);
        unknown(in, m.map_type);
      });
      break;
    case TypeProto::kOpaque:
      s.message(7, [&](auto& in) {
        opt_str(in, m.opaque_type, 1, m.opaque_type.domain);
        opt_str(in, m.opaque_type, 2, m.opaque_type.name);
        unknown(in, m.opaque_type);
      });
      break;
    case TypeProto::kSparseTensor: s.message(8, [&](auto& in) { emit_type_tensor(in, m.sparse_tensor_type); }); break;
    case TypeProto::kOptional:
      s.message(9, [&](auto& in) {
        emit_type_ptr(in, 1, m.optional_type.elem_type);
        unknown(in, m.optional_type);
      });
      break;
    case TypeProto::kNone: break;
  }
  opt_str(s, m, 6, m.denotation);
  unknown(s, m);
}

template <typename S>
void emit_tensor(S& s, const TensorProto& m) {
  rep_varint(s, 1, m.dims);
  opt_int(s, m, 2, m.data_type);
  if (m.has_field(3)) {
    s.message(3, [&](auto& in) {
      opt_int(in, m.segment, 1, m.segment.begin);
      opt_int(in, m.segment, 2, m.segment.end);
      unknown(in, m.segment);
    });
  }
  rep_float(s, 4, m.float_data);
  rep_varint(s, 5, m.int32_data);
  rep_str(s, 6, m.string_data);
  rep_varint(s, 7, m.int64_data);
  opt_str(s, m, 8, m.name);
  opt_str(s, m, 9, m.raw_data);
  rep_double(s, 10, m.double_data);
  rep_varint(s, 11, m.uint64_data);
  opt_str(s, m, 12, m.doc_string);
  rep_msg(s, 13, m.external_data, kEntry);
  opt_int(s, m, 14, m.data_location);
  rep_msg(s, 16, m.metadata_props, kEntry);
  unknown(s, m);
}

template <typename S>
void emit_sparse(S& s, const SparseTensorProto& m) {
  if (m.has_field(1)) s.message(1, [&](auto& in) { emit_tensor(in, m.values); });
  if (m.has_field(2)) s.message(2, [&](auto& in) { emit_tensor(in, m.indices); });
  rep_varint(s, 3, m.dims);
  unknown(s, m);
}

template <typename S>
void emit_graph(S& s, const GraphProto& m);

template <typename S>
void emit_attribute(S& s, const AttributeProto& m) {
  opt_str(s, m, 1, m.name);
  if (m.has_field(2) || std::bit_cast<uint32_t>(m.f) != 0) {
    s.tag(2, WireType::kI32);
    s.fixed32(std::bit_cast<uint32_t>(m.f));
  }
  opt_int(s, m, 3, m.i);
  opt_str(s, m, 4, m.s);
  if (m.has_field(5)) s.message(5, [&](auto& in) { emit_tensor(in, m.t); });
  if (m.g) s.message(6, [&](auto& in) { emit_graph(in, *m.g); });
  rep_float(s, 7, m.floats);
  rep_varint(s, 8, m.ints);
  rep_str(s, 9, m.strings);
  rep_msg(s, 10, m.tensors, [](auto& in, const TensorProto& t) { emit_tensor(in, t); });
  for (const auto& g : m.graphs) {
    s.message(11, [&](auto& in) {
      if (g) emit_graph(in, *g);
    });
  }
  opt_str(s, m, 13, m.doc_string);
  if (m.has_field(14)) s.message(14, [&](auto& in) { emit_type(in, m.tp); });
  rep_msg(s, 15, m.type_protos, [](auto& in, const TypeProto& t) { emit_type(in, t); });
  opt_int(s, m, 20, m.type);
  opt_str(s, m, 21, m.ref_attr_name);
  if (m.has_field(22)) s.message(22, [&](auto& in) { emit_sparse(in, m.sparse_tensor); });
  rep_msg(s, 23, m.sparse_tensors, [](auto& in, const SparseTensorProto& t) { emit_sparse(in, t); });
  unknown(s, m);
}

template <typename S>
void emit_value_info(S& s, const ValueInfoProto& m) {
  opt_str(s, m, 1, m.name);
  if (m.has_field(2) || m.type.value_case != TypeProto::kNone) s.message(2, [&](auto& in) { emit_type(in, m.type); });
  opt_str(s, m, 3, m.doc_string);
  rep_msg(s, 4, m.metadata_props, kEntry);
  unknown(s, m);
}
constexpr auto kValueInfo = [](auto& s, const ValueInfoProto& m) { emit_value_info(s, m); };

template <typename S>
void emit_node(S& s, const NodeProto& m) {
  rep_str(s, 1, m.input);
  rep_str(s, 2, m.output);
  opt_str(s, m, 3, m.name);
  opt_str(s, m, 4, m.op_type);
  rep_msg(s, 5, m.attribute, [](auto& in, const AttributeProto& a) { emit_attribute(in, a); });
  opt_str(s, m, 6, m.doc_string);
  opt_str(s, m, 7, m.domain);
  opt_str(s, m, 8, m.overload);
  rep_msg(s, 9, m.metadata_props, kEntry);
  unknown(s, m);
}
constexpr auto kNode = [](auto& s, const NodeProto& m) { emit_node(s, m); };

template <typename S>
void emit_graph(S& s, const GraphProto& m) {
  rep_msg(s, 1, m.node, kNode);
  opt_str(s, m, 2, m.name);
  rep_msg(s, 5, m.initializer, [](auto& in, const TensorProto& t) { emit_tensor(in, t); });
  opt_str(s, m, 10, m.doc_string);
  rep_msg(s, 11, m.input, kValueInfo);
  rep_msg(s, 12, m.output, kValueInfo);
  rep_msg(s, 13, m.value_info, kValueInfo);
  rep_msg(s, 15, m.sparse_initializer, [](auto& in, const SparseTensorProto& t) { emit_sparse(in, t); });
  rep_msg(s, 16, m.metadata_props, kEntry);
  unknown(s, m);
}

template <typename S>
void emit_function(S& s, const FunctionProto& m) {
  opt_str(s, m, 1, m.name);
  rep_str(s, 4, m.input);
  rep_str(s, 5, m.output);
  rep_str(s, 6, m.attribute);
  rep_msg(s, 7, m.node, kNode);
  opt_str(s, m, 8, m.doc_string);
  rep_msg(s, 9, m.opset_import, [](auto& in, const OperatorSetIdProto& o) { emit_opset(in, o); });
  opt_str(s, m, 10, m.domain);
  rep_msg(s, 11, m.attribute_proto, [](auto& in, const AttributeProto& a) { emit_attribute(in, a); });
  rep_msg(s, 12, m.value_info, kValueInfo);
  opt_str(s, m, 13, m.overload);
  rep_msg(s, 14, m.metadata_props, kEntry);
  unknown(s, m);
}

template <typename S>
void emit_model(S& s, const ModelProto& m) {
  opt_int(s, m, 1, m.ir_version);
  opt_str(s, m, 2, m.producer_name);
  opt_str(s, m, 3, m.producer_version);
  opt_str(s, m, 4, m.domain);
  opt_int(s, m, 5, m.model_version);
  opt_str(s, m, 6, m.doc_string);
  if (m.has_field(7) || !m.graph.node.empty() || !m.graph.output.empty()) {
    s.message(7, [&](auto& in) { emit_graph(in, m.graph); });
  }
  rep_msg(s, 8, m.opset_import, [](auto& in, const OperatorSetIdProto& o) { emit_opset(in, o); });
  rep_msg(s, 14, m.metadata_props, kEntry);
  rep_msg(s, 25, m.functions, [](auto& in, const FunctionProto& f) { emit_function(in, f); });
  unknown(s, m);
}

template <typename T, typename Fn>
std::string serialize(const T& m, Fn&& emit) {
  SizeSink size;
  emit(size, m);
  std::string out;
  out.reserve(size.n);
  OutSink sink{WireWriter(&out)};
  emit(sink, m);
  return out;
}

}  // namespace

std::string serialize_model(const ModelProto& m) {
  return serialize(m, [](auto& s, const ModelProto& x) { emit_model(s, x); });
}
std::string serialize_tensor(const TensorProto& t) {
  return serialize(t, [](auto& s, const TensorProto& x) { emit_tensor(s, x); });
}
std::string serialize_graph(const GraphProto& g) {
  return serialize(g, [](auto& s, const GraphProto& x) { emit_graph(s, x); });
}

Expected<std::string> proto_roundtrip(std::string_view bytes) {
  ONNXRT_ASSIGN_OR_RETURN(ModelProto m, parse_model(bytes));
  return serialize_model(m);
}

}  // namespace onnxrt::onnx
