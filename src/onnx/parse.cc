// Parsing of ONNX messages from the wire format. One function per message; each accepts fields in
// any order, merges repeated occurrences of a singular message field (protobuf semantics), takes
// packed and unpacked repeated scalars alike, keeps unknown fields verbatim, and rejects a known
// field that arrives with the wrong wire type.
#include <bit>
#include <cstring>

#include "onnx/proto.h"
#include "onnx/wire.h"

namespace onnxrt::onnx {
namespace {

// The wire reader positioned just after one field's key, plus what the error messages need.
struct Field {
  WireReader& r;
  WireType wt;
  const char* msg_name;  // "NodeProto"
  const char* name;  // "input"
  uint32_t number;
  int depth;

  std::string where() const { return std::string(msg_name) + "." + name; }
  // `st` with where() in front when it is an error. The string is built only then: this runs for
  // every element of a packed field, and building it eagerly was most of the time it took to
  // read a tree ensemble's attributes.
  Status at(Status st, const char* suffix = ": ") const {
    return st.is_ok() ? st : st.with_context(where() + suffix);
  }
  Status wrong(const char* want) const {
    return invalid_model(where() + " (field " + std::to_string(number) + "): expected wire type " + want + ", found " +
                         wire_type_name(wt) + " at byte offset " + std::to_string(r.offset()));
  }
  Status expect(WireType t) const { return wt == t ? Status::ok() : wrong(wire_type_name(t)); }

  Status str(std::string_view* out) {
    ONNXRT_RETURN_IF_ERROR(expect(WireType::kLen));
    return at(r.read_bytes(out));
  }
  Status i64(int64_t* out) {
    ONNXRT_RETURN_IF_ERROR(expect(WireType::kVarint));
    uint64_t v = 0;
    ONNXRT_RETURN_IF_ERROR(at(r.read_varint(&v)));
    *out = static_cast<int64_t>(v);
    return Status::ok();
  }
  // int32 fields travel as sign-extended varints; protobuf keeps the low 32 bits.
  Status i32(int32_t* out) {
    int64_t v = 0;
    ONNXRT_RETURN_IF_ERROR(i64(&v));
    *out = static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(v)));
    return Status::ok();
  }
  Status f32(float* out) {
    ONNXRT_RETURN_IF_ERROR(expect(WireType::kI32));
    uint32_t v = 0;
    ONNXRT_RETURN_IF_ERROR(at(r.read_fixed32(&v)));
    *out = std::bit_cast<float>(v);
    return Status::ok();
  }
  Status rep_str(std::vector<std::string_view>* out) {
    std::string_view s;
    ONNXRT_RETURN_IF_ERROR(str(&s));
    out->push_back(s);
    return Status::ok();
  }
  // Repeated varint scalars, packed (one length-delimited run) or one per key.
  template <typename T>
  Status rep_varint(std::vector<T>* out) {
    if (wt == WireType::kVarint) {
      uint64_t v = 0;
      ONNXRT_RETURN_IF_ERROR(at(r.read_varint(&v)));
      out->push_back(static_cast<T>(v));
      return Status::ok();
    }
    if (wt != WireType::kLen) return wrong("varint or length-delimited (packed)");
    std::string_view run;
    ONNXRT_RETURN_IF_ERROR(at(r.read_bytes(&run)));
    WireReader sub(run, r.offset() - run.size());
    while (!sub.done()) {
      uint64_t v = 0;
      ONNXRT_RETURN_IF_ERROR(at(sub.read_varint(&v), " (packed): "));
      out->push_back(static_cast<T>(v));
    }
    return Status::ok();
  }
  // Repeated fixed-width scalars (float: 4 bytes, double: 8 bytes).
  template <typename T, typename Bits>
  Status rep_fixed(std::vector<T>* out) {
    constexpr WireType kOne = sizeof(T) == 4 ? WireType::kI32 : WireType::kI64;
    if (wt == kOne) {
      Bits b{};
      if constexpr (sizeof(T) == 4) {
        ONNXRT_RETURN_IF_ERROR(at(r.read_fixed32(&b)));
      } else {
        ONNXRT_RETURN_IF_ERROR(at(r.read_fixed64(&b)));
      }
      out->push_back(std::bit_cast<T>(b));
      return Status::ok();
    }
    if (wt != WireType::kLen) return wrong(sizeof(T) == 4 ? "fixed32 or length-delimited (packed)" : "fixed64 or length-delimited (packed)");
    std::string_view run;
    ONNXRT_RETURN_IF_ERROR(at(r.read_bytes(&run)));
    if (run.size() % sizeof(T) != 0) {
      return invalid_model(where() + ": packed run of " + std::to_string(run.size()) + " bytes is not a multiple of " +
                           std::to_string(sizeof(T)));
    }
    const size_t n = run.size() / sizeof(T);
    const size_t old = out->size();
    out->resize(old + n);
    if constexpr (std::endian::native == std::endian::little) {
      // An empty run on an empty vector: data() may be null, which memcpy must not see.
      if (n > 0) std::memcpy(out->data() + old, run.data(), run.size());
    } else {
      for (size_t k = 0; k < n; ++k) {
        Bits b = 0;
        for (size_t j = sizeof(T); j-- > 0;) b = static_cast<Bits>((b << 8) | static_cast<uint8_t>(run[k * sizeof(T) + j]));
        (*out)[old + k] = std::bit_cast<T>(b);
      }
    }
    return Status::ok();
  }
  // A nested message; `parse` is called with the payload and its absolute offset.
  template <typename Fn>
  Status msg(Fn&& parse) {
    ONNXRT_RETURN_IF_ERROR(expect(WireType::kLen));
    std::string_view body;
    ONNXRT_RETURN_IF_ERROR(at(r.read_bytes(&body)));
    if (depth + 1 > kMaxProtoDepth) {
      return invalid_model(where() + ": messages nested deeper than " + std::to_string(kMaxProtoDepth) +
                           " levels (graphs inside attributes?)");
    }
    return at(parse(body, r.offset() - body.size(), depth + 1));
  }
};

