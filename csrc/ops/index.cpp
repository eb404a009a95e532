// Indexing: integers, slices, None, Ellipsis and booleans become views;
// integer and boolean tensors (advanced indexing) gather through one kernel
// with precomputed element offsets. Assignment goes through the same walk.
#include <algorithm>
#include <optional>

#include "autograd/grad_mode.h"
#include "ops/ops.h"

namespace ft::ops {

using autograd::SavedTensors;
using Kind = IndexItem::Kind;

namespace {

struct AdvancedIndex {
  std::vector<int> dims;          // dims of the view that tensors index
  std::vector<Tensor> indices;    // int64, one per dim
  bool in_range = false;          // every index already known in [0, size): no bounds pass
};

// Applies the basic items as views of `self` (differentiable when `track`),
// collecting the tensor indices for the advanced part.
Tensor apply_basic(const Tensor& self, const std::vector<IndexItem>& items, AdvancedIndex& adv) {
  int consumed = 0;
  bool has_ellipsis = false;
  for (const IndexItem& it : items) {
    if (it.kind == Kind::Int || it.kind == Kind::Slice) ++consumed;
    else if (it.kind == Kind::Tensor) consumed += it.t->dtype() == DType::Bool || it.t->dtype() == DType::UInt8 ? it.t->dim() : 1;
    else if (it.kind == Kind::Ellipsis) {
      FT_CHECK(!has_ellipsis, IndexError, "an index can only have a single ellipsis ('...')");
      has_ellipsis = true;
    }
  }
  FT_CHECK(consumed <= self->dim(), IndexError, "too many indices for tensor of dimension ", self->dim());

  Tensor v = self;
  int cur = 0;
  int position = -1;  // of the item in the index (PyTorch's messages call it the dimension)
  for (const IndexItem& it : items) {
    ++position;
    switch (it.kind) {
      case Kind::Int: {
        const int64_t n = v->shape()[cur];
        FT_CHECK(it.i >= -n && it.i < n, IndexError, "index ", it.i, " is out of bounds for dimension ", position,
                 " with size ", n);
        v = select(v, cur, it.i);
        break;
      }
      case Kind::Slice:
        v = slice(v, cur, it.start, it.stop, it.step);
        ++cur;
        break;
      case Kind::None:
        v = unsqueeze(v, cur);
        ++cur;
        break;
      case Kind::Ellipsis:
        cur += self->dim() - consumed;
        break;
      case Kind::Bool:
        // As PyTorch: a new dim of size 1, indexed by the advanced index [0] (True) or [] (False),
        // so x[True] is a copy and x[True, [0]] broadcasts the two indices.
        v = unsqueeze(v, cur);
        adv.dims.push_back(cur);
        adv.indices.push_back(zeros(Shape{it.b ? 1 : 0}, DType::Int64, v->device()));
        ++cur;
        break;
      case Kind::Tensor: {
        // Index tensors may live on the CPU while v is on an accelerator (as in PyTorch).
        const Tensor t = it.t->device() == v->device() ? it.t : to_device(it.t, v->device());
        if (t->dtype() == DType::Bool || t->dtype() == DType::UInt8) {
          for (int k = 0; k < t->dim(); ++k)
            FT_CHECK(t->shape()[k] == v->shape()[cur + k], IndexError, "The shape of the mask ", t->shape().str(),
                     " at index ", k, " does not match the shape of the indexed tensor ", v->shape().str(),
                     " at index ", cur + k);
          // A mask over several dims that v lays out as one (a contiguous block): index the merged
          // dim with the flattened mask, one index instead of one per dim.
          if (t->dim() >= 2) {
            bool mergeable = true;
            for (int k = 0; k + 1 < t->dim(); ++k)
              mergeable = mergeable && v->strides()[cur + k] == v->strides()[cur + k + 1] * v->shape()[cur + k + 1];
            if (mergeable) {
              std::vector<int64_t> shape;
              for (int d = 0; d < v->dim(); ++d) {
                if (d > cur && d < cur + t->dim()) shape.back() *= v->shape()[d];
                else shape.push_back(v->shape()[d]);
              }
              v = view(v, shape);  // a view (the dims merge), recorded for autograd
              Tensor nz = nonzero(reshape(t, {-1}));  // (n, 1)
              adv.dims.push_back(cur);
              adv.indices.push_back(select(nz, 1, 0));
              ++cur;
              break;
            }
          }
          Tensor nz = nonzero(t);  // (n, k)
          for (int k = 0; k < t->dim(); ++k) {
            adv.dims.push_back(cur + k);
            adv.indices.push_back(select(nz, 1, k));
          }
          if (t->dim() == 0) {  // a 0-d mask: a new dim of size 1 (true) or 0 (false)
            v = unsqueeze(v, cur);
            adv.dims.push_back(cur);
            adv.indices.push_back(zeros(Shape{nz->shape()[0]}, DType::Int64, v->device()));
          }
          cur += std::max(t->dim(), 1);
        } else {
          FT_CHECK(!is_floating(t->dtype()), IndexError,
                   "tensors used as indices must be long, int, byte or bool tensors");
          adv.dims.push_back(cur);
          adv.indices.push_back(cast_to(t, DType::Int64));
          ++cur;
        }
        break;
      }
    }
  }
  return v;
}

// What the kernels need for one advanced index.
struct Gather {
  Tensor src;       // v without the indexed dims
  Tensor offsets;   // (n,) int64
  int pos = 0;      // where the index dims go in the result
  Shape index_shape;
  Shape result_shape;
};

Gather plan_gather(const Tensor& v, AdvancedIndex& adv) {
  Shape ishape;
  try {
    for (const Tensor& t : adv.indices) ishape = broadcast_shapes(ishape, t->shape());
  } catch (const RuntimeError&) {
    std::string shapes;
    for (const Tensor& t : adv.indices) shapes += str(shapes.empty() ? "" : ", ", t->shape().str());
    throw IndexError(str("shape mismatch: indexing tensors could not be broadcast together with shapes ", shapes));
  }
  // PyTorch checks each index as its kernel reaches it: with no element to gather (x[2:2, [7]]),
  // none is checked.
  int64_t result_numel = ishape.numel();
  for (int i = 0; i < v->dim(); ++i)
    if (std::find(adv.dims.begin(), adv.dims.end(), i) == adv.dims.end()) result_numel *= v->shape()[i];
  // Offsets: sum over indexed dims of index * stride, negatives wrapped.
  Tensor offsets;
  for (size_t j = 0; j < adv.indices.size(); ++j) {
    const int d = adv.dims[j];
    const int64_t size = v->shape()[d];
    Tensor idx = adv.indices[j];
    if (idx->numel() > 0 && result_numel > 0 && !adv.in_range) {
      const int64_t lo = item(amin(idx, {}, false)).i, hi = item(amax(idx, {}, false)).i;
      FT_CHECK(size > 0, IndexError, "index is out of bounds for dimension with size 0");
      // (PyTorch numbers the dimension among the index tensors: x[:, [5]] is "dimension 0")
      FT_CHECK(lo >= -size && hi < size, IndexError, "index ", (hi >= size ? hi : lo),
               " is out of bounds for dimension ", j, " with size ", size);
      if (lo < 0) idx = where(binary(BinaryOp::Lt, idx, wrap_scalar(Scalar::from_int(0))),
                              add(idx, wrap_scalar(Scalar::from_int(size))), idx);
    }
    Tensor term = mul(idx, wrap_scalar(Scalar::from_int(v->strides()[d])));
    offsets = offsets ? add(offsets, term) : term;
  }
  Gather g;
  g.index_shape = ishape;
  g.offsets = contiguous(reshape(expand(offsets, ishape.vec()), {-1}));
  Shape src_shape, src_strides;
  bool adjacent = true;
  for (size_t j = 1; j < adv.dims.size(); ++j) adjacent = adjacent && adv.dims[j] == adv.dims[j - 1] + 1;
  int before = 0;
  for (int i = 0; i < v->dim(); ++i) {
    if (std::find(adv.dims.begin(), adv.dims.end(), i) != adv.dims.end()) continue;
    src_shape.push_back(v->shape()[i]);
    src_strides.push_back(v->strides()[i]);
    if (i < adv.dims[0]) ++before;
  }
  g.pos = adjacent ? before : 0;
  g.src = make_view(v, src_shape, src_strides, v->offset());
  for (int i = 0; i < src_shape.size() + 1; ++i) {
    if (i == g.pos)
      for (int k = 0; k < ishape.size(); ++k) g.result_shape.push_back(ishape[k]);
    if (i < src_shape.size()) g.result_shape.push_back(src_shape[i]);
  }
  return g;
}

Shape gather_out_shape(const Gather& g) {
  Shape s = g.src->shape();
  s.insert(g.pos, g.offsets->numel());
  return s;
}

}  // namespace

namespace {

// The layout of one advanced-index gather from a contiguous tensor of
// v_shape: what backward needs to scatter into zeros, and double backward to
// gather again.
struct GatherLayout {
  Shape v_shape;                 // the indexed tensor (contiguous)
  Shape src_shape, src_strides;  // v without the indexed dims
  Shape gather_shape;            // the kernel's output: src with n inserted at pos
  Shape result_shape;            // what the user sees
  int pos = 0;
};

Tensor scatter_into_zeros(const Tensor& grad, const GatherLayout& L, const Tensor& offsets);

// result = v at the offsets, differentiable; v contiguous with L.v_shape.
// `name` is the backward node's (PyTorch's name for the op that indexed).
Tensor gather_at(const Tensor& v, const GatherLayout& L, const Tensor& offsets,
                 const char* name = "IndexBackward0") {
  Tensor out = empty(L.gather_shape, v->dtype(), v->device());
  if (out->numel() > 0)
    backend(v->device()).index_gather(out, make_view(v, L.src_shape, L.src_strides, v->offset()), offsets, L.pos);
  Tensor result = make_view(out, L.result_shape, contiguous_strides(L.result_shape), 0);
  if (is_floating(v->dtype()) && autograd::any_requires_grad({&v}))
    autograd::record(result, name, {&v}, {{offsets}}, [L](const Tensor& g, const SavedTensors& s, auto&) {
      return std::vector<Tensor>{scatter_into_zeros(g, L, s[0])};
    });
  return result;
}

// The gradient of gather_at: zeros of v_shape with grad added at the offsets
// (repeated offsets accumulate); its own gradient is gather_at again.
Tensor scatter_into_zeros(const Tensor& grad, const GatherLayout& L, const Tensor& offsets) {
  Tensor z = zeros(L.v_shape, grad->dtype(), grad->device());
  Tensor vals = contiguous(reshape(grad, L.gather_shape.vec()));
  if (vals->numel() > 0)
    backend(grad->device()).index_scatter(make_view(z, L.src_shape, L.src_strides, 0), vals, offsets, L.pos, true);
  if (autograd::any_requires_grad({&grad}))
    autograd::record(z, "IndexPutBackward0", {&grad}, {{offsets}}, [L](const Tensor& g, const SavedTensors& s, auto&) {
      return std::vector<Tensor>{gather_at(contiguous(g), L, s[0])};
    });
  return z;
}

// self[items] = value without autograd.
void index_put_kernel(const Tensor& self, const std::vector<IndexItem>& items, const Tensor& value) {
  autograd::GradModeGuard no_grad(false);
  AdvancedIndex adv;
  Tensor v = apply_basic(self, items, adv);
  check_same_device(self, value, "index_put_");
  if (adv.indices.empty()) {
    // As PyTorch's copy_: the value expands to the indexed region (with expand's errors).
    const Tensor expanded = expand(value, v->shape().vec());
    check_no_partial_overlap(v, expanded);  // x[1:] = x[:-1], as copy_ (x[:1] = x[:1] and x[:] = x[0] are fine)
    backend(self->device()).copy(v, expanded);
    return;
  }
  Gather g = plan_gather(v, adv);
  // The value broadcasts to the indexed result, as PyTorch's index_put_: from the last dim, and
  // any dims beyond the result's leading ones of size 1.
  const Shape& want = g.result_shape;
  const Shape& have = value->shape();
  const int extra = std::max(0, have.size() - want.size());
  bool fits = true;
  for (int i = 0; i < have.size(); ++i)
    fits = fits && (have[i] == 1 || (i >= extra && have[i] == want[want.size() - have.size() + i]));
  FT_CHECK(fits, RuntimeError, "shape mismatch: value tensor of shape ", have.str(),
           " cannot be broadcast to indexing result of shape ", want.str());
  const Tensor fitted = extra ? reshape(value, std::vector<int64_t>(have.begin() + extra, have.end())) : value;
  Tensor vals = contiguous(reshape(contiguous(cast_to(expand_to(fitted, g.result_shape), self->dtype())),
                                   gather_out_shape(g).vec()));
  if (vals->numel() > 0) backend(self->device()).index_scatter(g.src, vals, g.offsets, g.pos, false);
}

// indices_in_range: the caller has checked its tensor indices (index_select, gather) or made
// them (topk, the aranges of gather), so plan_gather's min/max pass over them is skipped.
Tensor index_named(const Tensor& self, const std::vector<IndexItem>& items, const char* backward_name,
                   bool indices_in_range = false) {
  AdvancedIndex adv;
  adv.in_range = indices_in_range;
  Tensor v = apply_basic(self, items, adv);
  if (adv.indices.empty()) return v == self ? alias(self) : v;
  // Backward scatters into a contiguous buffer shaped like v: gather from a
  // contiguous v too, so the saved offsets fit both.
  const bool track = is_floating(v->dtype()) && autograd::any_requires_grad({&v});
  if (track && !v->is_contiguous()) v = contiguous(v);
  Gather g = plan_gather(v, adv);
  if (!track) {
    Tensor out = empty(gather_out_shape(g), v->dtype(), v->device());
    if (out->numel() > 0) backend(v->device()).index_gather(out, g.src, g.offsets, g.pos);
    return make_view(out, g.result_shape, contiguous_strides(g.result_shape), 0);
  }
  GatherLayout L;
  L.v_shape = v->shape();
  L.src_shape = g.src->shape();
  const Shape v_strides = contiguous_strides(v->shape());
  for (int i = 0; i < v->dim(); ++i)
    if (std::find(adv.dims.begin(), adv.dims.end(), i) == adv.dims.end()) L.src_strides.push_back(v_strides[i]);
  L.gather_shape = gather_out_shape(g);
  L.result_shape = g.result_shape;
  L.pos = g.pos;
  return gather_at(v, L, g.offsets, backward_name);
}

}  // namespace

Tensor index(const Tensor& self, const std::vector<IndexItem>& items) {
  return index_named(self, items, "IndexBackward0");
}

namespace {
// Whether self[items] = v writes through a view of self, as PyTorch's indexing makes one for an
// integer (a 0-d integer tensor too), None, a bool or a slice short of the whole dim; with only
// whole slices, an ellipsis and index tensors it writes into self itself.
bool writes_through_view(const Tensor& self, const std::vector<IndexItem>& items) {
  int consumed = 0;
  for (const IndexItem& it : items) {
    if (it.kind == Kind::Int || it.kind == Kind::Slice) ++consumed;
    else if (it.kind == Kind::Tensor) consumed += it.t->dtype() == DType::Bool || it.t->dtype() == DType::UInt8 ? it.t->dim() : 1;
  }
  int d = 0;
  for (const IndexItem& it : items) {
    switch (it.kind) {
      case Kind::Int: case Kind::None: case Kind::Bool: return true;
      case Kind::Ellipsis: d += std::max(self->dim() - consumed, 0); break;
      case Kind::Tensor: {
        const bool mask = it.t->dtype() == DType::Bool || it.t->dtype() == DType::UInt8;
        if (it.t->dim() == 0) return true;
        d += mask ? it.t->dim() : 1;
        break;
      }
      case Kind::Slice: {
        if (d >= self->dim()) return true;
        const int64_t size = self->shape()[d++];
        const bool from_first = !it.start || *it.start == 0;  // (as PyTorch: -size or below is a view)
        const bool to_last = !it.stop || *it.stop >= size;
        const bool whole = it.step == 1 && from_first && to_last;
        if (!whole) return true;
        break;
      }
    }
  }
  return false;
}
}  // namespace

Tensor index_put_(const Tensor& self, const std::vector<IndexItem>& items, const Tensor& value) {
  if (autograd::is_grad_enabled() && self->is_leaf() && self->requires_grad() && writes_through_view(self, items)) {
    {
      autograd::GradModeGuard no_grad(false);
      (void)index(self, items);  // as PyTorch, a bad index is reported first (IndexError)
    }
    throw RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.");
  }
  check_inplace(self);
  const bool tracked = autograd::any_requires_grad({&self, &value}) && is_floating(self->dtype());
  const bool overlap = has_internal_overlap(self);
  // As PyTorch: basic indexing writes through the view it selects, which must not hold one address
  // twice (x.expand(2, 3)[0] = 7 is fine, [...] = 7 is not); advanced indexing writes an expanded
  // tensor anyway (the caller warns), each selected position in turn.
  if (overlap && std::none_of(items.begin(), items.end(), [](const IndexItem& it) { return it.kind == Kind::Tensor; })) {
    autograd::GradModeGuard no_grad(false);
    check_no_internal_overlap(index(self, items));
  }
  // x[mask] = number, the mask over all of x: one pass, where(mask, value, x) in place (the
  // general path would list the mask's positions and scatter to them). Not into an expanded x,
  // whose shared addresses must take the value when any of their positions is selected.
  if (!tracked && !overlap && items.size() == 1 && items[0].kind == Kind::Tensor &&
      items[0].t->dtype() == DType::Bool && items[0].t->shape() == self->shape() &&
      items[0].t->device() == self->device() && value->numel() == 1 && value->device() == self->device()) {
    const Tensor fill = expand_to(cast_to(reshape(value, {}), self->dtype()), self->shape());
    if (self->numel() > 0) backend(self->device()).where(self, items[0].t, fill, self);
    self->bump_version();
    return self;
  }
  if (!tracked) {
    index_put_kernel(self, items, value);
    self->bump_version();
    return self;
  }
  // Under autograd: r = self with the indexed part replaced by value (out of
  // place), then self takes r. g with those positions zeroed goes to the old
  // self; g gathered at the positions (summed to value's shape) to value.
  Tensor r = empty(self->shape(), self->dtype(), self->device());
  backend(self->device()).copy(r, self);
  index_put_kernel(r, items, value);
  const Shape value_shape = value->shape();
  const DType value_dtype = value->dtype();
  // PyTorch names slice assignment CopySlices and tensor-index assignment IndexPutBackward0.
  bool advanced = false;
  for (const IndexItem& it : items) advanced = advanced || it.kind == Kind::Tensor;
  autograd::record(r, advanced ? "IndexPutBackward0" : "CopySlices", {&self, &value}, {},
                   [items, value_shape, value_dtype](const Tensor& g, const SavedTensors&, auto& needs) {
                     Tensor g_old, g_value;
                     if (needs[0] && autograd::is_grad_enabled()) {
                       // create_graph: g with the written positions masked to 0 keeps g's history.
                       Tensor mask = zeros(g->shape(), DType::Bool, g->device());
                       index_put_kernel(mask, items, wrap_scalar(Scalar::from_bool(true)));
                       g_old = masked_fill(g, mask, Scalar::from_int(0));
                     } else if (needs[0]) {
                       g_old = clone(g);
                       index_put_kernel(g_old, items, wrap_scalar(Scalar::from_int(0)));
                     }
                     if (needs[1]) {
                       Tensor gv = sum_to(index(g, items), value_shape);
                       g_value = gv->dtype() == value_dtype ? gv : to_dtype(gv, value_dtype);
                     }
                     return std::vector<Tensor>{g_old, g_value};
                   });
  return commit_inplace(self, r);
}

// where()'s result (a new tensor, its node where's own) named as PyTorch's masked_fill node:
// MaskedFillBackward0 for a number, 1 for a tensor value.
static Tensor as_masked_fill(const Tensor& r, const char* name) {
  if (const auto fn = r->grad_fn()) fn->set_name(name);
  return r;
}

// The result is contiguous whatever the operands' layouts (PyTorch fills a
// contiguous clone); where() would follow their memory order.
Tensor masked_fill(const Tensor& a, const Tensor& mask, const Tensor& value) {
  FT_CHECK(value->dim() == 0, RuntimeError, "masked_fill_ only supports a 0-dimensional value tensor, but got tensor "
           "with ", value->dim(), " dimension(s).");
  return as_masked_fill(where(contiguous(mask), to_dtype(to_device(value, a->device()), a->dtype()), contiguous(a)),
                        "MaskedFillBackward1");
}

Tensor nonzero(const Tensor& a) { return backend(a->device()).nonzero(a); }

Tensor masked_fill(const Tensor& a, const Tensor& mask, const Scalar& v) {
  // The value takes a's dtype (an int tensor filled with 2.7 holds 2), as PyTorch.
  check_scalar_fits(v, a->dtype());
  return as_masked_fill(where(contiguous(mask), scalar_tensor(v, a->dtype(), a->device()), contiguous(a)),
                        "MaskedFillBackward0");
}

namespace {

// An entry of an integer index outside [0, size) (its highest or lowest;
// PyTorch's index_select and gather take no negative indices), if any.
std::optional<int64_t> out_of_range(const Tensor& idx, int64_t size) {
  if (idx->numel() == 0) return {};
  const int64_t lo = item(amin(idx, {}, false)).i, hi = item(amax(idx, {}, false)).i;
  if (hi >= size) return hi;
  if (lo < 0) return lo;
  return {};
}

IndexItem tensor_item(const Tensor& t) {
  IndexItem it;
  it.kind = Kind::Tensor;
  it.t = t;
  return it;
}

}  // namespace

Tensor index_select(const Tensor& a, int64_t dim, const Tensor& idx) {
  FT_CHECK(idx->dtype() == DType::Int64 || idx->dtype() == DType::Int32, RuntimeError,
           "index_select(): Expected dtype int32 or int64 for index, got ", dtype_name(idx->dtype()));
  FT_CHECK(idx->dim() <= 1, IndexError, "index_select(): Index is supposed to be a vector");
  const int d = wrap_dim(dim, std::max(a->dim(), 1));
  FT_CHECK(a->dim() > 0 || idx->numel() == 1, RuntimeError, "index_select(): Index to scalar can have only 1 value, got ",
           idx->numel(), " value(s)");
  const Tensor self = a->dim() == 0 ? reshape(a, {1}) : a;
  FT_CHECK(!out_of_range(idx, self->shape()[d]), IndexError, "index out of range in self");
  IndexItem all;
  all.kind = Kind::Slice;
  std::vector<IndexItem> items(d, all);
  items.push_back(tensor_item(idx->dim() == 0 ? reshape(idx, {1}) : idx));
  Tensor r = index_named(self, items, "IndexSelectBackward0", /*indices_in_range=*/true);
  return a->dim() == 0 ? reshape(r, {}) : r;
}

namespace {

// out[i][j][k] = a[idx[i][j][k]][j][k] for dim 0 (and so on): advanced
// indexing with idx along dim and a broadcast arange along every other dim.
// backward_name: PyTorch's name for the op whose backward this is.
// made_here: idx comes from the caller's own sort (topk, sort), in range by construction.
Tensor gather_named(const Tensor& a, int64_t dim, const Tensor& idx, const char* backward_name,
                    bool made_here = false) {
  FT_CHECK(idx->dtype() == DType::Int64 || idx->dtype() == DType::Int32, RuntimeError,
           "gather(): Expected dtype int32/int64 for index, got ", dtype_name(idx->dtype()));
  const int n = std::max(a->dim(), 1);
  const int d = wrap_dim(dim, n);
  FT_CHECK(std::max(idx->dim(), 1) == n, RuntimeError,
           "Index tensor must have the same number of dimensions as input tensor (index ", idx->shape().str(),
           ", input ", a->shape().str(), ")");
  check_same_device(a, idx, "gather");
  const Tensor self = a->dim() == 0 ? reshape(a, {1}) : a;
  const Tensor index = idx->dim() == 0 ? reshape(idx, {1}) : idx;
  for (int k = 0; k < n; ++k)
    FT_CHECK(k == d || index->shape()[k] <= self->shape()[k], RuntimeError, "Size does not match at dimension ", k,
             " expected index ", idx->shape().str(), " to be no larger than self ", a->shape().str(),
             " apart from dimension ", d);
  const std::optional<int64_t> bad = made_here ? std::nullopt : out_of_range(index, self->shape()[d]);
  FT_CHECK(!bad, RuntimeError, "index ", bad.value_or(0), " is out of bounds for dimension ", d, " with size ",
           self->shape()[d]);
  std::vector<IndexItem> items;
  for (int k = 0; k < n; ++k) {
    if (k == d) {
      items.push_back(tensor_item(cast_to(index, DType::Int64)));
      continue;
    }
    std::vector<int64_t> along(n, 1);
    along[k] = index->shape()[k];
    Tensor r = arange(Scalar::from_int(0), Scalar::from_int(along[k]), Scalar::from_int(1), DType::Int64,
                      a->device());
    items.push_back(tensor_item(reshape(r, along)));
  }
  Tensor r = index_named(self, items, backward_name, /*indices_in_range=*/true);
  return idx->dim() == 0 ? reshape(r, {}) : r;
}

// The positions that sort each slice of a along dim (the backend sorts rows:
// dim is moved last and the rest flattened). With values wanted and a
// gradient to track, values are gathered from a at those positions (so the
// gradient flows back to them); otherwise the backend's sorted keys are kept.
// k: only the first k along dim need be right (topk), -1 for all.
std::pair<Tensor, Tensor> sort_along(const Tensor& a, int64_t dim, bool descending, bool want_values,
                                     const char* backward_name, int64_t k = -1) {
  const int d = wrap_dim(dim, std::max(a->dim(), 1));
  const Tensor moved = a->dim() == 0 ? reshape(a, {1, 1}) : transpose(a, d, a->dim() - 1);
  const Shape moved_shape = moved->shape();
  const int64_t cols = moved_shape[moved->dim() - 1];
  int64_t n_rows = 1;
  for (int i = 0; i + 1 < moved->dim(); ++i) n_rows *= moved_shape[i];
  Tensor rows = contiguous(reshape(moved, {n_rows, cols}));
  Tensor values = empty(rows->shape(), a->dtype(), a->device());
  Tensor indices = empty(rows->shape(), DType::Int64, a->device());
  if (rows->numel() > 0) backend(a->device()).sort(values, indices, rows, descending, k < 0 ? cols : k);
  // The results in a's layout when a is dense (PyTorch's sort allocates them
  // empty_like(a)): x.t().sort(0) has x.t()'s strides.
  auto back = [&](const Tensor& t) {
    if (a->dim() == 0) return reshape(t, {});
    if (d == a->dim() - 1 && a->is_contiguous()) {  // the rows are in a's own order: t (fresh) takes a's shape
      t->set_layout(t->storage(), t->dtype(), a->shape(), contiguous_strides(a->shape()), 0);
      return t;
    }
    return copy_(empty_like(a, t->dtype(), a->device()), transpose(reshape(t, moved_shape.vec()), d, a->dim() - 1));
  };
  indices = back(indices);
  if (!want_values) return {Tensor(), indices};
  if (is_floating(a->dtype()) && autograd::any_requires_grad({&a})) {
    Tensor gathered = gather_named(a, d, indices, backward_name, /*made_here=*/true);  // contiguous, with the node
    if (a->dim() == 0 || a->is_contiguous()) return {gathered, indices};
    // The values in a's layout, as without grad, under the same node (its backward reads g by shape).
    Tensor v = back(values);
    v->set_grad_fn(gathered->grad_fn());
    return {v, indices};
  }
  return {back(values), indices};
}

}  // namespace

Tensor gather(const Tensor& a, int64_t dim, const Tensor& idx) { return gather_named(a, dim, idx, "GatherBackward0"); }

std::pair<Tensor, Tensor> sort(const Tensor& a, int64_t dim, bool descending) {
  return sort_along(a, dim, descending, true, "SortBackward0");
}

Tensor argsort(const Tensor& a, int64_t dim, bool descending) {
  return sort_along(a, dim, descending, false, "SortBackward0").second;
}

std::pair<Tensor, Tensor> topk(const Tensor& a, int64_t k, int64_t dim, bool largest, bool sorted) {
  const int d = wrap_dim(dim, std::max(a->dim(), 1));
  const int64_t size = a->dim() == 0 ? 1 : a->shape()[d];
  FT_CHECK(k >= 0 && k <= size, RuntimeError, "selected index k out of range (k = ", k, ", dimension ", d,
           " of size ", size, ")");
  // PyTorch refuses bool on the CPU with this text, before any kernel runs.
  FT_CHECK(a->dtype() != DType::Bool || a->device().is_cuda(), RuntimeError, "topk does not support bool dtypes on CPU");
  // A partial sort of the first k (CPU), sorted either way (sorted=False allows any order).
  (void)sorted;
  if (!(is_floating(a->dtype()) && autograd::any_requires_grad({&a}))) {
    // No node to make: the sort's own values, cut to k.
    auto [values, indices] = sort_along(a, d, largest, true, "TopkBackward0", k);
    if (a->dim() == 0) return {values, indices};
    return {contiguous(narrow(values, d, 0, k)), contiguous(narrow(indices, d, 0, k))};
  }
  Tensor indices = sort_along(a, d, largest, false, "TopkBackward0", k).second;
  if (a->dim() > 0) indices = contiguous(narrow(indices, d, 0, k));
  return {gather_named(a, d, indices, "TopkBackward0", /*made_here=*/true), indices};
}

}  // namespace ft::ops
