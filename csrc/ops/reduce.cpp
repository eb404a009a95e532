// Reductions: sum, mean, prod, max/min (all, per dim, with indices), argmax,
// all/any, var/std, cumsum, norm. Dims as one int or a list; keepdim.
#include <cmath>
#include <limits>

#include "autograd/grad_mode.h"
#include "ops/ops.h"

namespace ft::ops {

using autograd::SavedTensors;

namespace {

uint32_t dims_mask(const std::vector<int64_t>& dims, int ndim) {
  if (dims.empty()) return ndim == 0 ? 0 : (uint32_t(1) << ndim) - 1;
  uint32_t mask = 0;
  for (int64_t d : dims) {
    const int w = wrap_dim(d, ndim);
    if (ndim == 0) continue;
    FT_CHECK(!(mask >> w & 1), RuntimeError, "dim ", w, " appears multiple times in the list of dims");
    mask |= uint32_t(1) << w;
  }
  return mask;
}

Shape keepdim_shape(const Shape& s, uint32_t mask) {
  Shape out = s;
  for (int i = 0; i < s.size(); ++i)
    if (mask >> i & 1) out[i] = 1;
  return out;
}

Shape squeezed_shape(const Shape& s, uint32_t mask) {
  Shape out;
  for (int i = 0; i < s.size(); ++i)
    if (!(mask >> i & 1)) out.push_back(s[i]);
  return out;
}

// Runs the kernel; returns the result in keepdim layout.
Tensor reduce_kernel(ReduceOp op, const Tensor& a, uint32_t mask, DType out_dtype) {
  Tensor out = empty(keepdim_shape(a->shape(), mask), out_dtype, a->device());
  if (a->numel() == 0) {
    // Reducing nothing gives the identity (max/min/argmax were refused above).
    const Scalar identity = op == ReduceOp::Prod || op == ReduceOp::All ? Scalar::from_int(1)
                            : op == ReduceOp::Mean ? Scalar::from_double(std::numeric_limits<double>::quiet_NaN())
                                                   : Scalar::from_int(0);
    backend(a->device()).fill(out, identity);
    return out;
  }
  Tensor in = a;
  if (op == ReduceOp::Sum || op == ReduceOp::Mean || op == ReduceOp::Prod) in = cast_to(a, out_dtype);
  backend(a->device()).reduce(op, out, in, mask);
  return out;
}

Tensor finish(const Tensor& keep, uint32_t mask, bool keepdim) {
  if (keepdim) return keep;
  const Shape s = squeezed_shape(keep->shape(), mask);
  return make_view(keep, s, contiguous_strides(s), keep->offset());
}

// Gradient of a reduced result, broadcast back over the input's shape.
Tensor expand_back(const Tensor& g, const Shape& in_shape, uint32_t mask, bool keepdim) {
  Tensor k = keepdim ? g : reshape(g, keepdim_shape(in_shape, mask).vec());
  return expand(k, in_shape.vec());
}

void check_nonempty_for(const char* name, const Tensor& a, uint32_t mask, bool dim_given = true) {
  if (a->numel() != 0) return;
  FT_CHECK(dim_given, RuntimeError, name,
           "(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the "
           "'dim' argument.");
  for (int i = 0; i < a->dim(); ++i)
    FT_CHECK(!((mask >> i & 1) && a->shape()[i] == 0), IndexError, name,
             "(): Expected reduction dim ", i, " to have non-zero size.");
  FT_CHECK(a->dim() > 0 || a->numel() > 0, RuntimeError, name, "(): Expected reduction dim to be specified for input.numel() == 0.");
}

}  // namespace

Tensor sum(const Tensor& a, const std::vector<int64_t>& dims, bool keepdim, std::optional<DType> dt) {
  const uint32_t mask = dims_mask(dims, a->dim());
  const DType out_dtype = dt.value_or(is_floating(a->dtype()) ? a->dtype() : DType::Int64);
  if (out_dtype == DType::Bool) return any(cast_to(a, DType::Bool), dims, keepdim);  // a sum of bools: any
  Tensor out = finish(reduce_kernel(ReduceOp::Sum, a, mask, out_dtype), mask, keepdim);
  if (is_floating(out_dtype) && autograd::any_requires_grad({&a})) {
    const Shape in_shape = a->shape();
    const DType in_dtype = a->dtype();
    autograd::record(out, dims.empty() ? "SumBackward0" : "SumBackward1", {&a}, {},
                     [=](const Tensor& g, const SavedTensors&, auto&) {
                       Tensor r = expand_back(g, in_shape, mask, keepdim);
                       return std::vector<Tensor>{r->dtype() == in_dtype ? r : to_dtype(r, in_dtype)};
                     });
  }
  return out;
}

Tensor mean(const Tensor& a, const std::vector<int64_t>& dims, bool keepdim, std::optional<DType> dt) {
  const DType out_dtype = dt.value_or(a->dtype());
  FT_CHECK(is_floating(out_dtype), RuntimeError,
           "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. "
           "Got: ", dtype_scalar_name(out_dtype));
  const uint32_t mask = dims_mask(dims, a->dim());
  Tensor out = finish(reduce_kernel(ReduceOp::Mean, a, mask, out_dtype), mask, keepdim);
  if (autograd::any_requires_grad({&a})) {
    const Shape in_shape = a->shape();
    int64_t count = 1;
    for (int i = 0; i < a->dim(); ++i)
      if (mask >> i & 1) count *= in_shape[i];
    const DType in_dtype = a->dtype();
    autograd::record(out, dims.empty() ? "MeanBackward0" : "MeanBackward1", {&a}, {},
                     [=](const Tensor& g, const SavedTensors&, auto&) {
                       Tensor gi = expand_back(mul_scalar(g, 1.0 / static_cast<double>(count)), in_shape, mask, keepdim);
                       return std::vector<Tensor>{gi->dtype() == in_dtype ? gi : to_dtype(gi, in_dtype)};  // mean(dtype=)
                     });
  }
  return out;
}

Tensor prod(const Tensor& a_in, std::optional<int64_t> dim, bool keepdim, std::optional<DType> dt) {
  const Tensor a = dt ? to_dtype(a_in, *dt) : a_in;
  const uint32_t mask = dim ? dims_mask({*dim}, a->dim()) : dims_mask({}, a->dim());
  const DType out_dtype = dt.value_or(is_floating(a->dtype()) ? a->dtype() : DType::Int64);
  keepdim = dim ? keepdim : false;
  if (out_dtype == DType::Bool) {  // a product of bools: all of them
    std::vector<int64_t> dims;
    if (dim) dims.push_back(*dim);
    return all(a, dims, keepdim);
  }
  Tensor out = finish(reduce_kernel(ReduceOp::Prod, a, mask, out_dtype), mask, keepdim);
  if (is_floating(out_dtype) && autograd::any_requires_grad({&a})) {
    autograd::record(out, dim ? "ProdBackward1" : "ProdBackward0", {&a}, {{a}, {out, true}},
                     [=](const Tensor& g, const SavedTensors& s, auto&) {
                       // d prod / d a_i = product of the others, also where a_i == 0.
                       const Tensor x = s[0];
                       const Shape in_shape = x->shape();
                       Tensor zero = wrap_scalar(Scalar::from_int(0)), one = wrap_scalar(Scalar::from_int(1));
                       Tensor is_zero = binary(BinaryOp::Eq, x, zero);
                       std::vector<int64_t> dims;
                       for (int i = 0; i < x->dim(); ++i)
                         if (mask >> i & 1) dims.push_back(i);
                       Tensor prod_nonzero = ops::prod(where(is_zero, one, x), dims.size() == 1 ? std::optional<int64_t>(dims[0]) : std::nullopt, true);
                       if (dims.size() != 1) prod_nonzero = reshape(prod_nonzero, keepdim_shape(in_shape, mask).vec());
                       Tensor zero_count = sum(is_zero, dims, true);
                       Tensor res = expand_back(s[1], in_shape, mask, keepdim);
                       // res / x with 1 for the zeros: the branch where() drops must stay finite, or
                       // its NaN derivative would leak into second derivatives (0 * inf).
                       // At a zero: the product of the others, prod_nonzero with one zero, else 0. Under
                       // create_graph, with two zeros that 0 is prod_nonzero times the other zero, whose
                       // derivative (prod_nonzero) second derivatives need: sum of the zeros minus this one.
                       Tensor at_zero = where(binary(BinaryOp::Eq, zero_count, one), prod_nonzero, zero);
                       if (autograd::is_grad_enabled()) {
                         Tensor other_zero = sub(sum(where(is_zero, x, zero), dims, true), x);
                         Tensor two = wrap_scalar(Scalar::from_int(2));
                         at_zero = where(binary(BinaryOp::Eq, zero_count, two), mul(prod_nonzero, other_zero), at_zero);
                       }
                       Tensor others = where(is_zero, at_zero, div(res, where(is_zero, one, x)));
                       return std::vector<Tensor>{mul(expand_back(g, in_shape, mask, keepdim), others)};
                     });
  }
  return out;
}

namespace {
// amax/amin and max()/min() over all: the gradient is shared evenly by ties.
Tensor extreme(const Tensor& a, const std::vector<int64_t>& dims, bool keepdim, bool is_max, bool nan_shares,
               const char* node_name) {
  const uint32_t mask = dims_mask(dims, a->dim());
  check_nonempty_for(is_max ? "max" : "min", a, mask, !dims.empty());
  Tensor out = finish(reduce_kernel(is_max ? ReduceOp::Max : ReduceOp::Min, a, mask, a->dtype()), mask, keepdim);
  if (is_floating(a->dtype()) && autograd::any_requires_grad({&a})) {
    autograd::record(out, node_name, {&a}, {{a}, {out, true}}, [=](const Tensor& g, const SavedTensors& s, auto&) {
      const Tensor x = s[0];
      // The elements equal to the result share g. For max()/min() a NaN result is "equal" to the
      // NaNs; amax/amin compare with ==, as PyTorch, so a NaN result gives NaN gradients (0 / 0).
      Tensor v = expand_back(s[1], x->shape(), mask, keepdim);
      Tensor hit = binary(BinaryOp::Eq, x, v);
      if (nan_shares)
        hit = binary(BinaryOp::LogicalOr, hit,
                     binary(BinaryOp::LogicalAnd, unary(UnaryOp::IsNan, x), unary(UnaryOp::IsNan, v)));
      hit = to_dtype(hit, x->dtype());
      std::vector<int64_t> rd;
      for (int i = 0; i < x->dim(); ++i)
        if (mask >> i & 1) rd.push_back(i);
      Tensor count = sum(hit, rd, true);
      Tensor share = div(hit, count);
      return std::vector<Tensor>{mul(expand_back(g, x->shape(), mask, keepdim), share)};
    });
  }
  return out;
}

std::pair<Tensor, Tensor> extreme_dim(const Tensor& a, int64_t dim, bool keepdim, bool is_max) {
  const uint32_t mask = dims_mask({dim}, a->dim());
  check_nonempty_for(is_max ? "max" : "min", a, mask);
  Tensor indices_k = reduce_kernel(is_max ? ReduceOp::ArgMax : ReduceOp::ArgMin, a, mask, DType::Int64);
  Tensor values_k = reduce_kernel(is_max ? ReduceOp::Max : ReduceOp::Min, a, mask, a->dtype());
  Tensor values = finish(values_k, mask, keepdim), indices = finish(indices_k, mask, keepdim);
  if (is_floating(a->dtype()) && autograd::any_requires_grad({&a})) {
    const Shape in_shape = a->shape();
    const int d = a->dim() == 0 ? 0 : wrap_dim(dim, a->dim());
    autograd::record(values, is_max ? "MaxBackward0" : "MinBackward0", {&a}, {{indices_k}},
                     [=](const Tensor& g, const SavedTensors& s, auto&) {
                       // The whole gradient goes to the selected index: a one-hot
                       // mask along dim d (arange == index), times g broadcast back.
                       if (in_shape.size() == 0) return std::vector<Tensor>{reshape(g, {})};
                       std::vector<int64_t> iota_shape(in_shape.size(), 1);
                       iota_shape[d] = in_shape[d];
                       Tensor iota = reshape(arange(Scalar::from_int(0), Scalar::from_int(in_shape[d]), Scalar::from_int(1),
                                                    DType::Int64, g->device()), iota_shape);
                       Tensor one_hot = to_dtype(binary(BinaryOp::Eq, iota, s[0]), g->dtype());
                       return std::vector<Tensor>{mul(expand_back(g, in_shape, mask, keepdim), one_hot)};
                     });
  }
  return {values, indices};
}
}  // namespace

Tensor amax(const Tensor& a, const std::vector<int64_t>& dims, bool keepdim) {
  return extreme(a, dims, keepdim, true, false, "AmaxBackward0");
}
Tensor amin(const Tensor& a, const std::vector<int64_t>& dims, bool keepdim) {
  return extreme(a, dims, keepdim, false, false, "AminBackward0");
}
Tensor max_all(const Tensor& a) { return extreme(a, {}, false, true, true, "MaxBackward1"); }
Tensor min_all(const Tensor& a) { return extreme(a, {}, false, false, true, "MinBackward1"); }
std::pair<Tensor, Tensor> max_dim(const Tensor& a, int64_t dim, bool keepdim) { return extreme_dim(a, dim, keepdim, true); }
std::pair<Tensor, Tensor> min_dim(const Tensor& a, int64_t dim, bool keepdim) { return extreme_dim(a, dim, keepdim, false); }

namespace {
Tensor arg_extreme(const Tensor& a, std::optional<int64_t> dim, bool keepdim, bool is_max) {
  FT_CHECK(a->dtype() != DType::Bool, RuntimeError, is_max ? "argmax" : "argmin", "(): does not support bool input");
  if (!dim) {
    FT_CHECK(a->numel() > 0, IndexError, is_max ? "argmax" : "argmin",
             "(): Expected reduction dim to be specified for input.numel() == 0.");
    Tensor flat = reshape(a, {-1});
    Tensor r = finish(reduce_kernel(is_max ? ReduceOp::ArgMax : ReduceOp::ArgMin, flat, 1, DType::Int64), 1, false);
    return keepdim ? reshape(r, std::vector<int64_t>(a->dim(), 1)) : r;
  }
  const uint32_t mask = dims_mask({*dim}, a->dim());
  check_nonempty_for(is_max ? "argmax" : "argmin", a, mask);
  return finish(reduce_kernel(is_max ? ReduceOp::ArgMax : ReduceOp::ArgMin, a, mask, DType::Int64), mask, keepdim);
}
}  // namespace

Tensor argmax(const Tensor& a, std::optional<int64_t> dim, bool keepdim) { return arg_extreme(a, dim, keepdim, true); }
Tensor argmin(const Tensor& a, std::optional<int64_t> dim, bool keepdim) { return arg_extreme(a, dim, keepdim, false); }

// PyTorch keeps uint8 for all/any of uint8 input; everything else gives bool.
Tensor all(const Tensor& a, const std::vector<int64_t>& dims, bool keepdim) {
  const uint32_t mask = dims_mask(dims, a->dim());
  const DType out = a->dtype() == DType::UInt8 ? DType::UInt8 : DType::Bool;
  return finish(reduce_kernel(ReduceOp::All, a, mask, out), mask, keepdim);
}
Tensor any(const Tensor& a, const std::vector<int64_t>& dims, bool keepdim) {
  const uint32_t mask = dims_mask(dims, a->dim());
  const DType out = a->dtype() == DType::UInt8 ? DType::UInt8 : DType::Bool;
  return finish(reduce_kernel(ReduceOp::Any, a, mask, out), mask, keepdim);
}

namespace {
// var and std: two passes (mean, then squared deviations) for stability.
// d var / dx = 2 (x - mean) / (N - correction); d std = d var / (2 std).
Tensor var_std(const Tensor& a, const std::vector<int64_t>& dims, double correction, bool keepdim, bool take_sqrt) {
  FT_CHECK(is_floating(a->dtype()), RuntimeError, "std and var only support floating point and complex dtypes");
  const uint32_t mask = dims_mask(dims, a->dim());
  int64_t count = 1;
  for (int i = 0; i < a->dim(); ++i)
    if (mask >> i & 1) count *= a->shape()[i];
  const double denom = std::max(static_cast<double>(count) - correction, 0.0);
  // No data: NaN whatever the correction (an empty sum over a positive denominator would be 0).
  const double inv_denom = count == 0 ? std::numeric_limits<double>::quiet_NaN() : 1.0 / denom;
  Tensor out;
  {
    autograd::GradModeGuard no_grad(false);
    // float32 data are centred in double, as PyTorch accumulates: a mean
    // rounded to float shifts every deviation (data 1e4 +- 0.01: percents).
    const Tensor x = a->dtype() == DType::Float32 ? to_dtype(a, DType::Float64) : a;
    Tensor centered = sub(x, mean(x, dims, true));
    out = mul_scalar(sum(mul(centered, centered), dims, keepdim), inv_denom);
    if (take_sqrt) out = unary(UnaryOp::Sqrt, out);
    out = to_dtype(out, a->dtype());
  }
  if (autograd::any_requires_grad({&a})) {
    autograd::record(out, take_sqrt ? "StdBackward0" : "VarBackward0", {&a}, {{a}, {take_sqrt ? out : Tensor(), true}},
                     [=](const Tensor& g, const SavedTensors& s, auto&) {
                       const Tensor x = s[0];
                       Tensor centered = sub(x, mean(x, dims, true));
                       Tensor scale = expand_back(g, x->shape(), mask, keepdim);
                       if (take_sqrt) {
                         // 0 where the std is 0 (constant data), as PyTorch.
                         Tensor sd = expand_back(s[1], x->shape(), mask, keepdim);
                         Tensor zero = wrap_scalar(Scalar::from_int(0));
                         scale = where(binary(BinaryOp::Eq, sd, zero), zero, div(scale, sd));
                       } else {
                         scale = mul_scalar(scale, 2.0);
                       }
                       return std::vector<Tensor>{mul(mul_scalar(centered, inv_denom), scale)};
                     });
  }
  return out;
}
}  // namespace

Tensor var(const Tensor& a, const std::vector<int64_t>& dims, double correction, bool keepdim) {
  return var_std(a, dims, correction, keepdim, false);
}

Tensor std(const Tensor& a, const std::vector<int64_t>& dims, double correction, bool keepdim) {
  return var_std(a, dims, correction, keepdim, true);
}

Tensor cumsum(const Tensor& a, int64_t dim, std::optional<DType> dt) {
  const int d = wrap_dim(dim, a->dim());
  const DType out_dtype = dt.value_or(is_floating(a->dtype()) ? a->dtype() : DType::Int64);
  Tensor out = empty(a->shape(), out_dtype, a->device());
  if (a->dim() == 0 && out_dtype == DType::Bool) {
    backend(a->device()).copy(out, a);  // PyTorch fills a 0-d result with the entry: no kernel, any dtype
  } else {
    // PyTorch's scan kernels have no bool case (its CPU kernel's name); an empty input never reaches them.
    FT_CHECK(out_dtype != DType::Bool || a->numel() == 0, NotImplementedError,
             "\"cumsum_out_cpu\" not implemented for 'Bool'");
    backend(a->device()).cumsum(out, cast_to(a, out_dtype), a->dim() == 0 ? 0 : d);
  }
  if (is_floating(out_dtype) && autograd::any_requires_grad({&a})) {
    const DType in_dtype = a->dtype();
    autograd::record(out, "CumsumBackward0", {&a}, {}, [d, in_dtype](const Tensor& g, const SavedTensors&, auto&) {
      // The reverse cumulative sum, as a cumsum of g reversed along d (a
      // difference total - cumsum would cancel catastrophically).
      if (g->dim() == 0) return std::vector<Tensor>{g->dtype() == in_dtype ? g : to_dtype(g, in_dtype)};
      const int64_t n = g->shape()[d];
      Tensor reversed = arange(Scalar::from_int(n - 1), Scalar::from_int(-1), Scalar::from_int(-1), DType::Int64, g->device());
      Tensor gi = index_select(cumsum(index_select(g, d, reversed), d), d, reversed);
      return std::vector<Tensor>{gi->dtype() == in_dtype ? gi : to_dtype(gi, in_dtype)};  // cumsum(dtype=)
    });
  }
  return out;
}

Tensor norm(const Tensor& a, double p, const std::vector<int64_t>& dims, bool keepdim) {
  FT_CHECK(is_floating(a->dtype()), RuntimeError,
           "linalg.vector_norm: Expected a floating point or complex tensor as input. Got ", dtype_scalar_name(a->dtype()));
  if (p < 0 || p == std::numeric_limits<double>::infinity()) {
    // max, min and the negative powers (a sum of |x|^p, inf for an empty one, to the power 1/p < 0) have no
    // identity: an empty reduction is an error (PyTorch's text, its spacing too; p as C++ prints a double). A
    // 0-d input holds one entry, whatever dim names it.
    FT_CHECK(!(dims.empty() && a->numel() == 0), RuntimeError, "linalg.vector_norm cannot compute the ", p,
             " norm on an empty tensor because the operation does not have an identity");
    for (int64_t d : dims)
      FT_CHECK(a->dim() == 0 || a->shape()[wrap_dim(d, a->dim())] != 0, RuntimeError,
               "linalg.vector_norm cannot compute the ", p, " norm on the dimension ", wrap_dim(d, a->dim()),
               "because this dimension is empty and the operation does not have an identity");
  }
  // Composed forms keep PyTorch's one node name.
  const uint64_t since = autograd::next_sequence_nr();
  Tensor out;
  if (std::isinf(p) || p == 1.0) {
    Tensor ab = unary(UnaryOp::Abs, a);
    out = p == 1.0 ? sum(ab, dims, keepdim) : p > 0 ? amax(ab, dims, keepdim) : amin(ab, dims, keepdim);
    autograd::name_recorded(out, "LinalgVectorNormBackward0", since);
    return out;
  }
  if (p == 0) {  // the count of nonzero entries: a graph without a gradient (None), as PyTorch's
    {
      autograd::GradModeGuard no_grad(false);
      out = to_dtype(sum(binary(BinaryOp::Ne, a, wrap_scalar(Scalar::from_int(0))), dims, keepdim), a->dtype());
    }
    if (autograd::any_requires_grad({&a}))
      autograd::record(out, "LinalgVectorNormBackward0", {&a}, {}, [](const Tensor&, const SavedTensors&, auto&) {
        return std::vector<Tensor>{Tensor()};
      });
    return out;
  }
  {
    autograd::GradModeGuard no_grad(false);
    if (p == 2.0) {
      out = unary(UnaryOp::Sqrt, sum(mul(a, a), dims, keepdim));
    } else {
      Tensor powered = binary(BinaryOp::Pow, unary(UnaryOp::Abs, a), wrap_scalar(Scalar::from_double(p)));
      out = binary(BinaryOp::Pow, sum(powered, dims, keepdim), wrap_scalar(Scalar::from_double(1.0 / p)));
    }
  }
  if (autograd::any_requires_grad({&a})) {
    const uint32_t mask = dims_mask(dims, a->dim());
    autograd::record(out, "LinalgVectorNormBackward0", {&a}, {{a}, {out, true}},
                     [=](const Tensor& g, const SavedTensors& s, auto&) {
                       // d||x||_p/dx = sign(x) |x|^(p-1) / ||x||^(p-1) (x / ||x|| for p = 2; PyTorch's
                       // factors), 0 where the norm is 0 (PyTorch's subgradient; for p < 0 a zero entry
                       // makes the norm 0, so every gradient 0), and for p < 1 also at x = 0 (0^(p-1)
                       // is inf). Only those are masked, and the norm is divided by as 1 there, so the
                       // formula stays differentiable in x at zero entries (second derivatives).
                       const Tensor x = s[0];
                       Tensor n = expand_back(s[1], x->shape(), mask, keepdim);
                       Tensor zero = wrap_scalar(Scalar::from_int(0)), one = wrap_scalar(Scalar::from_int(1));
                       Tensor norm_zero = binary(BinaryOp::Eq, n, zero);
                       Tensor n_safe = where(norm_zero, one, n);
                       Tensor scale;
                       if (p == 2.0) {
                         scale = div(x, n_safe);
                       } else {
                         Tensor pm1 = scalar_tensor(Scalar::from_double(p - 1), x->dtype(), x->device());
                         Tensor powered = binary(BinaryOp::Pow, unary(UnaryOp::Abs, x), pm1);
                         if (p < 1) powered = where(binary(BinaryOp::Eq, x, zero), zero, powered);
                         scale = div(mul(unary(UnaryOp::Sign, x), powered), binary(BinaryOp::Pow, n_safe, pm1));
                       }
                       scale = where(norm_zero, zero, scale);
                       return std::vector<Tensor>{mul(expand_back(g, x->shape(), mask, keepdim), scale)};
                     });
  }
  return out;
}

}  // namespace ft::ops
