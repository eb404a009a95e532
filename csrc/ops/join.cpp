// cat and stack: one output, each input copied into its slice.
#include "autograd/grad_mode.h"
#include "ops/ops.h"

namespace ft::ops {

using autograd::SavedTensors;

Tensor cat(const std::vector<Tensor>& ts, int64_t dim) {
  FT_CHECK(!ts.empty(), ValueError, "torch.cat(): expected a non-empty list of Tensors");
  // Legacy rule kept by PyTorch: 1-D empty tensors are skipped.
  std::vector<Tensor> parts;
  for (const Tensor& t : ts)
    if (!(t->dim() == 1 && t->numel() == 0)) parts.push_back(t);
  if (parts.empty()) return clone(ts[0]);
  const Tensor& first = parts[0];
  FT_CHECK(first->dim() > 0, RuntimeError, "zero-dimensional tensor (at position 0) cannot be concatenated");
  const int d = wrap_dim(dim, first->dim());
  DType dt = parts[0]->dtype();
  Shape shape = first->shape();
  shape[d] = 0;
  for (size_t k = 0; k < parts.size(); ++k) {
    const Tensor& t = parts[k];
    FT_CHECK(t->dim() == first->dim(), RuntimeError,
             "Tensors must have same number of dimensions: got ", first->dim(), " and ", t->dim());
    check_same_device(first, t, "tensors in cat");
    for (int i = 0; i < t->dim(); ++i)
      FT_CHECK(i == d || t->shape()[i] == first->shape()[i], RuntimeError, "Sizes of tensors must match except in dimension ",
               d, ". Expected size ", first->shape()[i], " but got size ", t->shape()[i], " for tensor number ", k,
               " in the list.");
    shape[d] += t->shape()[d];
    dt = promote_types(dt, t->dtype());
  }
  Tensor out = empty(shape, dt, first->device());
  std::vector<int64_t> sizes;
  int64_t start = 0;
  for (const Tensor& t : parts) {
    Tensor part = make_view(out, t->shape(), out->strides(), out->offset() + start * out->strides()[d]);
    backend(out->device()).copy(part, t);
    start += t->shape()[d];
    sizes.push_back(t->shape()[d]);
  }
  if (is_floating(dt)) {
    bool needs = false;
    for (const Tensor& t : parts) needs = needs || autograd::any_requires_grad({&t});
    if (needs) {
      std::vector<DType> dtypes;
      for (const Tensor& t : parts) dtypes.push_back(t->dtype());
      autograd::record(out, "CatBackward0", parts, {}, [sizes, d, dtypes](const Tensor& g, const SavedTensors&, auto& needs) {
        std::vector<Tensor> grads = split_with_sizes(g, sizes, d);
        for (size_t k = 0; k < grads.size(); ++k) {
          if (!needs[k]) grads[k] = Tensor();
          else if (grads[k]->dtype() != dtypes[k]) grads[k] = to_dtype(grads[k], dtypes[k]);
        }
        return grads;
      });
    }
  }
  return out;
}

Tensor stack(const std::vector<Tensor>& ts, int64_t dim) {
  FT_CHECK(!ts.empty(), RuntimeError, "stack expects a non-empty TensorList");
  const int d = wrap_dim(dim, ts[0]->dim() + 1);
  std::vector<Tensor> parts;
  for (size_t k = 0; k < ts.size(); ++k) {
    FT_CHECK(ts[k]->shape() == ts[0]->shape(), RuntimeError, "stack expects each tensor to be equal size, but got ",
             ts[0]->shape().str(), " at entry 0 and ", ts[k]->shape().str(), " at entry ", k);
    parts.push_back(make_view(ts[k], [&] { Shape s = ts[k]->shape(); s.insert(d, 1); return s; }(),
                              [&] { Shape s = ts[k]->strides(); s.insert(d, 1); return s; }(), ts[k]->offset()));
  }
  Tensor out;
  {
    autograd::GradModeGuard no_grad(false);
    out = cat(parts, d);
  }
  bool needs = false;
  for (const Tensor& t : ts) needs = needs || autograd::any_requires_grad({&t});
  if (needs && is_floating(out->dtype())) {
    std::vector<DType> dtypes;
    for (const Tensor& t : ts) dtypes.push_back(t->dtype());
    autograd::record(out, "StackBackward0", ts, {}, [d, dtypes](const Tensor& g, const SavedTensors&, auto& needs) {
      std::vector<Tensor> grads = unbind(g, d);
      for (size_t k = 0; k < grads.size(); ++k) {
        if (!needs[k]) grads[k] = Tensor();
        else if (grads[k]->dtype() != dtypes[k]) grads[k] = to_dtype(grads[k], dtypes[k]);
      }
      return grads;
    });
  }
  return out;
}

}  // namespace ft::ops
