// The graph: one Node per differentiable op result. A Node holds edges to
// its inputs' Nodes (never to its output, so there are no cycles) and the
// tensors its backward formula needs. Every op here has a single
// differentiable output, so apply() maps one gradient to one per input.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace ft::autograd {

struct Node;

// Where a gradient goes: input number `input_nr` of node `fn`.
struct Edge {
  std::shared_ptr<Node> fn;
  uint32_t input_nr = 0;
};

// A tensor kept for backward, with the version it had when saved: if an
// in-place op changes it before backward, backward refuses to use it.
class SavedTensor {
 public:
  SavedTensor() = default;
  // An op's own output is saved without its grad_fn (the node cannot hold
  // the tensor that holds it): is_output says so.
  SavedTensor(const Tensor& t, bool is_output);
  // The tensor, or an error when it was modified in place or freed.
  Tensor unpack(const struct Node& owner) const;
  void release() { data_.reset(); released_ = true; }
  // The history of a tensor only this holds (its grad_fn), moved out so that
  // a long graph is freed iteratively (see Node::~Node).
  std::shared_ptr<struct Node> take_history();
  bool defined() const { return data_ != nullptr || released_; }

 private:
  Tensor data_;
  bool saved_output_ = false;  // re-attached to its node for double backward
  uint32_t version_ = 0;
  bool requires_grad_ = false;
  bool released_ = false;
};

struct Node : std::enable_shared_from_this<Node> {
  explicit Node(const char* name) : name_(name) {}
  // Frees the nodes only this one keeps alive with an explicit stack: a chain
  // of 10^5 nodes released by nested destructors would overflow the C stack.
  virtual ~Node();
  // Moves into `out` the nodes this one keeps alive (edges, saved histories).
  virtual void take_children(std::vector<std::shared_ptr<Node>>& out);

  // grad: gradient w.r.t. this node's output. Returns one gradient per input
  // edge (an undefined Tensor where an input needs none).
  virtual std::vector<Tensor> apply(const Tensor& grad) = 0;
  // Frees saved tensors after a backward without retain_graph.
  virtual void release_saved() {}
  const char* name() const { return name_; }
  // A composite op built from others names its last node as PyTorch's single
  // node (a loss's MeanBackward0 shows as MseLossBackward0). `name` must last:
  // a literal or intern_name's.
  void set_name(const char* name) { name_ = name; }

  std::vector<Edge> next_edges;
  // Creation order: the engine runs later nodes first among ready ones.
  uint64_t sequence_nr = 0;
  // Set by retain_grad(): the non-leaf output whose .grad to fill.
  std::weak_ptr<TensorImpl> retained_output;
  // Hooks registered on the output tensor: run on its gradient, in order,
  // before apply().
  std::vector<GradHook> pre_hooks;
  // Output's shape/dtype/device, to shape an implicit zero or check a gradient.
  Shape output_shape;
  DType output_dtype = DType::Float32;
  Device output_device;

 private:
  const char* name_;
};

// An op's backward as a closure over saved tensors (the common case).
struct SavedTensors {
  std::vector<SavedTensor> items;
  const Node* owner = nullptr;
  Tensor operator[](size_t i) const { return items[i].unpack(*owner); }
};

using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad, const SavedTensors& saved,
                                                     const std::vector<bool>& needs)>;

struct FunctionNode final : Node {
  FunctionNode(const char* name, BackwardFn fn) : Node(name), backward(std::move(fn)) { saved.owner = this; }
  ~FunctionNode() override;
  void take_children(std::vector<std::shared_ptr<Node>>& out) override;
  std::vector<Tensor> apply(const Tensor& grad) override;
  void release_saved() override {
    for (auto& s : saved.items) s.release();
  }
  SavedTensors saved;
  std::vector<bool> needs;  // needs[i]: input i wants a gradient
  BackwardFn backward;
};

// Leaf sink: adds the incoming gradient into the leaf's .grad.
struct AccumulateGrad final : Node {
  explicit AccumulateGrad(Tensor leaf) : Node("AccumulateGrad"), variable(std::move(leaf)) {}
  std::vector<Tensor> apply(const Tensor& grad) override;  // the leaf's hooks, then accumulate
  void accumulate(const Tensor& grad);
  Tensor variable;
};

// The edge a gradient for tensor t should follow: its grad_fn, or its
// leaf's accumulator, or none when t does not require grad.
Edge gradient_edge(const Tensor& t);

// A view whose base (or a sibling view) was changed in place with autograd
// after the view was made: its grad_fn is stale. This gives it a fresh one,
// AsStridedBackward0 from the base's current history, as PyTorch does on
// access. Cheap when nothing changed (one version compare).
// A view from split/chunk/unbind (or a view of one) refuses this, as
// PyTorch: its history cannot be rebuilt once its base changed in place.
void refresh_view_slow(const Tensor& t);
// out's history: the region `view` (a view of a contiguous base with history) covers of its base's
// history (AsStridedBackward0), as a view's node made from its base.
void record_region_of_base(const Tensor& out, const Tensor& view);
inline bool is_stale_view(const Tensor& t) { return t->view_base && t->view_version != t->version(); }
inline void refresh_view(const Tensor& t) {
  if (is_stale_view(t)) refresh_view_slow(t);
}

// PyTorch's refusal of in-place work on a view returned by a function that
// returns several views (Tensor::multi_output_view): `indirect` when its base
// or another view of it was the one modified.
[[noreturn]] void refuse_multi_output_view(const Tensor& t, bool indirect);

// True when grad mode is on and any input requires grad.
bool any_requires_grad(std::initializer_list<const Tensor*> inputs);

// Runs hooks on a gradient in registration order; each may replace it.
Tensor run_hooks(const std::vector<GradHook>& hooks, Tensor grad);

// The node's name as PyTorch's name() gives it: those it defines in C++ (AccumulateGrad,
// CopySlices, ...) carry their namespace, torch::autograd::CopySlices.
std::string qualified_name(const Node& n);

// One lasting copy of a node name made at run time (nodes keep a const char*).
const char* intern_name(const std::string& name);
// The sequence number the next recorded node will get (creation order).
uint64_t next_sequence_nr();
// Composite ops take PyTorch's node name for their result: out's node is
// renamed `name` (a literal or intern_name's) when it was recorded at or after
// `since` (next_sequence_nr() before the composite ran), never an input's.
void name_recorded(const Tensor& out, const char* name, uint64_t since);

// Records a node for `out` computed from `inputs`:
//   record(out, "MulBackward0", {&a, &b}, {SaveT(a), SaveT(b)}, fn)
// Saved tensors listed here are version-checked at backward time.
struct ToSave {
  Tensor t;
  bool is_output = false;
};
void record(const Tensor& out, const char* name, std::initializer_list<const Tensor*> inputs,
            std::initializer_list<ToSave> to_save, BackwardFn fn);
void record(const Tensor& out, const char* name, const std::vector<Tensor>& inputs,
            const std::vector<ToSave>& to_save, BackwardFn fn);

// Runs backward from roots with the given output gradients. With inputs
// empty, leaves' .grad accumulate; otherwise the gradients w.r.t. inputs are
// returned (autograd.grad) and .grad is left alone.
std::vector<Tensor> run_backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& grad_roots,
                                 bool keep_graph, bool create_graph, const std::vector<Tensor>& inputs,
                                 bool allow_unused);

}  // namespace ft::autograd
