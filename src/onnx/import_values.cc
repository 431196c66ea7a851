// TypeProto -> ValueType, AttributeProto -> ir::Attribute, sparse tensors -> dense.
#include <cstring>

#include "base/utf8.h"
#include "onnx/import_internal.h"

namespace onnxrt::onnx::detail {

namespace {

Expected<DType> elem_dtype(int32_t v, const std::string& who) {
  if (v != 0 && !dtype_is_valid(v)) return invalid_model(who + ": invalid element type " + std::to_string(v));
  return static_cast<DType>(v);
}

}  // namespace

Expected<ir::ValueType> Importer::value_type(const TypeProto& tp, const std::string& who) {
  ir::ValueType t;
  const auto tensor_like = [&](const TypeProto::Tensor& tt, ir::TypeKind kind) -> Status {
    t.kind = kind;
    ONNXRT_ASSIGN_OR_RETURN(t.dtype, elem_dtype(tt.elem_type, who));
    if (!tt.has_field(2)) return Status::ok();  // no shape: rank unknown
    t.has_shape = true;
    SymbolTable& symbols = *symbols_;
    for (size_t i = 0; i < tt.shape.dim.size(); ++i) {
      const auto& d = tt.shape.dim[i];
      if (d.has_field(1)) {
        if (d.dim_value < 0) {
          return invalid_model(who + ": dim " + std::to_string(i) + " is negative (" + std::to_string(d.dim_value) + ")");
        }
        t.shape.push_back(Dim(d.dim_value));
      } else if (!d.dim_param.empty()) {
        if (!is_valid_utf8(d.dim_param)) {
          return invalid_model(who + ": dim " + std::to_string(i) + " has a dim_param that is not valid UTF-8 ('" +
                               escape_invalid_utf8(d.dim_param) + "')");
        }
        t.shape.push_back(Dim::symbol(symbols.intern(d.dim_param)));
      } else {
        t.shape.push_back(Dim::symbol(symbols.fresh()));
      }
    }
    return Status::ok();
  };
  const auto elem = [&](const std::shared_ptr<TypeProto>& p) -> Status {
    if (!p) {
      t.elem = std::make_shared<ir::ValueType>();
      return Status::ok();
    }
    ONNXRT_ASSIGN_OR_RETURN(ir::ValueType e, value_type(*p, who));
    t.elem = std::make_shared<ir::ValueType>(std::move(e));
    return Status::ok();
  };
  switch (tp.value_case) {
    case TypeProto::kTensor: ONNXRT_RETURN_IF_ERROR(tensor_like(tp.tensor_type, ir::TypeKind::kTensor)); break;
    case TypeProto::kSparseTensor:
      ONNXRT_RETURN_IF_ERROR(tensor_like(tp.sparse_tensor_type, ir::TypeKind::kSparseTensor));
      break;
    case TypeProto::kSequence:
      t.kind = ir::TypeKind::kSequence;
      ONNXRT_RETURN_IF_ERROR(elem(tp.sequence_type.elem_type));
      break;
    case TypeProto::kOptional:
      t.kind = ir::TypeKind::kOptional;
      ONNXRT_RETURN_IF_ERROR(elem(tp.optional_type.elem_type));
      break;
    case TypeProto::kMap: {
      t.kind = ir::TypeKind::kMap;
      ONNXRT_ASSIGN_OR_RETURN(t.dtype, elem_dtype(tp.map_type.key_type, who));
      ONNXRT_RETURN_IF_ERROR(elem(tp.map_type.value_type));
      break;
    }
    case TypeProto::kOpaque:
    case TypeProto::kNone: break;
  }
  return t;
}

Expected<ir::SparseTensor> Importer::sparse_parts(const SparseTensorProto& sp, const std::string& who) {
  ir::SparseTensor s;
  ONNXRT_ASSIGN_OR_RETURN(s.values, tensor_from_proto(sp.values, ext_));
  ONNXRT_ASSIGN_OR_RETURN(s.indices, tensor_from_proto(sp.indices, ext_));
  s.dims.assign(sp.dims.begin(), sp.dims.end());
  ONNXRT_ASSIGN_OR_RETURN(int64_t total, checked_element_count(s.dims, who));
  (void)total;
  const int64_t nnz = s.values.rank() == 1 ? s.values.dim(0) : -1;
  if (nnz < 0) return invalid_model(who + ": sparse values must be 1-D, got rank " + std::to_string(s.values.rank()));
  if (s.indices.dtype() != DType::kInt64) {
    return invalid_model(who + ": sparse indices must be int64, got " + std::string(dtype_name(s.indices.dtype())));
  }
  const bool linear = s.indices.rank() == 1 && s.indices.dim(0) == nnz;
  const bool coords = s.indices.rank() == 2 && s.indices.dim(0) == nnz &&
                      s.indices.dim(1) == static_cast<int64_t>(s.dims.size());
  if (!linear && !coords) {
    return invalid_model(who + ": sparse indices shape " + shape_to_string(s.indices.shape()) + " does not match " +
                         std::to_string(nnz) + " values and " + std::to_string(s.dims.size()) + " dims");
  }
  return s;
}

Expected<Tensor> Importer::sparse_to_dense(const SparseTensorProto& sp, const std::string& who) {
  ONNXRT_ASSIGN_OR_RETURN(ir::SparseTensor s, sparse_parts(sp, who));
  const DType dt = s.values.dtype();
  const int bits = dtype_bits(dt);
  if (dt != DType::kString && bits < 8) {
    return not_implemented(who + ": sparse tensors of " + std::string(dtype_name(dt)) + " are not supported");
  }
  ONNXRT_ASSIGN_OR_RETURN(int64_t total, checked_element_count(s.dims, who));
  const int64_t nnz = s.values.dim(0);
  const int64_t* idx = s.indices.data<int64_t>();
  const size_t rank = s.dims.size();
  const bool linear = s.indices.rank() == 1;
  // Validate every index before allocating the dense result.
  std::vector<int64_t> flat(static_cast<size_t>(nnz));
  for (int64_t k = 0; k < nnz; ++k) {
    int64_t off = 0;
    if (linear) {
      off = idx[k];
    } else {
      for (size_t d = 0; d < rank; ++d) {
        const int64_t c = idx[static_cast<size_t>(k) * rank + d];
        if (c < 0 || c >= s.dims[d]) {
          return invalid_model(who + ": sparse index " + std::to_string(c) + " out of range for dim " + std::to_string(d) +
                               " of size " + std::to_string(s.dims[d]));
        }
        off = off * s.dims[d] + c;
      }
    }
    if (off < 0 || off >= total) {
      return invalid_model(who + ": sparse index " + std::to_string(off) + " out of range for " + std::to_string(total) +
                           " elements");
    }
    flat[static_cast<size_t>(k)] = off;
  }
  Tensor dense = Tensor::allocate(dt, s.dims);
  if (dt == DType::kString) {
    for (int64_t k = 0; k < nnz; ++k) dense.data<std::string>()[flat[static_cast<size_t>(k)]] = s.values.data<std::string>()[k];
    return dense;
  }
  const size_t width = static_cast<size_t>(bits / 8);
  auto* dst = static_cast<unsigned char*>(dense.raw());
  const auto* src = static_cast<const unsigned char*>(s.values.raw());
  for (int64_t k = 0; k < nnz; ++k) {
    std::memcpy(dst + static_cast<size_t>(flat[static_cast<size_t>(k)]) * width, src + static_cast<size_t>(k) * width, width);
  }
  return dense;
}

namespace {

// Attributes written before AttributeProto.type existed carry only their value field.
ir::AttrKind guess_kind(const AttributeProto& a) {
  if (a.has_field(2)) return ir::AttrKind::kFloat;
  if (a.has_field(3)) return ir::AttrKind::kInt;
  if (a.has_field(4)) return ir::AttrKind::kString;
  if (a.has_field(5)) return ir::AttrKind::kTensor;
  if (a.g) return ir::AttrKind::kGraph;
  if (a.has_field(22)) return ir::AttrKind::kSparseTensor;
  if (a.has_field(14)) return ir::AttrKind::kTypeProto;
  if (!a.floats.empty()) return ir::AttrKind::kFloats;
  if (!a.ints.empty()) return ir::AttrKind::kInts;
  if (!a.strings.empty()) return ir::AttrKind::kStrings;
  if (!a.tensors.empty()) return ir::AttrKind::kTensors;
  if (!a.graphs.empty()) return ir::AttrKind::kGraphs;
  if (!a.sparse_tensors.empty()) return ir::AttrKind::kSparseTensors;
  if (!a.type_protos.empty()) return ir::AttrKind::kTypeProtos;
  return ir::AttrKind::kUndefined;
}

}  // namespace

Expected<ir::Attribute> Importer::attribute(const AttributeProto& a, ir::Graph& owner, const Opsets& opsets,
                                            const std::string& who_node) {
  const std::string who = who_node + " attribute '" + std::string(a.name) + "'";
  if (!a.ref_attr_name.empty()) {
    return invalid_model(who + " refers to attribute '" + std::string(a.ref_attr_name) +
                         "' of a calling function, but it is not inside a function body");
  }
  ir::Attribute out;
  out.name = std::string(a.name);
  if (out.name.empty()) return invalid_model(who_node + ": an attribute has no name");
  const ir::AttrKind kind = a.type != 0 ? static_cast<ir::AttrKind>(a.type) : guess_kind(a);
  out.kind = kind;
  // A subgraph is inferred against the enclosing graph's types. An If branch that is never taken
  // for this model's inputs may not type-check against them (the onnx AffineGrid function has a
  // 2-D branch that splits a 5-element size into 4), yet the model is valid. Such a subgraph is
  // imported again with the outer-scope values typed by element type only; a real mismatch then
  // surfaces as a run-time error of the node concerned, if the branch ever runs.
  const auto subgraph = [&](const GraphProto& gp) -> Expected<std::shared_ptr<ir::Graph>> {
    const std::vector<ir::ValueType> hints = body_input_hints_;
    auto g = std::make_shared<ir::Graph>(owner.symbols_ptr(), &owner);
    g->name = std::string(gp.name);
    Status st = import_graph(gp, *g, opsets);
    if (!st.is_ok() && st.code() == ErrorCode::kInvalidModel && !relax_outer_types_) {
      body_input_hints_ = hints;
      auto relaxed = std::make_shared<ir::Graph>(owner.symbols_ptr(), &owner);
      relaxed->name = std::string(gp.name);
      relax_outer_types_ = true;
      Status retry = import_graph(gp, *relaxed, opsets);
      relax_outer_types_ = false;
      if (retry.is_ok()) return relaxed;
    }
    ONNXRT_RETURN_IF_ERROR(st.with_context(who + ": "));
    return g;
  };
  switch (kind) {
    case ir::AttrKind::kFloat: out.f = a.f; break;
    case ir::AttrKind::kInt: out.i = a.i; break;
    case ir::AttrKind::kString: out.s = std::string(a.s); break;
    case ir::AttrKind::kTensor: {
      auto t = tensor_from_proto(a.t, ext_);
      if (!t) return t.status().with_context(who + ": ");
      out.t = std::move(t).value();
      break;
    }
    case ir::AttrKind::kGraph: {
      if (!a.g) return invalid_model(who + ": type GRAPH but no graph");
      ONNXRT_ASSIGN_OR_RETURN(out.g, subgraph(*a.g));
      break;
    }
    case ir::AttrKind::kFloats: out.floats = a.floats; break;
    case ir::AttrKind::kInts: out.ints = a.ints; break;
    case ir::AttrKind::kStrings:
      for (std::string_view s : a.strings) out.strings.emplace_back(s);
      break;
    case ir::AttrKind::kTensors:
      for (const TensorProto& tp : a.tensors) {
        auto t = tensor_from_proto(tp, ext_);
        if (!t) return t.status().with_context(who + ": ");
        out.tensors.push_back(std::move(t).value());
      }
      break;
    case ir::AttrKind::kGraphs:
      for (const auto& gp : a.graphs) {
        if (!gp) continue;
        ONNXRT_ASSIGN_OR_RETURN(auto g, subgraph(*gp));
        out.graphs.push_back(std::move(g));
      }
      break;
    case ir::AttrKind::kSparseTensor: {
      ONNXRT_ASSIGN_OR_RETURN(out.sparse, sparse_parts(a.sparse_tensor, who));
      break;
    }
    case ir::AttrKind::kSparseTensors:
      for (const auto& sp : a.sparse_tensors) {
        ONNXRT_ASSIGN_OR_RETURN(ir::SparseTensor s, sparse_parts(sp, who));
        out.sparse_tensors.push_back(std::move(s));
      }
      break;
    case ir::AttrKind::kTypeProto: {
      ONNXRT_ASSIGN_OR_RETURN(out.type, value_type(a.tp, who));
      break;
    }
    case ir::AttrKind::kTypeProtos:
      for (const auto& tp : a.type_protos) {
        ONNXRT_ASSIGN_OR_RETURN(ir::ValueType t, value_type(tp, who));
        out.types.push_back(std::move(t));
      }
      break;
    default: return invalid_model(who + ": unknown attribute type " + std::to_string(a.type));
  }
  return out;
}

}  // namespace onnxrt::onnx::detail
