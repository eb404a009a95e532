// The backward engine: dependency counts over the graph reachable from the
// roots, then an iterative walk (no recursion: deep graphs must not overflow
// the stack) that runs each node once all gradients for its output arrived.
#include <atomic>
#include <mutex>
#include <queue>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "ops/ops.h"

namespace ft::autograd {

namespace {
std::atomic<uint64_t> g_next_sequence_nr{0};

std::string tensor_type_str(const Tensor& t) { return str(legacy_type_name(t), " ", t->shape().str()); }
// The op a node name stands for in PyTorch's messages: "Backward<n>" dropped (SplitBackward0 -> Split).
std::string op_of(std::string node_name) {
  const size_t cut = node_name.rfind("Backward");
  if (cut != std::string::npos && cut > 0 && node_name.find_first_not_of("0123456789", cut + 8) == std::string::npos)
    node_name.erase(cut);
  return node_name;
}
}  // namespace

SavedTensor::SavedTensor(const Tensor& t, bool is_output) {
  if (!t) return;
  version_ = t->version();
  // An output is saved before its node is attached, but will require grad.
  requires_grad_ = is_output || t->requires_grad();
  if (is_output) {
    // A detached alias: same storage and version counter, no grad_fn.
    data_ = make_view(t, t->shape(), t->strides(), t->offset());
    saved_output_ = true;
  } else {
    data_ = t;
  }
}

Tensor SavedTensor::unpack(const Node& owner) const {
  if (released_)
    throw RuntimeError(
        "Trying to backward through the graph a second time (or directly access saved tensors after they have "
        "already been freed). Saved intermediate values of the graph are freed when you call .backward() or "
        "autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or "
        "if you need to access saved tensors after calling backward.");
  if (!data_) return data_;
  if (data_->version() != version_) {
    // PyTorch's text: the tensor named by the node that made it (an output saved by its own node: that
    // node; an input: the node it has now, the in-place op's, none for a leaf; a view whose base changed
    // since: AsStrided, the node it would get), without "Backward<n>".
    const Node* maker = saved_output_ ? &owner : data_->grad_fn().get();
    std::string made_by;
    if (!saved_output_ && is_stale_view(data_) && data_->view_base->grad_fn()) {
      made_by = ", which is output 0 of AsStrided,";
    } else if (maker) {
      made_by = str(", which is output 0 of ", op_of(qualified_name(*maker)), ",");
    }
    throw RuntimeError(str("one of the variables needed for gradient computation has been modified by an "
                           "inplace operation: [", tensor_type_str(data_), "]", made_by, " is at version ",
                           data_->version(), "; expected version ", version_, " instead. Hint: enable anomaly "
                           "detection to find the operation that failed to compute its gradient, with "
                           "torch.autograd.set_detect_anomaly(True, check_nan=False)."));
  }
  if (saved_output_ && requires_grad_ && is_grad_enabled()) {
    // Double backward: the output's gradient path runs through its own node.
    Tensor t = make_view(data_, data_->shape(), data_->strides(), data_->offset());
    t->set_grad_fn(std::const_pointer_cast<Node>(owner.shared_from_this()));
    return t;
  }
  return data_;
}

std::vector<Tensor> FunctionNode::apply(const Tensor& grad) { return backward(grad, saved, needs); }

std::shared_ptr<Node> SavedTensor::take_history() {
  if (!data_ || data_.use_count() != 1 || !data_->grad_fn()) return nullptr;
  std::shared_ptr<Node> fn = data_->grad_fn();
  data_->set_grad_fn(nullptr);
  return fn;
}

void Node::take_children(std::vector<std::shared_ptr<Node>>& out) {
  for (Edge& e : next_edges)
    if (e.fn) out.push_back(std::move(e.fn));
  next_edges.clear();
}

void FunctionNode::take_children(std::vector<std::shared_ptr<Node>>& out) {
  Node::take_children(out);
  for (SavedTensor& s : saved.items)
    if (auto fn = s.take_history()) out.push_back(std::move(fn));
}

FunctionNode::~FunctionNode() {
  // Saved tensors' histories join the edges, which ~Node releases iteratively.
  for (SavedTensor& s : saved.items)
    if (auto fn = s.take_history()) next_edges.push_back({std::move(fn), 0});
}

Node::~Node() {
  std::vector<std::shared_ptr<Node>> stack;
  Node::take_children(stack);
  while (!stack.empty()) {
    std::shared_ptr<Node> n = std::move(stack.back());
    stack.pop_back();
    if (n.use_count() == 1) n->take_children(stack);  // n is freed here with nothing left below it
  }
}

Tensor run_hooks(const std::vector<GradHook>& hooks, Tensor grad) {
  for (const GradHook& h : std::vector<GradHook>(hooks)) {  // a hook may remove hooks
    Tensor r = h.fn(grad);
    if (!r) continue;
    FT_CHECK(r->shape() == grad->shape(), RuntimeError, "hook returned a gradient of shape ", r->shape().str(),
             " but expected ", grad->shape().str());
    FT_CHECK(r->dtype() == grad->dtype() && r->device() == grad->device(), RuntimeError,
             "hook has changed the type of value (was ", dtype_name(grad->dtype()), " on ", grad->device().str(),
             ", got ", dtype_name(r->dtype()), " on ", r->device().str(), ")");
    grad = std::move(r);
  }
  return grad;
}

std::vector<Tensor> AccumulateGrad::apply(const Tensor& grad) {
  if (!variable->leaf_hooks.empty()) {
    accumulate(run_hooks(variable->leaf_hooks, grad));
  } else {
    accumulate(grad);
  }
  return {};
}

void AccumulateGrad::accumulate(const Tensor& grad) {
  const Tensor& old = variable->grad();
  if (is_grad_enabled()) {
    // create_graph: the accumulated gradient is itself differentiable.
    variable->set_grad(old ? ops::add(old, grad) : grad);
  } else if (!old) {
    // Keep the incoming gradient when nothing else can see its memory;
    // otherwise copy it, so later in-place work on .grad touches no one else.
    bool owned = grad.use_count() <= 2 && grad->storage().use_count() == 1 && grad->is_contiguous() &&
                 grad->grad_fn() == nullptr && grad->offset() == 0;
    variable->set_grad(owned ? grad : ops::clone(grad));
  } else {
    ops::binary_(BinaryOp::Add, old, grad);
  }
}

void refuse_multi_output_view(const Tensor& t, bool indirect) {
  const char* modified = indirect ? "its base or another view of its base has been" : "is being";
  std::string msg;
  if (t->grad_fn()) {
    msg = str("Output ", t->multi_output_view, " of ", op_of(t->grad_fn()->name()), " is a view and ", modified,
              " modified inplace.");
  } else {
    msg = str("A view was created in no_grad mode and ", modified, " modified inplace with grad mode enabled.");
  }
  throw RuntimeError(msg + " This view is the output of a function that returns multiple views. Such functions do "
                           "not allow the output views to be modified inplace. You should replace the inplace "
                           "operation by an out-of-place one.");
}

void record_region_of_base(const Tensor& out, const Tensor& view) {
  const Tensor base = view->view_base;
  const Shape base_shape = base->shape(), strides = view->strides();
  const int64_t offset = view->offset() - base->offset();
  const Shape shape = view->shape();
  // g lands in the base's positions the view covers. An expanded dim (stride
  // 0) maps many elements to one: its gradient is their sum.
  record(out, "AsStridedBackward0", {&base}, {}, [base_shape, shape, strides, offset](const Tensor& g, const SavedTensors&, auto&) {
    Tensor gg = g;
    Shape region_shape = shape;
    for (int d = 0; d < shape.size(); ++d)
      if (strides[d] == 0 && shape[d] > 1) {
        gg = ops::sum(gg, {d}, /*keepdim=*/true);
        region_shape[d] = 1;
      }
    return std::vector<Tensor>{ops::embed_region(gg, base_shape, region_shape, strides, offset)};
  });
}

void refresh_view_slow(const Tensor& t) {
  const Tensor base = t->view_base;
  if (t->no_grad_view) {  // never linked to the base's history
    t->view_version = t->version();
    return;
  }
  if (t->multi_output_view >= 0 && base->requires_grad()) refuse_multi_output_view(t, /*indirect=*/true);
  t->view_version = t->version();
  // Only an in-place op with autograd gives a base new history; a base
  // changed under no_grad (a parameter update) keeps its accumulator.
  if (!base->grad_fn()) return;
  FT_CHECK(base->is_contiguous(), RuntimeError,
           "fasttensor: a view of a non-contiguous tensor whose base was modified in place under autograd is not "
           "supported; call .contiguous() on the base first");
  // retain_grad() follows the view to its new node.
  if (t->retains_grad() && t->grad_fn()) t->grad_fn()->retained_output.reset();
  record_region_of_base(t, t);
  if (t->retains_grad()) t->grad_fn()->retained_output = t;
}

Edge gradient_edge(const Tensor& t) {
  if (!t) return {};
  refresh_view(t);
  if (t->grad_fn()) return {t->grad_fn(), 0};
  if (!t->requires_grad() || t->no_grad_view) return {};
  auto acc = t->grad_accumulator().lock();
  if (!acc) {
    acc = std::make_shared<AccumulateGrad>(t);
    acc->output_shape = t->shape();
    acc->output_dtype = t->dtype();
    acc->output_device = t->device();
    t->grad_accumulator() = acc;
  }
  return {acc, 0};
}

bool any_requires_grad(std::initializer_list<const Tensor*> inputs) {
  if (!is_grad_enabled()) return false;
  for (const Tensor* t : inputs) {
    if (!*t) continue;
    refresh_view(*t);
    if ((*t)->requires_grad()) return true;
  }
  return false;
}

const char* intern_name(const std::string& name) {
  static std::mutex mutex;
  static auto* names = new std::set<std::string>();  // leaked: nodes may outlive static destruction
  std::lock_guard<std::mutex> lock(mutex);
  return names->insert(name).first->c_str();
}

uint64_t next_sequence_nr() { return g_next_sequence_nr.load(std::memory_order_relaxed); }

std::string qualified_name(const Node& n) {
  static const std::set<std::string> namespaced = {"AccumulateGrad", "CopyBackwards", "CopySlices", "NotImplemented",
                                                   "Error", "DelayedError"};
  const std::string name = n.name();
  return namespaced.count(name) ? "torch::autograd::" + name : name;
}

void name_recorded(const Tensor& out, const char* name, uint64_t since) {
  if (!out) return;
  const auto& fn = out->grad_fn();
  if (fn && fn->sequence_nr >= since) fn->set_name(name);
}

namespace {
// Whether `small` broadcasts to `big`.
bool expands_to(const Shape& small, const Shape& big) {
  if (small.size() > big.size()) return false;
  const int lead = big.size() - small.size();
  for (int d = 0; d < small.size(); ++d)
    if (small[d] != 1 && small[d] != big[d + lead]) return false;
  return true;
}

// A gradient a node returned for its input i, made to fit what `next` expects, as PyTorch's
// validate_outputs: summed down where it broadcasts to a larger shape, cast to the input's
// dtype (a custom backward may return another), on the input's device or refused.
Tensor validated(const Node& node, size_t i, Tensor g, const Node& next) {
  if (g->shape() != next.output_shape) {
    FT_CHECK(expands_to(next.output_shape, g->shape()), RuntimeError, "Function ", node.name(),
             " returned an invalid gradient at index ", i, " - got ", g->shape().str(),
             " but expected shape compatible with ", next.output_shape.str());
    g = ops::sum_to(g, next.output_shape);
  }
  FT_CHECK(g->device() == next.output_device, RuntimeError, "Function ", node.name(),
           " returned an invalid gradient at index ", i, " - expected device ", next.output_device.str(),
           " but got ", g->device().str());
  if (g->dtype() != next.output_dtype) g = ops::to_dtype(g, next.output_dtype);
  return g;
}

template <class Inputs, class Saves>
void record_impl(const Tensor& out, const char* name, const Inputs& inputs, const Saves& to_save,
                 BackwardFn fn, const Tensor* (*get)(const typename Inputs::value_type&)) {
  auto node = std::make_shared<FunctionNode>(name, std::move(fn));
  node->sequence_nr = g_next_sequence_nr.fetch_add(1, std::memory_order_relaxed);
  node->next_edges.reserve(inputs.size());
  node->needs.reserve(inputs.size());
  for (const auto& in : inputs) {
    Edge e = gradient_edge(*get(in));
    node->needs.push_back(e.fn != nullptr);
    node->next_edges.push_back(std::move(e));
  }
  node->saved.items.reserve(to_save.size());
  for (const ToSave& s : to_save) node->saved.items.emplace_back(s.t, s.is_output);
  node->output_shape = out->shape();
  node->output_dtype = out->dtype();
  node->output_device = out->device();
  out->set_grad_fn(std::move(node));
}
}  // namespace

void record(const Tensor& out, const char* name, std::initializer_list<const Tensor*> inputs,
            std::initializer_list<ToSave> to_save, BackwardFn fn) {
  record_impl(out, name, inputs, to_save, std::move(fn), +[](const Tensor* const& p) { return p; });
}

void record(const Tensor& out, const char* name, const std::vector<Tensor>& inputs,
            const std::vector<ToSave>& to_save, BackwardFn fn) {
  record_impl(out, name, inputs, to_save, std::move(fn), +[](const Tensor& t) { return &t; });
}

std::vector<Tensor> run_backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& grad_roots,
                                 bool keep_graph, bool create_graph, const std::vector<Tensor>& inputs,
                                 bool allow_unused) {
  GradModeGuard grad_mode(create_graph);

  // Where each input's gradient will arrive (autograd.grad): its node.
  std::unordered_map<Node*, std::vector<size_t>> captures;
  std::vector<Tensor> captured(inputs.size());
  std::vector<std::shared_ptr<Node>> capture_nodes;  // keeps fresh leaf accumulators alive for this call
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = inputs[i];
    FT_CHECK(t->requires_grad(), RuntimeError, "One of the differentiated Tensors does not require grad");
    Edge e = gradient_edge(t);
    captures[e.fn.get()].push_back(i);
    capture_nodes.push_back(std::move(e.fn));
  }
  const bool accumulate_into_leaves = inputs.empty();

  // Count, for each node, how many edges point at it.
  std::unordered_map<Node*, int> dependencies;
  std::vector<Node*> stack;
  std::unordered_map<Node*, Tensor> buffers;
  auto add_to_buffer = [&](Node* n, const Tensor& g) {
    auto [it, fresh] = buffers.try_emplace(n, g);
    if (!fresh) it->second = it->second ? ops::add(it->second, g) : g;
  };

  std::vector<std::shared_ptr<Node>> root_nodes;
  for (size_t i = 0; i < roots.size(); ++i) {
    Edge e = gradient_edge(roots[i]);
    FT_CHECK(e.fn != nullptr, RuntimeError, "element ", i,
             " of tensors does not require grad and does not have a grad_fn");
    if (dependencies.emplace(e.fn.get(), 0).second) stack.push_back(e.fn.get());
    root_nodes.push_back(e.fn);
  }
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    for (const Edge& e : n->next_edges) {
      if (!e.fn) continue;
      auto [it, fresh] = dependencies.try_emplace(e.fn.get(), 0);
      ++it->second;
      if (fresh) stack.push_back(e.fn.get());
    }
  }
  for (size_t i = 0; i < roots.size(); ++i) {
    // A given output gradient must match its output's shape and device; its dtype becomes the
    // output's (as PyTorch: an integer or bool gradient of a float output is cast).
    const Tensor& r = roots[i];
    Tensor g = grad_roots[i];
    FT_CHECK(g->shape() == r->shape(), RuntimeError, "Mismatch in shape: grad_output[", i, "] has a shape of ",
             "fasttensor.Size(", g->shape().str(), ") and output[", i, "] has a shape of fasttensor.Size(",
             r->shape().str(), ").");
    FT_CHECK(g->device() == r->device(), RuntimeError, "invalid gradient at index ", i, " - expected device ",
             r->device().str(), " but got ", g->device().str());
    if (g->dtype() != r->dtype()) g = ops::to_dtype(g, r->dtype());
    add_to_buffer(root_nodes[i].get(), g);
  }

  // autograd.grad runs only the nodes with a captured input below them: the
  // rest of the graph (upstream of the inputs, side branches) keeps its
  // saved tensors and is not checked.
  std::unordered_set<Node*> runs;
  if (!accumulate_into_leaves) {
    std::unordered_map<Node*, bool> reaches;  // a capture at or below the node
    std::vector<std::pair<Node*, size_t>> walk;
    // One depth-first walk per root, each to its end: a node met again is then finished (the graph
    // has no cycles), also when it is itself a later root (y and y * 2 both differentiated).
    for (auto& r : root_nodes) {
      if (!reaches.emplace(r.get(), false).second) continue;
      walk.emplace_back(r.get(), 0);
      while (!walk.empty()) {
        Node* n = walk.back().first;
        const size_t i = walk.back().second;
        if (i < n->next_edges.size()) {
          ++walk.back().second;
          Node* c = n->next_edges[i].fn.get();
          if (c && reaches.emplace(c, false).second) walk.emplace_back(c, 0);
          continue;
        }
        walk.pop_back();
        bool below = false;
        for (const Edge& e : n->next_edges) below = below || (e.fn && reaches[e.fn.get()]);
        if (below) runs.insert(n);
        reaches[n] = below || captures.count(n) > 0;
      }
    }
  }

  // Ready nodes, latest-created first (as PyTorch orders them).
  auto later_first = [](const std::shared_ptr<Node>& a, const std::shared_ptr<Node>& b) {
    return a->sequence_nr < b->sequence_nr;
  };
  std::priority_queue<std::shared_ptr<Node>, std::vector<std::shared_ptr<Node>>, decltype(later_first)> ready(
      later_first);
  for (auto& r : root_nodes)
    if (dependencies[r.get()] == 0) {
      dependencies[r.get()] = -1;  // queued
      ready.push(r);
    }

  while (!ready.empty()) {
    std::shared_ptr<Node> node = ready.top();
    ready.pop();
    Tensor grad;
    if (auto it = buffers.find(node.get()); it != buffers.end()) {
      grad = std::move(it->second);
      buffers.erase(it);
    }
    auto release_children = [&] {
      for (const Edge& e : node->next_edges)
        if (e.fn && --dependencies[e.fn.get()] == 0) ready.push(e.fn);
    };
    if (!grad) {
      // No gradient arrived (every path to it gave None): nothing to run, accumulate or capture;
      // the nodes below learn that nothing comes from here.
      release_children();
      continue;
    }
    const bool captured_here = captures.count(node.get()) > 0;
    const bool pruned = !accumulate_into_leaves && !runs.count(node.get());
    // A tensor's hooks run on its gradient also when that gradient is what autograd.grad returns.
    if (!node->pre_hooks.empty() && (!pruned || captured_here)) grad = run_hooks(node->pre_hooks, grad);

    if (auto out = node->retained_output.lock()) {
      const Tensor& old = out->grad();
      out->set_grad(old ? ops::add(old, grad) : (create_graph ? grad : ops::clone(grad)));
    }
    if (auto c = captures.find(node.get()); c != captures.end()) {
      // A captured leaf's gradient passes its hooks first, as on accumulation.
      auto* leaf = dynamic_cast<AccumulateGrad*>(node.get());
      const Tensor g = leaf && !leaf->variable->leaf_hooks.empty() ? run_hooks(leaf->variable->leaf_hooks, grad) : grad;
      for (size_t i : c->second) captured[i] = g;
    }
    if (pruned) continue;

    std::vector<Tensor> input_grads = node->apply(grad);
    grad.reset();
    if (!keep_graph) node->release_saved();

    for (size_t i = 0; i < node->next_edges.size(); ++i) {
      const Edge& e = node->next_edges[i];
      if (!e.fn) continue;
      Node* next = e.fn.get();
      if (i < input_grads.size() && input_grads[i]) add_to_buffer(next, validated(*node, i, input_grads[i], *next));
      if (--dependencies[next] == 0) ready.push(e.fn);
    }
  }

  if (!accumulate_into_leaves) {
    for (size_t i = 0; i < inputs.size(); ++i)
      FT_CHECK(captured[i] || allow_unused, RuntimeError,
               "One of the differentiated Tensors appears to not have been used in the graph. Set "
               "allow_unused=True if this is the desired behavior.");
  }
  return captured;
}

}  // namespace ft::autograd