// Runs `on_field(Field&) -> Expected<bool known>` for each field of one message.
template <typename Msg, typename Fn>
Status parse_fields(std::string_view buf, size_t base, int depth, const char* msg_name, Msg& m, Fn&& on_field) {
  WireReader r(buf, base);
  while (!r.done()) {
    const size_t start = r.pos();
    uint32_t number = 0;
    WireType wt{};
    if (Status st = r.read_tag(&number, &wt); !st.is_ok()) return st.with_context(std::string(msg_name) + ": ");
    Field f{r, wt, msg_name, "", number, depth};
    bool known = true;
    ONNXRT_RETURN_IF_ERROR(on_field(f, known));
    if (!known) {
      if (Status st = r.skip(number, wt); !st.is_ok())
        return st.with_context(std::string(msg_name) + " field " + std::to_string(number) + ": ");
      m.unknown.push_back(buf.substr(start, r.pos() - start));
    } else if (number < 64) {
      m.mark(number);
    }
  }
  return Status::ok();
}


Status parse_entry(std::string_view b, size_t base, int depth, StringStringEntryProto& m) {
  return parse_fields(b, base, depth, "StringStringEntryProto", m, [&](Field& f, bool& known) -> Status {
    switch (f.number) {
      case 1: f.name = "key"; return f.str(&m.key);
      case 2: f.name = "value"; return f.str(&m.value);
      default: known = false; return Status::ok();
    }
  });
}

template <typename Vec, typename ParseFn>
Status push_msg(Field& f, Vec& v, ParseFn&& fn) {
  v.emplace_back();
  return f.msg([&](std::string_view b, size_t base, int d) { return fn(b, base, d, v.back()); });
}

Status parse_opset(std::string_view b, size_t base, int depth, OperatorSetIdProto& m) {
  return parse_fields(b, base, depth, "OperatorSetIdProto", m, [&](Field& f, bool& known) -> Status {
    switch (f.number) {
      case 1: f.name = "domain"; return f.str(&m.domain);
      case 2: f.name = "version"; return f.i64(&m.version);
      default: known = false; return Status::ok();
    }
  });
}

