// Tensor: storage + dtype + shape + strides (in elements) + offset, plus the
// autograd metadata. Python holds a std::shared_ptr<TensorImpl>; views share
// the storage, never copy.
#pragma once

#include <initializer_list>

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/scalar.h"
#include "core/shape.h"
#include "core/storage.h"

namespace ft {

class TensorImpl;
using Tensor = std::shared_ptr<TensorImpl>;
// A gradient hook (Tensor.register_hook): sees a gradient, returns a
// replacement or an undefined Tensor to keep it. Kept with an id for removal.
struct GradHook {
  int64_t id;
  std::function<Tensor(const Tensor&)> fn;
};
namespace autograd {
struct Node;
}

class TensorImpl {
 public:
  TensorImpl(std::shared_ptr<Storage> storage, DType dtype, const Shape& shape, const Shape& strides,
             int64_t offset)
      : storage_(std::move(storage)), shape_(shape), strides_(strides), offset_(offset), dtype_(dtype) {}

  // --- layout -------------------------------------------------------------
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  const Shape& strides() const { return strides_; }
  int64_t offset() const { return offset_; }
  int dim() const { return shape_.size(); }
  // A 0-d tensor's size along its one pseudo-dim (0 or -1) is 1 (shape_ holds no entry to read).
  int64_t size(int64_t d) const { return dim() == 0 ? (wrap_dim(d, 0), 1) : shape_[wrap_dim(d, dim())]; }
  int64_t numel() const { return shape_.numel(); }
  size_t itemsize() const { return ft::itemsize(dtype_); }
  const Device& device() const { return storage_->device(); }
  const std::shared_ptr<Storage>& storage() const { return storage_; }
  bool is_contiguous() const;

  void* data() const { return static_cast<char*>(storage_->data()) + offset_ * itemsize(); }
  template <class T>
  T* data_as() const { return static_cast<T*>(data()); }

  // Points this tensor at another layout (detach_, set_data, in-place resize).
  void set_layout(std::shared_ptr<Storage> storage, DType dtype, const Shape& shape, const Shape& strides,
                  int64_t offset) {
    storage_ = std::move(storage);
    dtype_ = dtype;
    shape_ = shape;
    strides_ = strides;
    offset_ = offset;
  }

  // --- autograd -----------------------------------------------------------
  bool requires_grad() const { return requires_grad_ || grad_fn_ != nullptr; }
  void set_requires_grad(bool r) { requires_grad_ = r; }
  bool is_leaf() const { return grad_fn_ == nullptr; }
  const std::shared_ptr<autograd::Node>& grad_fn() const { return grad_fn_; }
  void set_grad_fn(std::shared_ptr<autograd::Node> fn) { grad_fn_ = std::move(fn); }
  const Tensor& grad() const { return grad_; }
  void set_grad(Tensor g) { grad_ = std::move(g); }
  bool retains_grad() const { return retains_grad_; }
  void set_retains_grad(bool r) { retains_grad_ = r; }
  // Leaves gather gradients through one AccumulateGrad node, made lazily and
  // held weakly: the graph holds it, the tensor only finds it again.
  std::weak_ptr<autograd::Node>& grad_accumulator() { return grad_accumulator_; }
  uint32_t version() const { return storage_->version(); }
  void bump_version() { storage_->bump_version(); }

  // The tensor this one is a view of (set by the view ops), so an in-place
  // op can tell it would bypass the base's autograd history.
  Tensor view_base;
  // The storage's version when this view's grad_fn was made: an in-place op
  // on the base or another view since then leaves that grad_fn stale, and
  // autograd::refresh_view makes a new one from the base's history.
  uint32_t view_version = 0;
  // A view made under no_grad of a tensor that requires grad: it shows
  // requires_grad, as in PyTorch, but no gradient flows through it to the
  // base (nor into its own .grad), and in-place ops on it with grad mode on
  // are refused.
  bool no_grad_view = false;
  // A view returned by a function that returns several views (split, chunk,
  // unbind), or a view of one: its output number there (0 for a view of
  // one), else -1. As in PyTorch, autograd refuses in-place ops on it and,
  // once its base changed in place, any use that needs its history.
  int multi_output_view = -1;
  // Hooks of a leaf, run on its gradient before it is accumulated into .grad
  // (a non-leaf's hooks live on its grad_fn node).
  std::vector<GradHook> leaf_hooks;

  // A Python scalar turned into a 0-d tensor: takes part in promotion only by
  // category (int64_tensor * 2.5 → float32), as PyTorch's wrapped numbers.
  bool is_wrapped_number = false;

 private:
  std::shared_ptr<Storage> storage_;
  Shape shape_;
  Shape strides_;
  int64_t offset_;
  DType dtype_;
  bool requires_grad_ = false;
  bool retains_grad_ = false;
  Tensor grad_;
  std::shared_ptr<autograd::Node> grad_fn_;
  std::weak_ptr<autograd::Node> grad_accumulator_;
};

// A fresh contiguous tensor; contents uninitialised.
Tensor empty(const Shape& shape, DType dtype, Device device = Device{});
// A view of t's storage with the given layout (no autograd: ops attach that).
Tensor make_view(const Tensor& t, const Shape& shape, const Shape& strides, int64_t offset);
// True when t's elements fill one block of memory without gaps or repeats,
// in some order of its dims (contiguous, transposed, permuted): such a tensor
// covers exactly [offset, offset + numel) of its storage.
bool is_non_overlapping_and_dense(const Tensor& t);
// A new tensor of t's shape with PyTorch's preserve_format layout: t's
// strides when t is non-overlapping and dense, else dense strides in the
// memory order of t's dims (contiguous for a contiguous-ordered t).
Tensor empty_like(const Tensor& t, DType dtype, Device device);
// The output of an elementwise op over `inputs` (broadcast to `shape`): laid
// out in the inputs' memory order (PyTorch's TensorIterator rule), so an op on
// transposed tensors gives a transposed result; contiguous when the inputs are.
Tensor empty_for_operands(const Shape& shape, DType dtype, Device device, std::initializer_list<const Tensor*> inputs);
// A 0-d tensor holding a Python number (is_wrapped_number set).
Tensor wrap_scalar(const Scalar& s, Device device = Device{});
// A 0-d tensor of the given dtype.
Tensor scalar_tensor(const Scalar& s, DType dtype, Device device = Device{});

// The value of a one-element tensor (any device).
Scalar item(const Tensor& t);

// How PyTorch's messages name t's type: torch.LongTensor, torch.cuda.FloatTensor; bool keeps the
// internal name, CPUBoolType / CUDABoolType (PyTorch's Python layer renames all the others).
std::string legacy_type_name(const Tensor& t);

}  // namespace ft
