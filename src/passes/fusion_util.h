// Helpers shared by the fusion passes (fuse_*.cc): looking at single-consumer chains and turning
// a Conv or MatMul node into its com.onnxrt fused form in place.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "ir/graph.h"
#include "ir/infer_fused.h"

namespace onnxrt::passes::fusion {

// The one node that reads `v`, when exactly one node reads it (once) and it is not a graph
// output or read by name inside a subgraph: only then may the value disappear inside a fused
// node. -1 otherwise.
ir::NodeId sole_consumer(const ir::Graph& g, ir::ValueId v);

// A default-domain (ai.onnx) node of that op type.
bool is_op(const ir::Node& n, std::string_view op);

// The other input of a two-input node, given one of them (kNoValue when v is neither).
ir::ValueId other_input(const ir::Node& n, ir::ValueId v);

// The fixed value of `v`: a constant that is not also a graph input (an initializer a caller may
// override is not fixed). Null for kNoValue and for computed values.
const Tensor* fixed_constant(const ir::Graph& g, ir::ValueId v);

// A float32 constant with a single element (any rank), e.g. the 1.0 of Gelu's Add.
std::optional<float> scalar_constant(const ir::Graph& g, ir::ValueId v);

// The sole consumer (sole_consumer) of node `id`'s output 0, when it is a default-domain `op`
// node: the next link of a single-reader chain.
std::optional<ir::NodeId> next_op(const ir::Graph& g, ir::NodeId id, std::string_view op);

// A ReduceMean over exactly the last axis of a rank-`rank` input, keeping it (axes as the
// attribute below opset 18, as a constant input from 18).
bool reduces_last_axis(const ir::Graph& g, const ir::Node& n, size_t rank);

// A float32 constant of c elements shaped [c] or [1, ..., 1, c]: a per-column scale or shift
// of a last dim of size c.
bool is_row_constant(const ir::Graph& g, ir::ValueId v, int64_t c);

// True for a float32 tensor value.
bool is_float32(const ir::Graph& g, ir::ValueId v);

// The node's output 0 type has a fully known shape equal to `v`'s.
bool same_static_shape(const ir::Graph& g, ir::ValueId a, ir::ValueId b);
// Both shapes are known to be equal at run time: the same rank and, dim by dim, the same value or
// the same symbol (a symbol stands for one value in every tensor that carries it), e.g. a
// residual [N, C, H, W] of a model exported with a dynamic batch.
bool same_shape(const ir::Graph& g, ir::ValueId a, ir::ValueId b);

// The fused form of Conv/MatMul ("FusedConv"/"FusedMatMul"); a node already fused is returned
// as is. Adds the com.onnxrt opset import when missing.
void make_fused(ir::Graph& g, ir::NodeId id);
// Adds the com.onnxrt opset import (version 1) when the graph lacks it.
void add_fused_import(ir::Graph& g);

// `base`, or base_1, base_2, ... : the first name no value of the graph has.
std::string fresh_name(const ir::Graph& g, const std::string& base);
// Sets input `slot` of a node (padding with omitted inputs), moving the use from the value read
// before to `v` in the consumer lists.
void replace_input(ir::Graph& g, ir::NodeId id, size_t slot, ir::ValueId v);

// Reads an input slot of a fused node (kNoValue when absent).
ir::ValueId fused_input(const ir::Graph& g, ir::NodeId id, size_t slot);
// Sets input `slot` (padding with omitted inputs) and keeps the consumer lists right.
void set_fused_input(ir::Graph& g, ir::NodeId id, size_t slot, ir::ValueId v);

// The fused node's activation (kNone for Conv/MatMul or an unset attribute).
ir::FusedActivation fused_activation(const ir::Graph& g, ir::NodeId id);
void set_fused_activation(ir::Graph& g, ir::NodeId id, const ir::FusedActivation& act);

// `keep` takes over output 0 of `absorbed` (which is removed), so graph outputs and later
// consumers keep their value, name and type; the value `keep` produced before is left without a
// producer or consumers (dead code removes it). Re-infers `keep`.
Status absorb(ir::Graph& g, ir::NodeId keep, ir::NodeId absorbed);

// A constant as a 1-D value of all its elements: `v` itself when it is 1-D, else a new
// initializer <name>_1d (a [1, ..., 1, n] bias or scale, so that kernels see one layout).
Expected<ir::ValueId> flattened_constant(ir::Graph& g, ir::ValueId v);

// A normalization's scale input: `scale` flattened to 1-D (flattened_constant), or, when it is
// kNoValue (the chain had no scale Mul), a new initializer <base>_1, ... of c ones.
Expected<ir::ValueId> scale_or_ones(ir::Graph& g, ir::ValueId scale, int64_t c, const std::string& base);

// Puts `node`, reading the values named `inputs`, in place of the chain `nodes` (every node of
// which is removed): the new node takes over output 0 of the chain's last node, with its name,
// readers and graph-output role. Returns the new node.
Expected<ir::NodeId> replace_chain(ir::Graph& g, ir::Node node, std::span<const std::string> inputs,
                                   std::span<const ir::NodeId> nodes);

}  // namespace onnxrt::passes::fusion
