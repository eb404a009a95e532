// Views: new shape/strides/offset over the same storage, never a copy
// (reshape copies only when no view can express the result). Each records
// how to map its output's gradient back to its input's shape.
#include <algorithm>
#include <numeric>

#include "autograd/grad_mode.h"
#include "ops/ops.h"

namespace ft::ops {

using autograd::SavedTensors;

namespace {

// A view with a backward closure that only needs the gradient.
template <class F>
Tensor view_with_grad(const Tensor& a, const Shape& shape, const Shape& strides, int64_t offset, const char* name,
                      F backward) {
  Tensor out = make_view(a, shape, strides, offset);
  out->view_base = a->view_base ? a->view_base : a;
  out->view_version = a->version();
  if (!autograd::is_grad_enabled() && a->requires_grad()) {
    out->no_grad_view = true;
    out->set_requires_grad(true);
  }
  if (a->multi_output_view >= 0 && autograd::is_grad_enabled()) out->multi_output_view = 0;
  if (autograd::any_requires_grad({&a}))
    autograd::record(out, name, {&a}, {}, [backward](const Tensor& g, const SavedTensors&, auto&) {
      return std::vector<Tensor>{backward(g)};
    });
  return out;
}

// Strides that let `new_shape` view memory laid out as (shape, strides), or
// nothing when a merged dimension would span two non-contiguous chunks.
std::optional<Shape> view_strides(const Shape& shape, const Shape& strides, const Shape& new_shape) {
  Shape out = Shape::filled(new_shape.size(), 0);
  if (shape.numel() == 0 || shape.size() == 0) return contiguous_strides(new_shape);
  int view_d = new_shape.size() - 1;
  int64_t chunk_base_stride = strides.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int d = shape.size() - 1; d >= 0; --d) {
    tensor_numel *= shape[d];
    // A chunk of dims ends where the next-outer dim is not contiguous with it.
    if (d == 0 || (shape[d - 1] != 1 && strides[d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || new_shape[view_d] == 1)) {
        out[view_d] = view_numel * chunk_base_stride;
        view_numel *= new_shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (d > 0) {
        chunk_base_stride = strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return out;
}

Shape wrap_dims_unique(const std::vector<int64_t>& dims, int ndim, const char* op) {
  Shape out;
  uint64_t seen = 0;
  for (int64_t d : dims) {
    int w = wrap_dim(d, ndim);
    FT_CHECK(!(seen >> w & 1), RuntimeError, op, "(): duplicate dims are not allowed.");
    seen |= uint64_t(1) << w;
    out.push_back(w);
  }
  return out;
}

}  // namespace

Shape infer_shape(const std::vector<int64_t>& shape, int64_t numel) {
  Shape out(shape.begin(), shape.end());
  int infer = -1;
  int64_t known = 1;
  for (int i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      FT_CHECK(infer < 0, RuntimeError, "only one dimension can be inferred");
      infer = i;
    } else {
      FT_CHECK(out[i] >= 0, RuntimeError, "invalid shape dimension ", out[i]);
      known *= out[i];
    }
  }
  if (infer >= 0) {
    FT_CHECK(known != 0 && numel % known == 0, RuntimeError, "shape '", Shape(shape).str(),
             "' is invalid for input of size ", numel);
    out[infer] = numel / known;
  }
  FT_CHECK(out.numel() == numel, RuntimeError, "shape '", Shape(shape).str(), "' is invalid for input of size ",
           numel);
  return out;
}

Tensor view(const Tensor& a, const std::vector<int64_t>& shape) {
  const Shape new_shape = infer_shape(shape, a->numel());
  auto strides = view_strides(a->shape(), a->strides(), new_shape);
  FT_CHECK(strides, RuntimeError,
           "view size is not compatible with input tensor's size and stride (at least one dimension spans across "
           "two contiguous subspaces). Use .reshape(...) instead.");
  const Shape in_shape = a->shape();
  return view_with_grad(a, new_shape, *strides, a->offset(), "ViewBackward0",
                        [in_shape](const Tensor& g) { return reshape(g, in_shape.vec()); });
}

Tensor reshape(const Tensor& a, const std::vector<int64_t>& shape) {
  const Shape new_shape = infer_shape(shape, a->numel());
  if (auto strides = view_strides(a->shape(), a->strides(), new_shape)) {
    const Shape in_shape = a->shape();
    return view_with_grad(a, new_shape, *strides, a->offset(), "ViewBackward0",
                          [in_shape](const Tensor& g) { return reshape(g, in_shape.vec()); });
  }
  Tensor c = clone(a);
  // The copy's node is CloneBackward0; PyTorch names the reshape of a copy UnsafeViewBackward0.
  Tensor out = make_view(c, new_shape, contiguous_strides(new_shape), 0);
  if (autograd::any_requires_grad({&c})) {
    const Shape in_shape = a->shape();
    autograd::record(out, "UnsafeViewBackward0", {&c}, {}, [in_shape](const Tensor& g, const SavedTensors&, auto&) {
      return std::vector<Tensor>{reshape(g, in_shape.vec())};
    });
  }
  return out;
}

Tensor transpose(const Tensor& a, int64_t d0, int64_t d1) {
  const int n = a->dim();
  const int i = wrap_dim(d0, n), j = wrap_dim(d1, n);
  if (n == 0) return view_with_grad(a, a->shape(), a->strides(), a->offset(), "TransposeBackward0", [](const Tensor& g) { return g; });
  Shape shape = a->shape(), strides = a->strides();
  std::swap(shape[i], shape[j]);
  std::swap(strides[i], strides[j]);
  return view_with_grad(a, shape, strides, a->offset(), "TransposeBackward0",
                        [i, j](const Tensor& g) { return transpose(g, i, j); });
}

Tensor permute(const Tensor& a, const std::vector<int64_t>& dims) {
  const int n = a->dim();
  FT_CHECK(static_cast<int>(dims.size()) == n, RuntimeError,
           "permute(sparse_coo): number of dimensions in the tensor input does not match the length of the "
           "desired ordering of dimensions i.e. input.dim() = ",
           n, " is not equal to len(dims) = ", dims.size());
  const Shape d = wrap_dims_unique(dims, n, "permute");
  Shape shape, strides;
  std::vector<int64_t> inverse(n);
  for (int k = 0; k < n; ++k) {
    shape.push_back(a->shape()[d[k]]);
    strides.push_back(a->strides()[d[k]]);
    inverse[d[k]] = k;
  }
  return view_with_grad(a, shape, strides, a->offset(), "PermuteBackward0",
                        [inverse](const Tensor& g) { return permute(g, inverse); });
}

Tensor expand(const Tensor& a, const std::vector<int64_t>& sizes) {
  const int n = sizes.size();
  FT_CHECK(n >= a->dim(), RuntimeError, "expand(", legacy_type_name(a), "{", a->shape().str(),
           "}, size=", Shape(sizes).str(),
           "): the number of sizes provided (", n, ") must be greater or equal to the number of dimensions in the tensor (",
           a->dim(), ")");
  Shape shape = Shape::filled(n, 0), strides = Shape::filled(n, 0);
  const int off = n - a->dim();
  for (int i = n - 1; i >= 0; --i) {  // from the last dim, as PyTorch reports the first mismatch
    const int j = i - off;
    int64_t want = sizes[i];
    if (j < 0) {
      FT_CHECK(want >= 0, RuntimeError, "The expanded size of the tensor (", want,
               ") isn't allowed in a leading, non-existing dimension ", i);
      shape[i] = want;
      strides[i] = 0;
      continue;
    }
    const int64_t have = a->shape()[j];
    if (want == -1) want = have;
    FT_CHECK(have == want || have == 1, RuntimeError, "The expanded size of the tensor (", want,
             ") must match the existing size (", have, ") at non-singleton dimension ", i,
             ".  Target sizes: ", Shape(sizes).str(), ".  Tensor sizes: ", a->shape().str());
    shape[i] = want;
    strides[i] = (have == want) ? a->strides()[j] : 0;
  }
  const Shape in_shape = a->shape();
  return view_with_grad(a, shape, strides, a->offset(), "ExpandBackward0",
                        [in_shape](const Tensor& g) { return sum_to(g, in_shape); });
}

Tensor squeeze(const Tensor& a, const std::vector<int64_t>& dims, bool all) {
  uint64_t drop = 0;
  if (all) {
    for (int i = 0; i < a->dim(); ++i)
      if (a->shape()[i] == 1) drop |= uint64_t(1) << i;
  } else {
    uint64_t seen = 0;
    for (int64_t d : dims) {
      const int w = wrap_dim(d, a->dim());
      FT_CHECK(!(seen >> w & 1), RuntimeError, "dim ", w, " appears multiple times in the list of dims");
      seen |= uint64_t(1) << w;
      if (a->dim() > 0 && a->shape()[w] == 1) drop |= uint64_t(1) << w;
    }
  }
  Shape shape, strides;
  for (int i = 0; i < a->dim(); ++i)
    if (!(drop >> i & 1)) {
      shape.push_back(a->shape()[i]);
      strides.push_back(a->strides()[i]);
    }
  const Shape in_shape = a->shape();
  return view_with_grad(a, shape, strides, a->offset(),
                        all ? "SqueezeBackward0" : dims.size() == 1 ? "SqueezeBackward1" : "SqueezeBackward2",
                        [in_shape](const Tensor& g) { return reshape(g, in_shape.vec()); });
}

Tensor unsqueeze(const Tensor& a, int64_t dim) {
  const int d = wrap_dim(dim, a->dim() + 1);
  Shape shape = a->shape(), strides = a->strides();
  const int64_t st = d < a->dim() ? a->shape()[d] * a->strides()[d] : 1;
  shape.insert(d, 1);
  strides.insert(d, st);
  return view_with_grad(a, shape, strides, a->offset(), "UnsqueezeBackward0",
                        [d](const Tensor& g) { return squeeze(g, {d}); });
}

Tensor flatten(const Tensor& a, int64_t start, int64_t end) {
  const int s = wrap_dim(start, a->dim()), e = wrap_dim(end, a->dim());  // 0-d: dims in [-1, 0]
  if (a->dim() == 0) return reshape(a, {1});
  FT_CHECK(s <= e, RuntimeError, "flatten() has invalid args: start_dim cannot come after end_dim");
  if (s == e) return a;
  std::vector<int64_t> shape;
  int64_t merged = 1;
  for (int i = 0; i < a->dim(); ++i) {
    if (i < s || i > e) shape.push_back(a->shape()[i]);
    else {
      merged *= a->shape()[i];
      if (i == e) shape.push_back(merged);
    }
  }
  return reshape(a, shape);
}

namespace {
// Writes the gradient of a sub-view into zeros shaped like the input.
template <class MakeView>
Tensor scatter_into_zeros(const Tensor& g, const Shape& in_shape, MakeView make) {
  Tensor z = zeros(in_shape, g->dtype(), g->device());
  // create_graph: the scatter itself is recorded (copy_ into the view gives z
  // a CopySlices node), so higher derivatives flow through slices.
  if (autograd::any_requires_grad({&g})) {
    copy_(make(z), g);
    return z;
  }
  Tensor part = make(z);
  backend(g->device()).copy(part, g);
  return z;
}
}  // namespace

namespace {
Tensor slice_named(const Tensor& a, int64_t dim, std::optional<int64_t> start, std::optional<int64_t> end,
                   int64_t step, const char* name);
Tensor select_named(const Tensor& a, int64_t dim, int64_t index, const char* name);
}  // namespace

Tensor slice(const Tensor& a, int64_t dim, std::optional<int64_t> start, std::optional<int64_t> end, int64_t step) {
  return slice_named(a, dim, start, end, step, "SliceBackward0");
}

Tensor select(const Tensor& a, int64_t dim, int64_t index) { return select_named(a, dim, index, "SelectBackward0"); }

namespace {
Tensor slice_named(const Tensor& a, int64_t dim, std::optional<int64_t> start, std::optional<int64_t> end,
                   int64_t step, const char* name) {
  FT_CHECK(a->dim() > 0, IndexError, "slice() cannot be applied to a 0-dim tensor.");
  FT_CHECK(step > 0, ValueError, "step must be greater than zero");
  const int d = wrap_dim(dim, a->dim());
  const int64_t n = a->shape()[d];
  int64_t s = start.value_or(0), e = end.value_or(n);
  if (s < 0) s += n;
  if (e < 0) e += n;
  s = std::clamp<int64_t>(s, 0, n);
  e = std::clamp<int64_t>(e, s, n);
  Shape shape = a->shape(), strides = a->strides();
  shape[d] = (e - s + step - 1) / step;
  strides[d] *= step;
  const int64_t offset = a->offset() + s * a->strides()[d];
  const Shape in_shape = a->shape();
  return view_with_grad(a, shape, strides, offset, name, [=](const Tensor& g) {
    return scatter_into_zeros(g, in_shape, [&](const Tensor& z) { return slice(z, d, s, e, step); });
  });
}

Tensor select_named(const Tensor& a, int64_t dim, int64_t index, const char* name) {
  FT_CHECK(a->dim() > 0, IndexError, "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                                     "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number");
  const int d = wrap_dim(dim, a->dim());
  const int64_t n = a->shape()[d];
  FT_CHECK(index >= -n && index < n, IndexError, "index ", index, " is out of bounds for dimension ", d,
           " with size ", n);
  if (index < 0) index += n;
  Shape shape = a->shape(), strides = a->strides();
  const int64_t offset = a->offset() + index * strides[d];
  shape.erase(d);
  strides.erase(d);
  const Shape in_shape = a->shape();
  return view_with_grad(a, shape, strides, offset, name, [=](const Tensor& g) {
    return scatter_into_zeros(g, in_shape, [&](const Tensor& z) { return select(z, d, index); });
  });
}

// The views of a function returning several (split, unbind), made with grad
// mode on: PyTorch's MULTI_OUTPUT_NODE views (Tensor::multi_output_view).
void mark_multi_output(std::vector<Tensor>& views) {
  if (!autograd::is_grad_enabled()) return;
  for (size_t i = 0; i < views.size(); ++i) views[i]->multi_output_view = int(i);
}

std::vector<Tensor> split_named(const Tensor& a, const std::vector<int64_t>& sizes, int64_t dim, const char* name) {
  FT_CHECK(a->dim() > 0, RuntimeError, "split expects at least a 1-dimensional tensor");
  const int d = wrap_dim(dim, a->dim());
  int64_t total = 0;
  for (int64_t s : sizes) total += s;
  FT_CHECK(total == a->shape()[d], RuntimeError, "split_with_sizes expects split_sizes to sum exactly to ",
           a->shape()[d], " (input tensor's size at dimension ", d, "), but got split_sizes=", Shape(sizes).str());
  std::vector<Tensor> out;
  int64_t start = 0;
  for (int64_t s : sizes) {
    out.push_back(slice_named(a, d, start, start + s, 1, name));
    start += s;
  }
  mark_multi_output(out);
  return out;
}
}  // namespace

Tensor narrow(const Tensor& a, int64_t dim, int64_t start, int64_t length) {
  FT_CHECK(a->dim() > 0, RuntimeError, "narrow() cannot be applied to a 0-dim tensor.");
  const int d = wrap_dim(dim, a->dim());
  const int64_t n = a->shape()[d];
  if (start < 0) start += n;
  FT_CHECK(start >= 0 && start <= n && length >= 0 && start + length <= n, RuntimeError, "start (", start,
           ") + length (", length, ") exceeds dimension size (", n, ").");
  return slice(a, d, start, start + length, 1);
}

std::vector<Tensor> split_with_sizes(const Tensor& a, const std::vector<int64_t>& sizes, int64_t dim) {
  return split_named(a, sizes, dim, "SplitWithSizesBackward0");
}

std::vector<Tensor> split(const Tensor& a, int64_t split_size, int64_t dim) {
  FT_CHECK(a->dim() > 0, RuntimeError, "split expects at least a 1-dimensional tensor");
  const int d = wrap_dim(dim, a->dim());
  FT_CHECK(split_size > 0 || a->shape()[d] == 0, RuntimeError, "split_size can only be 0 if dimension size is 0, but got dimension size of ", a->shape()[d]);
  std::vector<int64_t> sizes;
  for (int64_t s = 0; s < a->shape()[d]; s += split_size) sizes.push_back(std::min(split_size, a->shape()[d] - s));
  if (sizes.empty()) sizes.push_back(0);
  return split_named(a, sizes, d, "SplitBackward0");
}

std::vector<Tensor> chunk(const Tensor& a, int64_t chunks, int64_t dim) {
  FT_CHECK(a->dim() > 0, RuntimeError, "chunk expects at least a 1-dimensional tensor");
  FT_CHECK(chunks > 0, RuntimeError, "chunk expects `chunks` to be greater than 0, got: ", chunks);
  const int d = wrap_dim(dim, a->dim());
  const int64_t n = a->shape()[d];
  if (n == 0) {  // `chunks` empty pieces, as PyTorch
    FT_CHECK(uint64_t(chunks) <= std::vector<Tensor>().max_size(), RuntimeError,
             "cannot create std::vector larger than max_size()");  // (not a loop of 2^62 views)
    std::vector<Tensor> out;
    out.reserve(size_t(chunks));
    for (int64_t i = 0; i < chunks; ++i) out.push_back(narrow(a, d, 0, 0));
    return out;
  }
  return split(a, std::max<int64_t>((n + chunks - 1) / chunks, 1), d);
}

std::vector<Tensor> unbind(const Tensor& a, int64_t dim) {
  FT_CHECK(a->dim() > 0, IndexError, "Dimension specified as ", dim, " but tensor has no dimensions");
  const int d = wrap_dim(dim, a->dim());
  std::vector<Tensor> out;
  for (int64_t i = 0; i < a->shape()[d]; ++i) out.push_back(select_named(a, d, i, "UnbindBackward0"));
  mark_multi_output(out);
  return out;
}

std::vector<Tensor> meshgrid(const std::vector<Tensor>& ts, const std::string& indexing) {
  FT_CHECK(!ts.empty(), RuntimeError, "meshgrid expects a non-empty TensorList");
  FT_CHECK(indexing == "ij" || indexing == "xy", RuntimeError,
           "fasttensor.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: ", indexing);
  std::vector<int64_t> shape;
  for (size_t k = 0; k < ts.size(); ++k) {
    FT_CHECK(ts[k]->dim() <= 1, RuntimeError, "fasttensor.meshgrid: Expected 0D or 1D tensor in the tensor list but got a ",
             ts[k]->dim(), "-D tensor of shape ", ts[k]->shape().str(), " at position ", k);
    FT_CHECK(ts[k]->dtype() == ts[0]->dtype(), RuntimeError, "meshgrid expects all tensors to have the same dtype, got ",
             dtype_name(ts[0]->dtype()), " and ", dtype_name(ts[k]->dtype()));
    check_same_device(ts[0], ts[k], "meshgrid");
    shape.push_back(ts[k]->numel());
  }
  // "xy" (Cartesian) swaps the roles of the first two inputs in the grid.
  const bool xy = indexing == "xy" && ts.size() >= 2;
  if (xy) std::swap(shape[0], shape[1]);
  std::vector<Tensor> grids;
  for (size_t k = 0; k < ts.size(); ++k) {
    const size_t axis = xy && k < 2 ? 1 - k : k;
    std::vector<int64_t> along(ts.size(), 1);
    along[axis] = shape[axis];
    grids.push_back(expand(view(ts[k], along), shape));
  }
  return grids;
}

Tensor alias(const Tensor& a) {
  return view_with_grad(a, a->shape(), a->strides(), a->offset(), "AliasBackward0", [](const Tensor& g) { return g; });
}

Tensor matrix_transpose(const Tensor& a, const std::string& name) {
  // Real dtypes only, so the conjugate transposes (mH, H, adjoint) are the transposes. PyTorch returns a 0-d
  // tensor itself (not a view), and its x.H takes matrices only.
  if (a->dim() == 0) return a;
  if (name == "H")
    FT_CHECK(a->dim() == 2, RuntimeError, "tensor.H is only supported on matrices (2-D tensors). Got ", a->dim(),
             "-D tensor.", a->dim() > 2 ? " For batches of matrices, consider using tensor.mH" : "");
  FT_CHECK(a->dim() >= 2, RuntimeError, "tensor.", name, " is only supported on matrices or batches of matrices. Got ",
           a->dim(), "-D tensor.");
  return transpose(a, -2, -1);
}

Tensor t(const Tensor& a) {
  FT_CHECK(a->dim() <= 2, RuntimeError, "t() expects a tensor with <= 2 dimensions, but self is ", a->dim(), "D");
  if (a->dim() < 2)
    return view_with_grad(a, a->shape(), a->strides(), a->offset(), "TBackward0", [](const Tensor& g) { return g; });
  Shape shape = a->shape(), strides = a->strides();
  std::swap(shape[0], shape[1]);
  std::swap(strides[0], strides[1]);
  return view_with_grad(a, shape, strides, a->offset(), "TBackward0", [](const Tensor& g) { return t(g); });
}

// Tensor.view(dtype): the same bytes read as another dtype of the same size
// (float32 <-> int32, float64 <-> int64, bool <-> uint8): shape, strides and
// offset unchanged, no gradient (the bits are not a differentiable function
// of the values).
Tensor view_as_dtype(const Tensor& a, DType dt) {
  if (dt == a->dtype()) return view_with_grad(a, a->shape(), a->strides(), a->offset(), "ViewBackward0",
                                              [](const Tensor& g) { return g; });
  FT_CHECK(itemsize(dt) == itemsize(a->dtype()), NotImplementedError, "view(dtype): only dtypes of the same size "
           "are supported (", dtype_name(a->dtype()), " has ", itemsize(a->dtype()), " bytes, ", dtype_name(dt), " ",
           itemsize(dt), ")");
  Tensor out = std::make_shared<TensorImpl>(a->storage(), dt, a->shape(), a->strides(), a->offset());
  out->view_base = a->view_base ? a->view_base : a;
  out->view_version = a->version();
  return out;
}

// Tensor.unfold: the windows of `size` elements every `step` along dim, as a
// view: dim becomes the window count (its stride times step) and a last dim
// of `size` walks a window (dim's stride). A 0-d tensor unfolds into its one
// element (size 1) or nothing. Windows overlap when step < size, so the
// backward adds up each window position's gradient rather than copying it.
Tensor unfold(const Tensor& a, int64_t dim, int64_t size, int64_t step) {
  const int n = a->dim();
  const int d = wrap_dim(dim, std::max(n, 1));
  const int64_t length = n == 0 ? 1 : a->shape()[d];
  FT_CHECK(size <= length, RuntimeError, "maximum size for tensor at dimension ", d, " is ", length, " but size is ",
           size);
  FT_CHECK(step > 0, RuntimeError, "step is ", step, " but must be > 0");
  FT_CHECK(size >= 0, RuntimeError, "size is ", size, " but must be >= 0");
  if (n == 0)
    return view_with_grad(a, Shape{size}, Shape{1}, a->offset(), "UnfoldBackward0", [size](const Tensor& g) {
      return size == 1 ? reshape(g, {}) : zeros(Shape{}, g->dtype(), g->device());
    });
  const int64_t windows = (length - size) / step + 1;
  Shape shape = a->shape(), strides = a->strides();
  shape[d] = windows;
  strides[d] = a->strides()[d] * step;
  shape.push_back(size);
  strides.push_back(a->strides()[d]);
  const Shape in_shape = a->shape();
  return view_with_grad(a, shape, strides, a->offset(), "UnfoldBackward0", [=](const Tensor& g) {
    Tensor total;
    for (int64_t k = 0; k < size; ++k) {  // position k of every window: elements k, k + step, ...
      Tensor part = scatter_into_zeros(select(g, g->dim() - 1, k), in_shape, [&](const Tensor& z) {
        return slice(z, d, k, k + (windows - 1) * step + 1, step);
      });
      total = total ? add(total, part) : part;
    }
    return total ? total : zeros(in_shape, g->dtype(), g->device());
  });
}

Tensor diagonal(const Tensor& a, int64_t offset, int64_t dim1, int64_t dim2) {
  const int n = a->dim();
  const int d1 = wrap_dim(dim1, n), d2 = wrap_dim(dim2, n);
  FT_CHECK(d1 != d2, RuntimeError, "diagonal dimensions cannot be identical ", dim1, ", ", dim2);
  const int64_t rows = a->shape()[d1], cols = a->shape()[d2];
  const int64_t first_row = std::max<int64_t>(-offset, 0), first_col = std::max<int64_t>(offset, 0);
  const int64_t length = std::max<int64_t>(std::min(rows - first_row, cols - first_col), 0);
  // Always a strided view (the other dims, then the diagonal with stride s1 + s2), as PyTorch's.
  Shape shape, strides;
  for (int d = 0; d < n; ++d)
    if (d != d1 && d != d2) {
      shape.push_back(a->shape()[d]);
      strides.push_back(a->strides()[d]);
    }
  shape.push_back(length);
  strides.push_back(a->strides()[d1] + a->strides()[d2]);
  const int64_t start = length > 0 ? first_row * a->strides()[d1] + first_col * a->strides()[d2] : 0;
  const Shape in_shape = a->shape();
  return view_with_grad(a, shape, strides, a->offset() + start, "DiagonalBackward0", [=](const Tensor& g) {
    return scatter_into_zeros(g, in_shape, [&](const Tensor& z) { return diagonal(z, offset, d1, d2); });
  });
}

}  // namespace ft::ops
