// Matrix products: dot, mv, mm, bmm, matmul (1-D, 2-D, batched with
// broadcasting) and linear. One kernel: backend().matmul on (B, M, K) @ (B, K, N).
#include "autograd/grad_mode.h"
#include "ops/ops.h"

namespace ft::ops {

using autograd::SavedTensors;

namespace {

// The C++ element type's name, as PyTorch's mm message shows it.
const char* cpp_type_name(DType t) {
  switch (t) {
    case DType::Bool: return "bool";
    case DType::UInt8: return "unsigned char";
    case DType::Int32: return "int";
    case DType::Int64: return "long int";
    case DType::Float32: return "float";
    case DType::Float64: return "double";
  }
  return "?";
}

// PyTorch's messages for operands of different dtypes, by op.
void check_same_dtype(const Tensor& a, const Tensor& b, const char* op) {
  if (a->dtype() == b->dtype()) return;
  const std::string_view o(op);
  if (o == "addmm")
    throw RuntimeError(str("mat1 and mat2 must have the same dtype, but got ", dtype_scalar_name(a->dtype()), " and ",
                           dtype_scalar_name(b->dtype())));
  if (o == "bmm")
    throw RuntimeError(str("expected scalar type ", dtype_scalar_name(a->dtype()), " but found ",
                           dtype_scalar_name(b->dtype())));
  if (o == "mv")  // PyTorch's mv is addmv into a result of vec's dtype: (result, mat, vec)
    throw RuntimeError(str("addmv input tensors must have the same dtype, but got ", dtype_scalar_name(b->dtype()),
                           ", ", dtype_scalar_name(a->dtype()), ", and ", dtype_scalar_name(b->dtype())));
  throw RuntimeError(str("expected m1 and m2 to have the same dtype, but got: ", cpp_type_name(a->dtype()), " != ",
                         cpp_type_name(b->dtype())));
}

// PyTorch has no bool products, except where no kernel runs: an empty result, or a sum over
// k = 0 terms (all False). kernel: the name PyTorch's error gives.
Tensor bool_product(const Shape& out_shape, int64_t k, Device device, const char* kernel) {
  FT_CHECK(out_shape.numel() == 0 || k == 0, NotImplementedError, "\"", kernel, "\" not implemented for 'Bool'");
  return zeros(out_shape, DType::Bool, device);
}

// The kernel on 3-D views; no autograd.
Tensor matmul3_forward(const Tensor& a3, const Tensor& b3) {
  Tensor out = empty(Shape{a3->shape()[0], a3->shape()[1], b3->shape()[2]}, a3->dtype(), a3->device());
  backend(a3->device()).matmul(out, a3, b3, false);
  return out;
}

Tensor as3(const Tensor& t) {  // (M, K) → (1, M, K) view
  return make_view(t, Shape{1, t->shape()[0], t->shape()[1]}, Shape{0, t->strides()[0], t->strides()[1]}, t->offset());
}

Tensor mm_forward(const Tensor& a, const Tensor& b) {
  Tensor out = empty(Shape{a->shape()[0], b->shape()[1]}, a->dtype(), a->device());
  backend(a->device()).matmul(as3(out), as3(a), as3(b), false);
  return out;
}

}  // namespace

Tensor mm(const Tensor& a, const Tensor& b) {
  check_same_device(a, b, "mm");
  FT_CHECK(a->dim() == 2, RuntimeError, "self must be a matrix");
  FT_CHECK(b->dim() == 2, RuntimeError, "mat2 must be a matrix");
  FT_CHECK(a->shape()[1] == b->shape()[0], RuntimeError, "mat1 and mat2 shapes cannot be multiplied (",
           a->shape()[0], "x", a->shape()[1], " and ", b->shape()[0], "x", b->shape()[1], ")");
  check_same_dtype(a, b, "mm");
  if (a->dtype() == DType::Bool)
    return bool_product(Shape{a->shape()[0], b->shape()[1]}, a->shape()[1], a->device(), "addmm_impl_cpu_");
  Tensor out = mm_forward(a, b);
  if (is_floating(out->dtype()) && autograd::any_requires_grad({&a, &b}))
    autograd::record(out, "MmBackward0", {&a, &b}, {{a}, {b}}, [](const Tensor& g, const SavedTensors& s, auto& needs) {
      return std::vector<Tensor>{needs[0] ? mm(g, transpose(s[1], 0, 1)) : Tensor(),
                                 needs[1] ? mm(transpose(s[0], 0, 1), g) : Tensor()};
    });
  return out;
}

Tensor bmm(const Tensor& a, const Tensor& b) {
  check_same_device(a, b, "bmm");
  FT_CHECK(a->dim() == 3, RuntimeError, "batch1 must be a 3D tensor");
  FT_CHECK(b->dim() == 3, RuntimeError, "batch2 must be a 3D tensor");
  FT_CHECK(a->shape()[0] == b->shape()[0] && a->shape()[2] == b->shape()[1], RuntimeError,
           "Expected size for first two dimensions of batch2 tensor to be: [", a->shape()[0], ", ", a->shape()[2],
           "] but got: [", b->shape()[0], ", ", b->shape()[1], "].");
  check_same_dtype(a, b, "bmm");
  if (a->dtype() == DType::Bool)
    return bool_product(Shape{a->shape()[0], a->shape()[1], b->shape()[2]}, a->shape()[2], a->device(), "bmm");
  Tensor out = matmul3_forward(a, b);
  if (is_floating(out->dtype()) && autograd::any_requires_grad({&a, &b}))
    autograd::record(out, "BmmBackward0", {&a, &b}, {{a}, {b}}, [](const Tensor& g, const SavedTensors& s, auto& needs) {
      return std::vector<Tensor>{needs[0] ? bmm(g, transpose(s[1], 1, 2)) : Tensor(),
                                 needs[1] ? bmm(transpose(s[0], 1, 2), g) : Tensor()};
    });
  return out;
}

Tensor mv(const Tensor& a, const Tensor& v) {
  check_same_device(a, v, "mv");
  FT_CHECK(a->dim() == 2 && v->dim() == 1, RuntimeError, "vector + matrix @ vector expected, got 1, ", a->dim(), ", ",
           v->dim());  // (PyTorch's addmv: its 1-D input first)
  FT_CHECK(a->shape()[1] == v->shape()[0], RuntimeError, "size mismatch, got input (", a->shape()[0], "), mat (",
           a->shape()[0], "x", a->shape()[1], "), vec (", v->shape()[0], ")");
  check_same_dtype(a, v, "mv");
  if (a->dtype() == DType::Bool) return bool_product(Shape{a->shape()[0]}, a->shape()[1], a->device(), "addmv_impl_cpu");
  Tensor col = make_view(v, Shape{v->shape()[0], 1}, Shape{v->strides()[0], 1}, v->offset());
  Tensor out2 = mm_forward(a, col);
  Tensor out = make_view(out2, Shape{a->shape()[0]}, Shape{1}, 0);
  if (is_floating(out->dtype()) && autograd::any_requires_grad({&a, &v}))
    autograd::record(out, "MvBackward0", {&a, &v}, {{a}, {v}}, [](const Tensor& g, const SavedTensors& s, auto& needs) {
      Tensor ga, gv;
      if (needs[0]) ga = mm(unsqueeze(g, 1), unsqueeze(s[1], 0));
      if (needs[1]) gv = mv(transpose(s[0], 0, 1), g);
      return std::vector<Tensor>{ga, gv};
    });
  return out;
}

Tensor dot(const Tensor& a, const Tensor& b) {
  check_same_device(a, b, "dot");
  FT_CHECK(a->dim() == 1 && b->dim() == 1, RuntimeError, "1D tensors expected, but got ", a->dim(), "D and ",
           b->dim(), "D tensors");
  FT_CHECK(a->numel() == b->numel(), RuntimeError,
           "inconsistent tensor size, expected tensor [", a->numel(), "] and src [", b->numel(),
           "] to have the same number of elements, but got ", a->numel(), " and ", b->numel(), " elements respectively");
  FT_CHECK(a->dtype() == b->dtype(), RuntimeError, "dot : expected both vectors to have same dtype, but found ",
           dtype_scalar_name(a->dtype()), " and ", dtype_scalar_name(b->dtype()));
  FT_CHECK(a->dtype() != DType::Bool, NotImplementedError, "\"dot\" not implemented for 'Bool'");
  Tensor row = make_view(a, Shape{1, a->shape()[0]}, Shape{0, a->strides()[0]}, a->offset());
  Tensor col = make_view(b, Shape{b->shape()[0], 1}, Shape{b->strides()[0], 0}, b->offset());
  Tensor out2 = mm_forward(row, col);
  Tensor out = make_view(out2, Shape{}, Shape{}, 0);
  if (is_floating(out->dtype()) && autograd::any_requires_grad({&a, &b}))
    autograd::record(out, "DotBackward0", {&a, &b}, {{a}, {b}}, [](const Tensor& g, const SavedTensors& s, auto& needs) {
      return std::vector<Tensor>{needs[0] ? mul(g, s[1]) : Tensor(), needs[1] ? mul(g, s[0]) : Tensor()};
    });
  return out;
}

Tensor matmul(const Tensor& a, const Tensor& b) {
  const int da = a->dim(), db = b->dim();
  FT_CHECK(da > 0 && db > 0, RuntimeError, "both arguments to matmul need to be at least 1D, but they are ", da,
           "D and ", db, "D");
  if (da == 1 && db == 1) return dot(a, b);
  if (da == 2 && db == 1) return mv(a, b);
  if (da == 1 && db == 2) {
    FT_CHECK(a->shape()[0] == b->shape()[0], RuntimeError, "mat1 and mat2 shapes cannot be multiplied (1x",
             a->shape()[0], " and ", b->shape()[0], "x", b->shape()[1], ")");  // PyTorch's unsqueeze(0).mm(b)
    const uint64_t since = autograd::next_sequence_nr();
    Tensor out = squeeze(mm(unsqueeze(a, 0), b), {0});
    autograd::name_recorded(out, "SqueezeBackward4", since);  // PyTorch's squeeze_(0)
    return out;
  }
  if (da == 2 && db == 2) return mm(a, b);
  const uint64_t since = autograd::next_sequence_nr();
  // Batched: 1-D operands gain a dim, batch dims broadcast, then one bmm.
  Tensor a2 = da == 1 ? unsqueeze(a, 0) : a;
  Tensor b2 = db == 1 ? unsqueeze(b, 1) : b;
  const int64_t m = a2->shape()[a2->dim() - 2], k = a2->shape()[a2->dim() - 1];
  const int64_t k2 = b2->shape()[b2->dim() - 2], n = b2->shape()[b2->dim() - 1];
  if (k != k2 && da >= 3 && db <= 2) {
    // PyTorch folds a's batch into its rows (an mm or mv message) when that needs no copy: the
    // batch dims lie as one, or there is nothing to copy, or b requires grad
    bool folds = true;
    for (int i = 0; i + 2 < da; ++i) folds = folds && a->strides()[i] == a->strides()[i + 1] * a->shape()[i + 1];
    folds = folds || a->numel() == 0 || b->requires_grad();
    int64_t rows = 1;
    for (int i = 0; i + 1 < da; ++i) rows *= a->shape()[i];
    if (folds) {
      FT_CHECK(db == 1, RuntimeError, "mat1 and mat2 shapes cannot be multiplied (", rows, "x", k, " and ", k2, "x", n, ")");
      throw RuntimeError(str("size mismatch, got input (", rows, "), mat (", rows, "x", k, "), vec (", k2, ")"));
    }
  }
  Shape batch_a(a2->shape().begin(), a2->shape().end() - 2), batch_b(b2->shape().begin(), b2->shape().end() - 2);
  const Shape batch = broadcast_shapes(batch_a, batch_b);
  const int64_t nb = batch.numel();
  FT_CHECK(k == k2, RuntimeError, "Expected size for first two dimensions of batch2 tensor to be: [", nb, ", ", k,
           "] but got: [", nb, ", ", k2, "].");
  std::vector<int64_t> ea(batch.begin(), batch.end()), eb = ea;
  ea.push_back(m), ea.push_back(k), eb.push_back(k), eb.push_back(n);
  Tensor a3 = reshape(expand(a2, ea), {nb, m, k});
  Tensor b3 = reshape(expand(b2, eb), {nb, k, n});
  std::vector<int64_t> out_shape(batch.begin(), batch.end());
  if (da > 1) out_shape.push_back(m);
  if (db > 1) out_shape.push_back(n);
  // PyTorch's node names: its matrix @ batch path (with the matrix requiring grad) ends in a
  // contiguous() of a transposed result, every other batched one in an _unsafe_view. A (1, m, k) left
  // operand against a 3-D batch of several matrices takes the matrix path too.
  const bool matrix_left = da == 2 || (da == 3 && db == 3 && a->shape()[0] == 1 && b->shape()[0] != 1);
  const char* name = matrix_left && a->requires_grad() ? "CloneBackward0" : "UnsafeViewBackward0";
  Tensor out = reshape(bmm(a3, b3), out_shape);
  autograd::name_recorded(out, name, since);
  return out;
}

Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b) {
  FT_CHECK(x->dim() >= 1 && w->dim() == 2, RuntimeError, "linear: expected a 2-D weight, got ", w->dim(), "-D");
  const int64_t in = w->shape()[1];
  FT_CHECK(x->shape()[x->dim() - 1] == in, RuntimeError, "mat1 and mat2 shapes cannot be multiplied (",
           x->numel() / std::max<int64_t>(x->shape()[x->dim() - 1], 1), "x", x->shape()[x->dim() - 1], " and ", in,
           "x", w->shape()[0], ")");
  check_same_device(x, w, "linear");
  check_same_dtype(x, w, b ? "addmm" : "mm");
  if (x->dim() != 2) {
    std::vector<int64_t> out_shape(x->shape().begin(), x->shape().end() - 1);
    out_shape.push_back(w->shape()[0]);
    int64_t rows = 1;  // explicit: -1 cannot be inferred when in_features is 0
    for (int i = 0; i + 1 < x->dim(); ++i) rows *= x->shape()[i];
    return reshape(linear(reshape(x, {rows, in}), w, b), out_shape);
  }
  const int64_t n = x->shape()[0], out_features = w->shape()[0];
  Tensor wt = transpose(w, 0, 1);
  Tensor out = empty(Shape{n, out_features}, x->dtype(), x->device());
  // out = broadcast bias, then out += x @ w.T in the same GEMM pass.
  if (b) {
    FT_CHECK(b->numel() == out_features, RuntimeError, "linear: bias of shape ", b->shape().str(),
             " does not match out_features ", out_features);
    backend(x->device()).copy(out, expand_to(reshape(b, {out_features}), out->shape()));
  }
  backend(x->device()).matmul(as3(out), as3(x), as3(wt), static_cast<bool>(b));
  if (autograd::any_requires_grad({&x, &w, &b})) {
    autograd::record(out, b ? "AddmmBackward0" : "MmBackward0", {&x, &w, &b}, {{x}, {w}},
                     [](const Tensor& g, const SavedTensors& s, auto& needs) {
                       Tensor gx, gw, gb;
                       if (needs[0]) gx = mm(g, s[1]);
                       if (needs[1]) gw = mm(transpose(g, 0, 1), s[0]);
                       if (needs.size() > 2 && needs[2]) gb = sum(g, {0}, false);
                       return std::vector<Tensor>{gx, gw, gb};
                     });
  }
  return out;
}

}  // namespace ft::ops