Status parse_dim(std::string_view b, size_t base, int depth, TensorShapeProto::Dimension& m) {
  return parse_fields(b, base, depth, "TensorShapeProto.Dimension", m, [&](Field& f, bool& known) -> Status {
    switch (f.number) {
      case 1:
        f.name = "dim_value";
        m.has &= ~(uint64_t{1} << 2);  // oneof: the last member seen wins
        m.dim_param = {};
        return f.i64(&m.dim_value);
      case 2:
        f.name = "dim_param";
        m.has &= ~(uint64_t{1} << 1);
        m.dim_value = 0;
        return f.str(&m.dim_param);
      case 3: f.name = "denotation"; return f.str(&m.denotation);
      default: known = false; return Status::ok();
    }
  });
}

Status parse_shape(std::string_view b, size_t base, int depth, TensorShapeProto& m) {
  return parse_fields(b, base, depth, "TensorShapeProto", m, [&](Field& f, bool& known) -> Status {
    if (f.number == 1) {
      f.name = "dim";
      return push_msg(f, m.dim, parse_dim);
    }
    known = false;
    return Status::ok();
  });
}

Status parse_type(std::string_view b, size_t base, int depth, TypeProto& m);

Status parse_type_tensor(std::string_view b, size_t base, int depth, TypeProto::Tensor& m) {
  return parse_fields(b, base, depth, "TypeProto.Tensor", m, [&](Field& f, bool& known) -> Status {
    switch (f.number) {
      case 1: f.name = "elem_type"; return f.i32(&m.elem_type);
      case 2:
        f.name = "shape";
        return f.msg([&](std::string_view bb, size_t bs, int d) { return parse_shape(bb, bs, d, m.shape); });
      default: known = false; return Status::ok();
    }
  });
}

Status parse_type_ptr(Field& f, std::shared_ptr<TypeProto>& p) {
  if (!p) p = std::make_shared<TypeProto>();
  return f.msg([&](std::string_view bb, size_t bs, int d) { return parse_type(bb, bs, d, *p); });
}

template <typename M>
Status parse_type_elem(std::string_view b, size_t base, int depth, const char* name, M& m) {
  return parse_fields(b, base, depth, name, m, [&](Field& f, bool& known) -> Status {
    if (f.number == 1) {
      f.name = "elem_type";
      return parse_type_ptr(f, m.elem_type);
    }
    known = false;
    return Status::ok();
  });
}

Status parse_type_map(std::string_view b, size_t base, int depth, TypeProto::Map& m) {
  return parse_fields(b, base, depth, "TypeProto.Map", m, [&](Field& f, bool& known) -> Status {
    switch (f.number) {
      case 1: f.name = "key_type"; return f.i32(&m.key_type);
      case 2: f.name = "value_type"; return parse_type_ptr(f, m.value_type);
      default: known = false; return Status::ok();
    }
  });
}

Status parse_type_opaque(std::string_view b, size_t base, int depth, TypeProto::Opaque& m) {
  return parse_fields(b, base, depth, "TypeProto.Opaque", m, [&](Field& f, bool& known) -> Status {
    switch (f.number) {
      case 1: f.name = "domain"; return f.str(&m.domain);
      case 2: f.name = "name"; return f.str(&m.name);
      default: known = false; return Status::ok();
    }
  });
}

