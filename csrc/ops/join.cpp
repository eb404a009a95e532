// cat, stack and repeat: one output, each input (or tile) copied into its slice.
#include "autograd/grad_mode.h"
#include "ops/ops.h"

namespace ft::ops {

using autograd::SavedTensors;

Tensor cat(const std::vector<Tensor>& ts, int64_t dim) {
  FT_CHECK(!ts.empty(), ValueError, "torch.cat(): expected a non-empty list of Tensors");
  // Every input takes part in dtype promotion, the empty ones too; the legacy 1-D empty tensors are
  // then skipped in the shape checks (their position in the list still names a mismatch).
  DType dt = ts[0]->dtype();
  std::vector<size_t> parts;  // positions in ts of the tensors that are not 1-D empty
  for (size_t k = 0; k < ts.size(); ++k) {
    FT_CHECK(ts[k]->dim() > 0, RuntimeError, "zero-dimensional tensor (at position ", k, ") cannot be concatenated");
    dt = promote_types(dt, ts[k]->dtype());
    if (!(ts[k]->dim() == 1 && ts[k]->numel() == 0)) parts.push_back(k);
  }
  // All of them 1-D empty: a 1-D empty result, whatever dim says.
  const Tensor& first = ts[parts.empty() ? 0 : parts[0]];
  const int d = parts.empty() ? 0 : wrap_dim(dim, first->dim());
  Shape shape = first->shape();
  shape[d] = 0;
  for (size_t k : parts) {
    const Tensor& t = ts[k];
    FT_CHECK(t->dim() == first->dim(), RuntimeError,
             "Tensors must have same number of dimensions: got ", first->dim(), " and ", t->dim());
    check_same_device(first, t, "tensors in cat");
    for (int i = 0; i < t->dim(); ++i)
      FT_CHECK(i == d || t->shape()[i] == first->shape()[i], RuntimeError, "Sizes of tensors must match except in dimension ",
               d, ". Expected size ", first->shape()[i], " but got size ", t->shape()[i], " for tensor number ", k,
               " in the list.");
    shape[d] += t->shape()[d];
  }
  Tensor out = empty(shape, dt, first->device());
  std::vector<int64_t> sizes;
  int64_t start = 0;
  for (size_t k : parts) {
    const Tensor& t = ts[k];
    Tensor part = make_view(out, t->shape(), out->strides(), out->offset() + start * out->strides()[d]);
    backend(out->device()).copy(part, t);
    start += t->shape()[d];
    sizes.push_back(t->shape()[d]);
  }
  if (is_floating(dt)) {
    bool needs = false;
    for (const Tensor& t : ts) needs = needs || autograd::any_requires_grad({&t});
    if (needs) {
      // Every input is a node input, the skipped 1-D empty ones too (their gradient: empty).
      std::vector<DType> dtypes;
      std::vector<bool> skipped;
      for (const Tensor& t : ts) {
        dtypes.push_back(t->dtype());
        skipped.push_back(t->dim() == 1 && t->numel() == 0);
      }
      autograd::record(out, "CatBackward0", ts, {},
                       [sizes, d, dtypes, skipped](const Tensor& g, const SavedTensors&, auto& needs) {
                         std::vector<Tensor> pieces = split_with_sizes(g, sizes, d);
                         std::vector<Tensor> grads(skipped.size());
                         size_t next = 0;
                         for (size_t k = 0; k < skipped.size(); ++k) {
                           Tensor gk = skipped[k] ? empty(Shape{0}, dtypes[k], g->device()) : pieces[next++];
                           if (needs[k]) grads[k] = gk->dtype() == dtypes[k] ? gk : to_dtype(gk, dtypes[k]);
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

// a seen as [1, s0, 1, s1, ...] expanded to [r0, s0, r1, s1, ...] is the
// output's layout: one strided copy fills every tile. The gradient sums the
// tiles: g as [r0, s0, r1, s1, ...] summed over the r dims.
Tensor repeat(const Tensor& a, const std::vector<int64_t>& repeats) {
  const int n = static_cast<int>(repeats.size());
  FT_CHECK(n >= a->dim(), RuntimeError,
           "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor");
  const int lead = n - a->dim();
  std::vector<int64_t> spread, tiles, out_shape;
  for (int i = 0; i < n; ++i) {
    const int64_t size = i < lead ? 1 : a->shape()[i - lead];
    spread.insert(spread.end(), {1, size});
    tiles.insert(tiles.end(), {repeats[i], size});
    out_shape.push_back(repeats[i] * size);
  }
  for (int i = 0; i < n; ++i)
    FT_CHECK(repeats[i] >= 0, RuntimeError, "Trying to create tensor with negative dimension ",
             out_shape[i] < 0 ? out_shape[i] : repeats[i], ": ", Shape(out_shape).str());
  Tensor out = empty(Shape(out_shape), a->dtype(), a->device());
  if (out->numel() > 0) {
    autograd::GradModeGuard no_grad(false);
    const Shape tiled(tiles);
    backend(a->device()).copy(make_view(out, tiled, contiguous_strides(tiled), 0), expand(reshape(a, spread), tiles));
  }
  if (is_floating(a->dtype()) && autograd::any_requires_grad({&a})) {
    const Shape in_shape = a->shape();
    autograd::record(out, "RepeatBackward0", {&a}, {}, [tiles, in_shape, n](const Tensor& g, const SavedTensors&, auto&) {
      std::vector<int64_t> tile_dims;
      for (int i = 0; i < n; ++i) tile_dims.push_back(2 * i);
      Tensor summed = n == 0 ? g : sum(reshape(g, tiles), tile_dims, false);
      return std::vector<Tensor>{reshape(summed, in_shape.vec())};
    });
  }
  return out;
}

}  // namespace ft::ops