Status parse_type(std::string_view b, size_t base, int depth, TypeProto& m) {
  return parse_fields(b, base, depth, "TypeProto", m, [&](Field& f, bool& known) -> Status {
    const auto sub = [&](TypeProto::Case c, auto&& fn) -> Status {
      if (m.value_case != c) {
        // oneof: a different member replaces the current one.
        const uint64_t oneof_bits = (1u << 1) | (1u << 4) | (1u << 5) | (1u << 7) | (1u << 8) | (1u << 9);
        const uint64_t keep = m.has & ~oneof_bits;
        const std::string_view denotation = m.denotation;
        auto unknown = std::move(m.unknown);
        m = TypeProto();
        m.has = keep;
        m.denotation = denotation;
        m.unknown = std::move(unknown);
        m.value_case = c;
      }
      return f.msg(fn);
    };
    switch (f.number) {
      case 1:
        f.name = "tensor_type";
        return sub(TypeProto::kTensor, [&](std::string_view bb, size_t bs, int d) { return parse_type_tensor(bb, bs, d, m.tensor_type); });
      case 4:
        f.name = "sequence_type";
        return sub(TypeProto::kSequence, [&](std::string_view bb, size_t bs, int d) {
          return parse_type_elem(bb, bs, d, "TypeProto.Sequence", m.sequence_type);
        });
      case 5:
        f.name = "map_type";
        return sub(TypeProto::kMap, [&](std::string_view bb, size_t bs, int d) { return parse_type_map(bb, bs, d, m.map_type); });
      case 6: f.name = "denotation"; return f.str(&m.denotation);
      case 7:
        f.name = "opaque_type";
        return sub(TypeProto::kOpaque, [&](std::string_view bb, size_t bs, int d) { return parse_type_opaque(bb, bs, d, m.opaque_type); });
      case 8:
        f.name = "sparse_tensor_type";
        return sub(TypeProto::kSparseTensor,
                   [&](std::string_view bb, size_t bs, int d) { return parse_type_tensor(bb, bs, d, m.sparse_tensor_type); });
      case 9:
        f.name = "optional_type";
        return sub(TypeProto::kOptional, [&](std::string_view bb, size_t bs, int d) {
          return parse_type_elem(bb, bs, d, "TypeProto.Optional", m.optional_type);
        });
      default: known = false; return Status::ok();
    }
  });
}

Status parse_segment(std::string_view b, size_t base, int depth, TensorProto::Segment& m) {
  return parse_fields(b, base, depth, "TensorProto.Segment", m, [&](Field& f, bool& known) -> Status {
    switch (f.number) {
      case 1: f.name = "begin"; return f.i64(&m.begin);
      case 2: f.name = "end"; return f.i64(&m.end);
      default: known = false; return Status::ok();
    }
  });
}

Status parse_tensor_at(std::string_view b, size_t base, int depth, TensorProto& m) {
  return parse_fields(b, base, depth, "TensorProto", m, [&](Field& f, bool& known) -> Status {
    switch (f.number) {
      case 1: f.name = "dims"; return f.rep_varint(&m.dims);
      case 2: f.name = "data_type"; return f.i32(&m.data_type);
      case 3:
        f.name = "segment";
        return f.msg([&](std::string_view bb, size_t bs, int d) { return parse_segment(bb, bs, d, m.segment); });
      case 4: f.name = "float_data"; return f.rep_fixed<float, uint32_t>(&m.float_data);
      case 5: f.name = "int32_data"; return f.rep_varint(&m.int32_data);
      case 6: f.name = "string_data"; return f.rep_str(&m.string_data);
      case 7: f.name = "int64_data"; return f.rep_varint(&m.int64_data);
      case 8: f.name = "name"; return f.str(&m.name);
      case 9: f.name = "raw_data"; return f.str(&m.raw_data);
      case 10: f.name = "double_data"; return f.rep_fixed<double, uint64_t>(&m.double_data);
      case 11: f.name = "uint64_data"; return f.rep_varint(&m.uint64_data);
      case 12: f.name = "doc_string"; return f.str(&m.doc_string);
      case 13: f.name = "external_data"; return push_msg(f, m.external_data, parse_entry);
      case 14: f.name = "data_location"; return f.i32(&m.data_location);
      case 16: f.name = "metadata_props"; return push_msg(f, m.metadata_props, parse_entry);
      default: known = false; return Status::ok();
    }
  });
}

Status parse_sparse(std::string_view b, size_t base, int depth, SparseTensorProto& m) {
  return parse_fields(b, base, depth, "SparseTensorProto", m, [&](Field& f, bool& known) -> Status {
    switch (f.number) {
      case 1:
        f.name = "values";
        return f.msg([&](std::string_view bb, size_t bs, int d) { return parse_tensor_at(bb, bs, d, m.values); });
      case 2:
        f.name = "indices";
        return f.msg([&](std::string_view bb, size_t bs, int d) { return parse_tensor_at(bb, bs, d, m.indices); });
      case 3: f.name = "dims"; return f.rep_varint(&m.dims);
      default: known = false; return Status::ok();
    }
  });
}

Status parse_graph_at(std::string_view b, size_t base, int depth, GraphProto& m);

Status parse_graph_ptr(Field& f, std::shared_ptr<GraphProto>& p) {
  if (!p) p = std::make_shared<GraphProto>();
  return f.msg([&](std::string_view bb, size_t bs, int d) { return parse_graph_at(bb, bs, d, *p); });
}

Status parse_attribute(std::string_view b, size_t base, int depth, AttributeProto& m) {
  return parse_fields(b, base, depth, "AttributeProto", m, [&](Field& f, bool& known) -> Status {
    switch (f.number) {
      case 1: f.name = "name"; return f.str(&m.name);
      case 2: f.name = "f"; return f.f32(&m.f);
      case 3: f.name = "i"; return f.i64(&m.i);
      case 4: f.name = "s"; return f.str(&m.s);
      case 5:
        f.name = "t";
        return f.msg([&](std::string_view bb, size_t bs, int d) { return parse_tensor_at(bb, bs, d, m.t); });
      case 6: f.name = "g"; return parse_graph_ptr(f, m.g);
      case 7: f.name = "floats"; return f.rep_fixed<float, uint32_t>(&m.floats);
      case 8: f.name = "ints"; return f.rep_varint(&m.ints);
      case 9: f.name = "strings"; return f.rep_str(&m.strings);
      case 10: f.name = "tensors"; return push_msg(f, m.tensors, parse_tensor_at);
      case 11:
        f.name = "graphs";
        m.graphs.push_back(nullptr);
        return parse_graph_ptr(f, m.graphs.back());
      case 13: f.name = "doc_string"; return f.str(&m.doc_string);
      case 14:
        f.name = "tp";
        return f.msg([&](std::string_view bb, size_t bs, int d) { return parse_type(bb, bs, d, m.tp); });
      case 15: f.name = "type_protos"; return push_msg(f, m.type_protos, parse_type);
      case 20: f.name = "type"; return f.i32(&m.type);
      case 21: f.name = "ref_attr_name"; return f.str(&m.ref_attr_name);
      case 22:
        f.name = "sparse_tensor";
        return f.msg([&](std::string_view bb, size_t bs, int d) { return parse_sparse(bb, bs, d, m.sparse_tensor); });
      case 23: f.name = "sparse_tensors"; return push_msg(f, m.sparse_tensors, parse_sparse);
      default: known = false; return Status::ok();
    }
  });
}

Status parse_value_info(std::string_view b, size_t base, int depth, ValueInfoProto& m) {
  return parse_fields(b, base, depth, "ValueInfoProto", m, [&](Field& f, bool& known) -> Status {
    switch (f.number) {
      case 1: f.name = "name"; return f.str(&m.name);
      case 2:
        f.name = "type";
        return f.msg([&](std::string_view bb, size_t bs, int d) { return parse_type(bb, bs, d, m.type); });
      case 3: f.name = "doc_string"; return f.str(&m.doc_string);
      case 4: f.name = "metadata_props"; return push_msg(f, m.metadata_props, parse_entry);
      default: known = false; return Status::ok();
    }
  });
}

Status parse_node(std::string_view b, size_t base, int depth, NodeProto& m) {
  return parse_fields(b, base, depth, "NodeProto", m, [&](Field& f, bool& known) -> Status {
    switch (f.number) {
      case 1: f.name = "input"; return f.rep_str(&m.input);
      case 2: f.name = "output"; return f.rep_str(&m.output);
      case 3: f.name = "name"; return f.str(&m.name);
      case 4: f.name = "op_type"; return f.str(&m.op_type);
      case 5: f.name = "attribute"; return push_msg(f, m.attribute, parse_attribute);
      case 6: f.name = "doc_string"; return f.str(&m.doc_string);
      case 7: f.name = "domain"; return f.str(&m.domain);
      case 8: f.name = "overload"; return f.str(&m.overload);
      case 9: f.name = "metadata_props"; return push_msg(f, m.metadata_props, parse_entry);
      default: known = false; return Status::ok();
    }
  });
}

Status parse_graph_at(std::string_view b, size_t base, int depth, GraphProto& m) {
  return parse_fields(b, base, depth, "GraphProto", m, [&](Field& f, bool& known) -> Status {
    switch (f.number) {
      case 1: f.name = "node"; return push_msg(f, m.node, parse_node);
      case 2: f.name = "name"; return f.str(&m.name);
      case 5: f.name = "initializer"; return push_msg(f, m.initializer, parse_tensor_at);
      case 10: f.name = "doc_string"; return f.str(&m.doc_string);
      case 11: f.name = "input"; return push_msg(f, m.input, parse_value_info);
      case 12: f.name = "output"; return push_msg(f, m.output, parse_value_info);
      case 13: f.name = "value_info"; return push_msg(f, m.value_info, parse_value_info);
      case 15: f.name = "sparse_initializer"; return push_msg(f, m.sparse_initializer, parse_sparse);
      case 16: f.name = "metadata_props"; return push_msg(f, m.metadata_props, parse_entry);
      default: known = false; return Status::ok();
    }
  });
}

Status parse_function(std::string_view b, size_t base, int depth, FunctionProto& m) {
  return parse_fields(b, base, depth, "FunctionProto", m, [&](Field& f, bool& known) -> Status {
    switch (f.number) {
      case 1: f.name = "name"; return f.str(&m.name);
      case 4: f.name = "input"; return f.rep_str(&m.input);
      case 5: f.name = "output"; return f.rep_str(&m.output);
      case 6: f.name = "attribute"; return f.rep_str(&m.attribute);
      case 7: f.name = "node"; return push_msg(f, m.node, parse_node);
      case 8: f.name = "doc_string"; return f.str(&m.doc_string);
      case 9: f.name = "opset_import"; return push_msg(f, m.opset_import, parse_opset);
      case 10: f.name = "domain"; return f.str(&m.domain);
      case 11: f.name = "attribute_proto"; return push_msg(f, m.attribute_proto, parse_attribute);
      case 12: f.name = "value_info"; return push_msg(f, m.value_info, parse_value_info);
      case 13: f.name = "overload"; return f.str(&m.overload);
      case 14: f.name = "metadata_props"; return push_msg(f, m.metadata_props, parse_entry);
      default: known = false; return Status::ok();
    }
  });
}

Status parse_model_at(std::string_view b, ModelProto& m) {
  return parse_fields(b, 0, 0, "ModelProto", m, [&](Field& f, bool& known) -> Status {
    switch (f.number) {
      case 1: f.name = "ir_version"; return f.i64(&m.ir_version);
      case 2: f.name = "producer_name"; return f.str(&m.producer_name);
      case 3: f.name = "producer_version"; return f.str(&m.producer_version);
      case 4: f.name = "domain"; return f.str(&m.domain);
      case 5: f.name = "model_version"; return f.i64(&m.model_version);
      case 6: f.name = "doc_string"; return f.str(&m.doc_string);
      case 7:
        f.name = "graph";
        return f.msg([&](std::string_view bb, size_t bs, int d) { return parse_graph_at(bb, bs, d, m.graph); });
      case 8: f.name = "opset_import"; return push_msg(f, m.opset_import, parse_opset);
      case 14: f.name = "metadata_props"; return push_msg(f, m.metadata_props, parse_entry);
      case 25: f.name = "functions"; return push_msg(f, m.functions, parse_function);
      default: known = false; return Status::ok();
    }
  });
}

}  // namespace

Expected<ModelProto> parse_model(std::string_view bytes) {
  ModelProto m;
  ONNXRT_RETURN_IF_ERROR(parse_model_at(bytes, m));
  return m;
}

Expected<TensorProto> parse_tensor(std::string_view bytes) {
  TensorProto t;
  ONNXRT_RETURN_IF_ERROR(parse_tensor_at(bytes, 0, 0, t));
  return t;
}

Expected<GraphProto> parse_graph(std::string_view bytes) {
  GraphProto g;
  ONNXRT_RETURN_IF_ERROR(parse_graph_at(bytes, 0, 0, g));
  return g;
}

}  // namespace onnxrt::onnx
