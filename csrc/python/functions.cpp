// Module-level functions of fasttensor._C: the functional forms of the ops,
// creation primitives, autograd entry points, nn and optim kernels.
#include <cstring>

#include "autograd/grad_mode.h"
#include "python/args.h"

namespace ft::python {

namespace {

Tensor maybe_requires_grad(Tensor t, bool requires_grad) {
  if (requires_grad) {
    FT_CHECK(is_floating(t->dtype()), RuntimeError, "Only Tensors of floating point and complex dtype can require gradients");
    t->set_requires_grad(true);
  }
  return t;
}

// The size of the commonest creation calls, zeros(2, 3), zeros((2, 3)), zeros([2, 3]): Python
// ints >= 0 (not bools) as varargs, or one tuple or list of them. nullopt for anything else: the
// Python layer then parses it, with PyTorch's errors. First: a tuple (Size too) or list of them.
std::optional<Shape> plain_size_sequence(PyObject* seq) {
  if (!PyTuple_Check(seq) && !PyList_CheckExact(seq)) return std::nullopt;
  const Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
  if (n > kMaxDims) return std::nullopt;
  PyObject** items = PySequence_Fast_ITEMS(seq);
  Shape shape;
  for (Py_ssize_t i = 0; i < n; ++i) {
    if (!PyLong_CheckExact(items[i])) return std::nullopt;
    int overflow = 0;
    const long long v = PyLong_AsLongLongAndOverflow(items[i], &overflow);
    if (overflow || v < 0) return std::nullopt;
    shape.push_back(v);
  }
  return shape;
}
// The varargs of zeros(2, 3), or their one tuple or list: zeros((2, 3)), zeros([2, 3]).
std::optional<Shape> plain_size(py::handle varargs) {
  PyObject* seq = varargs.ptr();
  if (!PyTuple_Check(seq) || PyTuple_GET_SIZE(seq) == 0) return std::nullopt;
  if (PyTuple_GET_SIZE(seq) == 1) {
    PyObject* first = PyTuple_GET_ITEM(seq, 0);
    if (PyTuple_Check(first) || PyList_CheckExact(first)) seq = first;
  }
  return plain_size_sequence(seq);
}

// PyTorch's TypeError for a function taking (Tensor input, Tensor other) or (Tensor input, Number
// other) called with something else first: eq(2, x).
std::string tensor_number_signatures_error(const char* fn, py::handle a, py::handle b) {
  const auto type_name = [](py::handle h) {
    return is_tensor(h) ? std::string("Tensor") : std::string(py::str(py::type::of(h).attr("__name__")));
  };
  return str(fn, "() received an invalid combination of arguments - got (", type_name(a), ", ", type_name(b),
             "), but expected one of:\n * (Tensor input, Tensor other, *, Tensor out = None)\n * (Tensor input, "
             "Number other, *, Tensor out = None)\n");
}

// The input is checked here rather than by pybind, for PyTorch's TypeError text (exp(2.0)).
#define FT_UNARY_FN(NAME, OP)                                                                      \
  m.def(#NAME, [](py::handle input, py::object out) {                                             \
    const Tensor t = tensor_argument(input, #NAME, "input", 1);                                    \
    if (!out.is_none()) return unary_out_args(UnaryOp::OP, t, to_tensor(out));                    \
    return nogil(t->numel(), [&] { return ops::unary(UnaryOp::OP, t); });                          \
  }, py::arg("input"), py::kw_only(), py::arg("out") = py::none());
#define FT_BINARY_FN(NAME, OP)                                                                     \
  m.def(#NAME, [](py::handle a, py::handle b, py::object out) {                                   \
    if (!out.is_none()) return binary_out_args(BinaryOp::OP, a, b, to_tensor(out), #NAME);         \
    return binary_args(BinaryOp::OP, a, b, #NAME);                                                 \
  }, py::arg("input"), py::arg("other"), py::kw_only(), py::arg("out") = py::none());
// PyTorch takes a number only as `other` here (eq(2, x) is refused), or no number at all
// (maximum(x, 2)): its TypeErrors, before the shared path.
#define FT_BINARY_FN_TENSOR_INPUT(NAME, OP)                                                       \
  m.def(#NAME, [](py::handle a, py::handle b, py::object out) {                                   \
    if (!is_tensor(a)) throw TypeError(tensor_number_signatures_error(#NAME, a, b));               \
    if (!out.is_none()) return binary_out_args(BinaryOp::OP, a, b, to_tensor(out), #NAME);         \
    return binary_args(BinaryOp::OP, a, b, #NAME);                                                 \
  }, py::arg("input"), py::arg("other"), py::kw_only(), py::arg("out") = py::none());
#define FT_BINARY_FN_TENSORS(NAME, OP)                                                            \
  m.def(#NAME, [](py::handle a, py::handle b, py::object out) {                                   \
    tensor_argument(a, #NAME, "input", 1);                                                         \
    tensor_argument(b, #NAME, "other", 2);                                                         \
    if (!out.is_none()) return binary_out_args(BinaryOp::OP, a, b, to_tensor(out), #NAME);         \
    return binary_args(BinaryOp::OP, a, b, #NAME);                                                 \
  }, py::arg("input"), py::arg("other"), py::kw_only(), py::arg("out") = py::none());

// out= of another shape takes the result's, as PyTorch resizes it (warning when out had elements);
// not an out that requires grad, which the op refuses as it stands.
void resize_out(const Tensor& out, const Shape& shape) {
  if (out->shape() == shape || (out->requires_grad() && autograd::is_grad_enabled())) return;
  if (out->numel() > 0) {
    const std::string message = str(
        "An output with one or more elements was resized since it had shape ", out->shape().str(),
        ", which does not match the required output shape ", shape.str(),
        ". This behavior is deprecated, and in a future PyTorch release outputs will not be resized unless they "
        "have zero elements. You can explicitly reuse an out tensor t by resizing it, inplace, to zero elements "
        "with t.resize_(0).");
    if (PyErr_WarnEx(PyExc_UserWarning, message.c_str(), 1) != 0) throw py::error_already_set();
  }
  const Tensor fresh = empty(shape, out->dtype(), out->device());
  out->set_layout(fresh->storage(), out->dtype(), fresh->shape(), fresh->strides(), 0);
}

Tensor unary_out_args(UnaryOp op, const Tensor& t, const Tensor& out) {
  resize_out(out, t->shape());
  return ops::unary_out(op, t, out);
}

Tensor binary_out_args(BinaryOp op, py::handle a, py::handle b, const Tensor& out, const char* name) {
  Tensor ta = as_operand(a), tb = as_operand(b);
  if (!ta || !tb) refuse_operands(name, a, b, false);
  resize_out(out, ops::broadcast_shapes(ta->shape(), tb->shape()));
  return nogil(out->numel(), [&] { return ops::binary_out(op, ta, tb, out); });
}

// add / sub with alpha: a op alpha * b.
Tensor add_like(BinaryOp op, const char* name, py::handle a, py::handle b, py::handle alpha, py::object out) {
  if (alpha.is_none()) {  // the common case: no detour through a scaled operand
    if (!out.is_none()) return binary_out_args(op, a, b, to_tensor(out), name);
    return binary_args(op, a, b, name);
  }
  Tensor tb = as_operand(b);
  if (tb) tb = times_alpha(as_operand(a), tb, alpha, name);
  py::object bb = tb ? py::cast(tb) : py::object(py::reinterpret_borrow<py::object>(b));
  if (!out.is_none()) return binary_out_args(op, a, bb, to_tensor(out), name);
  return binary_args(op, a, bb, name);
}

}  // namespace

void bind_functions(py::module_& m) {
  FT_UNARY_FN(neg, Neg) FT_UNARY_FN(negative, Neg) FT_UNARY_FN(abs, Abs) FT_UNARY_FN(sign, Sign)
  FT_UNARY_FN(exp, Exp) FT_UNARY_FN(log, Log) FT_UNARY_FN(log1p, Log1p) FT_UNARY_FN(sqrt, Sqrt)
  FT_UNARY_FN(rsqrt, Rsqrt) FT_UNARY_FN(sin, Sin) FT_UNARY_FN(cos, Cos) FT_UNARY_FN(tanh, Tanh)
  FT_UNARY_FN(sigmoid, Sigmoid) FT_UNARY_FN(relu, Relu) FT_UNARY_FN(reciprocal, Reciprocal)
  FT_UNARY_FN(square, Square) FT_UNARY_FN(floor, Floor) FT_UNARY_FN(ceil, Ceil) FT_UNARY_FN(round, Round)
  FT_UNARY_FN(trunc, Trunc) FT_UNARY_FN(logical_not, LogicalNot) FT_UNARY_FN(isnan, IsNan)
  FT_UNARY_FN(isfinite, IsFinite) FT_UNARY_FN(isinf, IsInf)
  FT_UNARY_FN(expm1, Expm1) FT_UNARY_FN(exp2, Exp2) FT_UNARY_FN(log2, Log2) FT_UNARY_FN(log10, Log10)
  FT_UNARY_FN(sinh, Sinh) FT_UNARY_FN(cosh, Cosh) FT_UNARY_FN(tan, Tan) FT_UNARY_FN(asin, Asin) FT_UNARY_FN(acos, Acos)
  FT_UNARY_FN(atan, Atan) FT_UNARY_FN(erf, Erf) FT_UNARY_FN(erfc, Erfc)
  FT_UNARY_FN(asinh, Asinh) FT_UNARY_FN(acosh, Acosh) FT_UNARY_FN(atanh, Atanh) FT_UNARY_FN(arcsinh, Asinh)
  FT_UNARY_FN(arccosh, Acosh) FT_UNARY_FN(arctanh, Atanh) FT_UNARY_FN(lgamma, Lgamma) FT_UNARY_FN(digamma, Digamma)
  FT_UNARY_FN(arcsin, Asin) FT_UNARY_FN(arccos, Acos) FT_UNARY_FN(arctan, Atan)
  m.def("relu_", [](const Tensor& t) { return ops::unary_(UnaryOp::Relu, t); });

  FT_BINARY_FN(mul, Mul) FT_BINARY_FN(multiply, Mul)
  FT_BINARY_FN(true_divide, Div) FT_BINARY_FN(pow, Pow)
  FT_BINARY_FN_TENSORS(maximum, Maximum) FT_BINARY_FN_TENSORS(minimum, Minimum)
  FT_BINARY_FN_TENSOR_INPUT(eq, Eq) FT_BINARY_FN_TENSOR_INPUT(ne, Ne) FT_BINARY_FN_TENSOR_INPUT(lt, Lt)
  FT_BINARY_FN_TENSOR_INPUT(le, Le) FT_BINARY_FN_TENSOR_INPUT(gt, Gt) FT_BINARY_FN_TENSOR_INPUT(ge, Ge)
  FT_BINARY_FN_TENSOR_INPUT(greater, Gt) FT_BINARY_FN_TENSOR_INPUT(less, Lt)
  FT_BINARY_FN_TENSORS(logical_and, LogicalAnd) FT_BINARY_FN_TENSORS(logical_or, LogicalOr)
  FT_BINARY_FN_TENSORS(logical_xor, LogicalXor) FT_BINARY_FN(floor_divide, FloorDiv)
  FT_BINARY_FN(remainder, Remainder) FT_BINARY_FN_TENSOR_INPUT(fmod, Fmod)
  m.def("bitwise_not", &ops::bitwise_not, py::arg("input"));
  FT_BINARY_FN(bitwise_and, BitAnd) FT_BINARY_FN(bitwise_or, BitOr) FT_BINARY_FN(bitwise_xor, BitXor)
  FT_BINARY_FN(bitwise_left_shift, LeftShift) FT_BINARY_FN(bitwise_right_shift, RightShift)
#define FT_ADD_LIKE_FN(NAME, OP)                                                                   \
  m.def(#NAME, [](py::handle a, py::handle b, py::handle alpha, py::object out) {                 \
    return add_like(BinaryOp::OP, #NAME, a, b, alpha, out);                                       \
  }, py::arg("input"), py::arg("other"), py::kw_only(), py::arg("alpha") = py::none(), py::arg("out") = py::none());
  FT_ADD_LIKE_FN(add, Add) FT_ADD_LIKE_FN(sub, Sub) FT_ADD_LIKE_FN(subtract, Sub)
#define FT_DIV_FN(NAME)                                                                            \
  m.def(#NAME, [](py::handle a, py::handle b, py::object rounding_mode, py::object out) -> Tensor { \
    if (!out.is_none() && rounding_mode.is_none()) return binary_out_args(BinaryOp::Div, a, b, to_tensor(out), #NAME); \
    if (out.is_none()) return div_rounding(a, b, rounding_mode, #NAME);                            \
    /* floor / trunc into out: the quotient, then out's rules (autograd, resize, dtype) */          \
    const Tensor o = to_tensor(out);                                                               \
    const Tensor q = div_rounding(a, b, rounding_mode, #NAME);                                     \
    FT_CHECK(!(autograd::is_grad_enabled() && (q->requires_grad() || o->requires_grad())), RuntimeError, \
             #NAME "(): functions with out=... arguments don't support automatic differentiation, but one " \
             "of the arguments requires grad.");                                                  \
    resize_out(o, q->shape());                                                                     \
    FT_CHECK(ops::can_cast(q->dtype(), o->dtype()), RuntimeError, "result type ", dtype_scalar_name(q->dtype()), \
             " can't be cast to the desired output type ", dtype_scalar_name(o->dtype()));         \
    return ops::copy_(o, q);                                                                        \
  }, py::arg("input"), py::arg("other"), py::kw_only(), py::arg("rounding_mode") = py::none(), py::arg("out") = py::none());
  FT_DIV_FN(div) FT_DIV_FN(divide)

  m.def("where", [](const Tensor& cond, py::handle a, py::handle b) {
    Tensor ta = as_operand(a), tb = as_operand(b);
    FT_CHECK(ta && tb, TypeError, "where(): expected Tensor or Number arguments");
    const Tensor c = where_condition(cond);
    return nogil(c->numel(), [&] { return ops::where(c, ta, tb); });
  }, py::arg("condition"), py::arg("input"), py::arg("other"));
  m.def("clamp", [](const Tensor& t, py::handle lo, py::handle hi) {
    return clamp_args(t, lo, hi, false);
  }, py::arg("input"), py::arg("min") = py::none(), py::arg("max") = py::none());
  m.attr("clip") = m.attr("clamp");

  m.def("cat", [](py::handle ts, int64_t dim) {
    auto v = tensor_list(ts, "cat");
    int64_t work = 0;
    for (auto& t : v) work += t->numel();
    return nogil(work, [&] { return ops::cat(v, dim); });
  }, py::arg("tensors"), py::arg("dim") = 0);
  m.def("stack", [](py::handle ts, int64_t dim) { return ops::stack(tensor_list(ts, "stack"), dim); },
        py::arg("tensors"), py::arg("dim") = 0);
  for (const char* name : {"cat", "stack"}) add_numpy_dim_names(m, name, false);
  m.attr("concat") = m.attr("cat");
  m.attr("concatenate") = m.attr("cat");
  m.def("_meshgrid", [](py::handle ts, const std::string& indexing) {
    return py::tuple(py::cast(ops::meshgrid(tensor_list(ts, "meshgrid"), indexing)));
  }, py::arg("tensors"), py::arg("indexing"));

  const auto matmul = [](const Tensor& a, const Tensor& b) { return nogil(a->numel(), [&] { return ops::matmul(a, b); }); };
  const auto mm = [](const Tensor& a, const Tensor& b) { return nogil(a->numel(), [&] { return ops::mm(a, b); }); };
  m.def("matmul", tensor_pair_function("matmul", "other", matmul), py::arg("input"), py::arg("other"));
  m.def("mm", tensor_pair_function("mm", "mat2", mm), py::arg("input"), py::arg("mat2"));
  m.def("mv", tensor_pair_function("mv", "vec", &ops::mv), py::arg("input"), py::arg("vec"));
  m.def("dot", tensor_pair_function("dot", "tensor", &ops::dot), py::arg("input"), py::arg("tensor"));
  m.def("bmm", tensor_pair_function("bmm", "mat2", &ops::bmm), py::arg("input"), py::arg("mat2"));

  // (the input is checked here for PyTorch's TypeError: sum([1, 2]))
  m.def("sum", [](py::handle t, py::args a, py::kwargs k) { return sum_impl(tensor_argument(t, "sum", "input", 1), a, k); });
  m.def("mean", [](py::handle t, py::args a, py::kwargs k) {
    return mean_impl(tensor_argument(t, "mean", "input", 1), a, k);
  });
  m.def("max", [](py::handle t, py::args a, py::kwargs k) {
    return reduce_max_min(true, tensor_argument(t, "max", "input", 1), a, k);
  });
  m.def("min", [](py::handle t, py::args a, py::kwargs k) {
    return reduce_max_min(false, tensor_argument(t, "min", "input", 1), a, k);
  });
  m.def("_var", [](const Tensor& t, py::object dim, double correction, bool keepdim) {
    return ops::var(t, to_dims(dim, "var"), correction, keepdim);
  });
  m.def("_std", [](const Tensor& t, py::object dim, double correction, bool keepdim) {
    return ops::std(t, to_dims(dim, "std"), correction, keepdim);
  });
  m.def("_diagonal", &ops::diagonal, py::arg("input"), py::arg("offset") = 0, py::arg("dim1") = 0, py::arg("dim2") = 1);
  m.def("_unfold", &ops::unfold, py::arg("input"), py::arg("dimension"), py::arg("size"), py::arg("step"));
  m.def("_norm", [](const Tensor& t, double p, py::object dim, bool keepdim) {
    const std::vector<int64_t> dims = to_dims(dim, "norm");  // Python objects: read before the GIL is released
    return nogil(t->numel(), [&] { return ops::norm(t, p, dims, keepdim); });
  });
  m.def("softmax", [](py::handle input, int64_t dim, py::object dtype) {
    const Tensor t = tensor_argument(input, "softmax", "input", 1);
    const auto dt = to_optional_dtype(dtype);
    return nogil(t->numel(), [&] { return ops::softmax(t, dim, dt); });
  }, py::arg("input"), py::arg("dim"), py::arg("dtype") = py::none());
  m.def("log_softmax", [](py::handle input, int64_t dim, py::object dtype) {
    const Tensor t = tensor_argument(input, "log_softmax", "input", 1);
    const auto dt = to_optional_dtype(dtype);
    return nogil(t->numel(), [&] { return ops::log_softmax(t, dim, dt); });
  }, py::arg("input"), py::arg("dim"), py::arg("dtype") = py::none());
  for (const char* name : {"softmax", "log_softmax"}) add_numpy_dim_names(m, name, false);

  // --- creation primitives (the Python layer parses sizes and keywords) --------
  m.def("_empty", [](const std::vector<int64_t>& shape, py::object dtype, py::object device, bool rg) {
    return maybe_requires_grad(empty(Shape(shape), to_optional_dtype(dtype).value_or(default_dtype()), to_device(device)), rg);
  });
  // Fast paths of empty/zeros/ones (value None: empty) and rand/randn called with a plain size
  // and nothing but dtype and device: None when the size is not plain (the Python layer then
  // parses it).
  m.def("_plain_full", [](py::handle size, py::handle value, py::handle dtype, py::handle device) -> py::object {
    const auto shape = plain_size(size);
    if (!shape) return py::none();
    const DType dt = to_optional_dtype(dtype).value_or(default_dtype());
    if (value.is_none()) return py::cast(empty(*shape, dt, to_device(device)));
    return py::cast(ops::full(*shape, *to_scalar(value), dt, to_device(device)));
  });
  m.def("_plain_random", [](py::handle size, bool normal, py::handle dtype, py::handle device) -> py::object {
    const auto shape = plain_size(size);
    if (!shape) return py::none();
    const DType dt = to_optional_dtype(dtype).value_or(default_dtype());
    return py::cast(normal ? ops::randn(*shape, dt, to_device(device), nullptr)
                           : ops::rand(*shape, dt, to_device(device), nullptr));
  });
  // The *_like functions given only the input (and the fill value): the input's dtype, device and
  // dense layout. None when input is no tensor or value no number.
  m.def("_plain_like", [](py::handle input, py::handle value) -> py::object {
    if (!is_tensor(input)) return py::none();
    const Tensor t = input.cast<Tensor>();
    if (value.is_none()) return py::cast(empty_like(t, t->dtype(), t->device()));
    if (PyBool_Check(value.ptr()) || !(PyFloat_CheckExact(value.ptr()) || PyLong_CheckExact(value.ptr())))
      return py::none();
    int overflow = 0;
    if (PyLong_CheckExact(value.ptr())) PyLong_AsLongLongAndOverflow(value.ptr(), &overflow);
    if (overflow) return py::none();
    return py::cast(ops::full_like(t, *to_scalar(value), t->dtype(), t->device()));
  });
  m.def("_plain_random_like", [](py::handle input, bool normal) -> py::object {
    if (!is_tensor(input)) return py::none();
    const Tensor t = input.cast<Tensor>();
    const Tensor r = empty_like(t, t->dtype(), t->device());
    return py::cast(normal ? ops::normal_(r, 0.0, 1.0, nullptr) : ops::uniform_(r, 0.0, 1.0, nullptr));
  });
  // normal(mean, std, size) with Python numbers and a plain size (a tuple or list).
  m.def("_plain_normal", [](py::handle mean, py::handle std, py::handle size, py::handle dtype,
                            py::handle device) -> py::object {
    const auto number = [](py::handle h) { return PyFloat_CheckExact(h.ptr()) || PyLong_CheckExact(h.ptr()); };
    if (!number(mean) || !number(std)) return py::none();
    const auto shape = plain_size_sequence(size.ptr());
    if (!shape) return py::none();
    const Tensor t = empty(*shape, to_optional_dtype(dtype).value_or(default_dtype()), to_device(device));
    return py::cast(ops::normal_(t, mean.cast<double>(), std.cast<double>(), nullptr));
  });
  m.def("_tensor_from_plain_data", [](py::handle data, py::handle dtype) -> py::object {
    Tensor t = tensor_from_plain_data(data, dtype);
    return t ? py::cast(t) : py::none();
  });
  m.def("_empty_like", [](const Tensor& t, py::object dtype, py::object device, bool rg) {
    return maybe_requires_grad(empty_like(t, to_optional_dtype(dtype).value_or(t->dtype()),
                                          device.is_none() ? t->device() : to_device(device)), rg);
  });
  // full(); with `like`, in like's layout (the *_like functions).
  m.def("_full", [](const std::vector<int64_t>& shape, py::handle value, py::object dtype, py::object device, bool rg,
                    std::optional<Tensor> like) {
    // An int beyond int64 but within uint64 fills a float tensor, or fails full's range check; one
    // beyond that is PyTorch's OverflowError (its Python int to Scalar conversion).
    int overflow = 0;
    if (PyLong_Check(value.ptr()) && !PyBool_Check(value.ptr())) PyLong_AsLongLongAndOverflow(value.ptr(), &overflow);
    if (overflow) {
      PyLong_AsUnsignedLongLong(value.ptr());
      if (PyErr_Occurred()) {
        PyErr_Clear();
        PyErr_SetString(PyExc_OverflowError, overflow < 0 ? "can't convert negative int to unsigned" : "int too big to convert");
        throw py::error_already_set();
      }
    }
    auto s = overflow ? std::optional<Scalar>(Scalar::from_double(PyLong_AsDouble(value.ptr()))) : to_scalar(value);
    FT_CHECK(s, TypeError, "full(): fill_value must be a number");
    const DType dt = to_optional_dtype(dtype).value_or(s->natural_dtype());
    if (like) return maybe_requires_grad(ops::full_like(*like, *s, dt, to_device(device)), rg);
    return maybe_requires_grad(ops::full(Shape(shape), *s, dt, to_device(device)), rg);
  }, py::arg("shape"), py::arg("value"), py::arg("dtype"), py::arg("device"), py::arg("rg"), py::arg("like") = py::none());
  m.def("_arange", [](py::handle start, py::handle end, py::handle step, py::object dtype, py::object device, bool rg) {
    auto a = to_scalar(start), b = to_scalar(end), c = to_scalar(step);
    FT_CHECK(a && b && c, TypeError, "arange(): start, end and step must be numbers");
    return maybe_requires_grad(ops::arange(*a, *b, *c, to_optional_dtype(dtype), to_device(device)), rg);
  });
  m.def("_linspace", [](py::handle start, py::handle end, int64_t steps, py::object dtype, py::object device, bool rg) {
    auto a = to_scalar(start), b = to_scalar(end);
    FT_CHECK(a && b, TypeError, "linspace(): start and end must be numbers");
    return maybe_requires_grad(ops::linspace(*a, *b, steps, to_optional_dtype(dtype).value_or(default_dtype()), to_device(device)), rg);
  });
  m.def("_eye", [](int64_t n, py::object m_, py::object dtype, py::object device, bool rg) {
    return maybe_requires_grad(ops::eye(n, m_.is_none() ? n : m_.cast<int64_t>(), to_optional_dtype(dtype).value_or(default_dtype()), to_device(device)), rg);
  });
  m.def("_rand", [](const std::vector<int64_t>& shape, py::object dtype, py::object device, Generator* g, bool rg) {
    return maybe_requires_grad(ops::rand(Shape(shape), to_optional_dtype(dtype).value_or(default_dtype()), to_device(device), g), rg);
  });
  m.def("_randn", [](const std::vector<int64_t>& shape, py::object dtype, py::object device, Generator* g, bool rg) {
    return maybe_requires_grad(ops::randn(Shape(shape), to_optional_dtype(dtype).value_or(default_dtype()), to_device(device), g), rg);
  });
  m.def("_randint", [](int64_t low, int64_t high, const std::vector<int64_t>& shape, py::object dtype, py::object device, Generator* g) {
    return ops::randint(low, high, Shape(shape), to_optional_dtype(dtype).value_or(DType::Int64), to_device(device), g);
  });
  m.def("_randperm", [](int64_t n, py::object dtype, py::object device, Generator* g) {
    return ops::randperm(n, to_optional_dtype(dtype).value_or(DType::Int64), to_device(device), g);
  });
  m.def("from_numpy", [](py::array arr) { return from_numpy(arr); });
  m.def("_to_numpy", &to_numpy);
  m.def("_scalar_tensor", [](py::handle v, py::object dtype, py::object device) {
    auto s = to_scalar(v);
    FT_CHECK(s, TypeError, "expected a number");
    return scalar_tensor(*s, to_optional_dtype(dtype).value_or(s->natural_dtype()), to_device(device));
  });
  m.def("is_tensor", [](py::handle h) { return is_tensor(h); });
  m.def("numel", [](const Tensor& t) { return t->numel(); });
  m.def("result_type", [](py::handle a, py::handle b) {
    Tensor ta = as_operand(a), tb = as_operand(b);
    FT_CHECK(ta && tb, TypeError, "result_type(): expected Tensor or Number arguments");
    return dtype_object(ops::result_type(ta, tb));
  });
  m.def("promote_types", [](py::object a, py::object b) { return dtype_object(promote_types(to_dtype(a), to_dtype(b))); });

  // --- autograd ----------------------------------------------------------------
  m.def("_run_backward", [](const std::vector<Tensor>& outputs, const std::vector<Tensor>& grads, bool keep_graph,
                            bool create_graph, const std::vector<Tensor>& inputs, bool allow_unused) {
    py::gil_scoped_release release;
    return autograd::run_backward(outputs, grads, keep_graph, create_graph, inputs, allow_unused);
  });

  // Composite ops written in Python name their result's node as PyTorch's
  // (python/fasttensor/_grad_names.py): only a node recorded since `since` (made by the
  // composite itself, never an input's) is renamed.
  m.def("_next_sequence_nr", &autograd::next_sequence_nr);
  m.def("_copy_result_", &ops::copy_result_);
  m.def("_name_grad_fn", [](py::handle out, const std::string& name, uint64_t since) {
    if (!py::isinstance<TensorImpl>(out)) return;
    const Tensor t = out.cast<Tensor>();
    const auto fn = t->grad_fn();
    // (a view written in place by the composite keeps the node made from its base, as PyTorch's)
    if (!fn || std::strcmp(fn->name(), name.c_str()) == 0) return;
    if (t->view_base && std::strcmp(fn->name(), "AsStridedBackward0") == 0) return;
    autograd::name_recorded(t, autograd::intern_name(name), since);
  });
  // autograd.Function: `out` gets a node named `name` whose backward calls the
  // Python `backward(grad, saved)` (with the GIL), which returns one gradient or
  // None per entry of `inputs` (None entries: arguments that are not tensors;
  // extra trailing Nones are allowed, as in PyTorch). `saved` (None entries
  // allowed) are kept by the node as any op's saved tensors: version-checked,
  // freed after a backward without retain_graph, and those flagged in
  // `saved_is_output` (the output itself) come back attached to the node for
  // double backward.
  m.def("_record_python_function", [](const Tensor& out, py::list inputs, py::function backward, const std::string& name,
                                      py::list saved, py::list saved_is_output) {
    std::vector<Tensor> ins;
    for (py::handle h : inputs) ins.push_back(h.is_none() ? Tensor() : to_tensor(h));
    std::vector<autograd::ToSave> to_save;
    for (size_t i = 0; i < saved.size(); ++i)
      to_save.push_back({saved[i].is_none() ? Tensor() : to_tensor(saved[i]), saved_is_output[i].cast<bool>()});
    const char* kept = autograd::intern_name(name);
    std::shared_ptr<py::object> fn(new py::object(std::move(backward)), [](py::object* p) {
      py::gil_scoped_acquire gil;
      delete p;
    });
    std::vector<bool> is_tensor;
    for (const Tensor& t : ins) is_tensor.push_back(bool(t));
    autograd::record(out, kept, ins, to_save, [fn, is_tensor, kept](const Tensor& g, const autograd::SavedTensors& sv, auto&) {
      std::vector<Tensor> unpacked;
      for (size_t i = 0; i < sv.items.size(); ++i) unpacked.push_back(sv[i]);
      py::gil_scoped_acquire gil;
      py::tuple saved_now(unpacked.size());
      for (size_t i = 0; i < unpacked.size(); ++i)
        saved_now[i] = unpacked[i] ? py::cast(unpacked[i]) : py::none();
      py::object r = (*fn)(g, saved_now);
      py::tuple grads = py::isinstance<py::tuple>(r) ? r.cast<py::tuple>() : py::make_tuple(r);
      const size_t n = is_tensor.size();
      bool extra_none = grads.size() > n;
      for (size_t i = n; i < grads.size(); ++i) extra_none = extra_none && grads[i].is_none();
      FT_CHECK(grads.size() == n || extra_none, RuntimeError, "function ", kept,
               " returned an incorrect number of gradients (expected ", n, ", got ", grads.size(), ")");
      std::vector<Tensor> out_grads;
      for (size_t i = 0; i < n; ++i) {
        py::handle h = grads[i];
        if (h.is_none()) {
          out_grads.emplace_back();
          continue;
        }
        FT_CHECK(is_tensor[i], RuntimeError, "function ", kept, " returned a gradient different than None at position ",
                 i + 1, ", but the corresponding forward input was not a Variable");
        FT_CHECK(py::isinstance<TensorImpl>(h), RuntimeError, "expected Variable or None (got ",
                 std::string(py::str(py::type::of(h).attr("__name__"))), ")");
        out_grads.push_back(h.cast<Tensor>());
      }
      return out_grads;
    });
  });

  // --- nn --------------------------------------------------------------------------
  m.def("_cross_entropy", [](const Tensor& input, const Tensor& target, const std::string& reduction, int64_t ignore_index) {
    return nogil(input->numel(), [&] { return ops::cross_entropy(input, target, ops::parse_reduction(reduction), ignore_index); });
  }, py::arg("input"), py::arg("target"), py::arg("reduction") = "mean", py::arg("ignore_index") = -100);
  m.def("_mse_loss", [](const Tensor& input, const Tensor& target, const std::string& reduction) {
    return ops::mse_loss(input, target, ops::parse_reduction(reduction));
  });
  m.def("_linear", [](const Tensor& x, const Tensor& w, py::object b) {
    Tensor bias = b.is_none() ? Tensor() : to_tensor(b);
    return nogil(x->numel() * w->shape()[0], [&] { return ops::linear(x, w, bias); });
  });
  m.def("_dropout", [](const Tensor& x, double p, bool training) { return ops::dropout(x, p, training); });
  // kind: 0 bernoulli(a), 1 exponential(a), 2 geometric(a), 3 cauchy(a, b), 4 log_normal(a, b), 5 random_() bits.
  m.def("_random_distribution_", [](const Tensor& t, int kind, double a, double b, Generator* g) {
    FT_CHECK(kind >= 0 && kind <= int(RandomDistribution::Bits), ValueError, "unknown distribution ", kind);
    return ops::random_distribution_(t, RandomDistribution(kind), a, b, g);
  }, py::arg("self"), py::arg("kind"), py::arg("a"), py::arg("b"), py::arg("generator") = nullptr);
  m.def("_random_", [](const Tensor& t, int64_t low, int64_t high, Generator* g) { return ops::random_(t, low, high, g); },
        py::arg("self"), py::arg("low"), py::arg("high"), py::arg("generator") = nullptr);
  m.def("_poisson", [](const Tensor& rate, Generator* g) {
    return nogil(rate->numel() * 8, [&] { return ops::poisson(rate, g); });
  }, py::arg("input"), py::arg("generator") = nullptr);
  m.def("_binomial", [](const Tensor& count, const Tensor& prob, Generator* g) {
    return nogil(std::max(count->numel(), prob->numel()) * 8, [&] { return ops::binomial(count, prob, g); });
  }, py::arg("count"), py::arg("prob"), py::arg("generator") = nullptr);

  // --- optim ------------------------------------------------------------------------
  m.def("_sgd_steps", [](const std::vector<Tensor>& params, const std::vector<Tensor>& grads, py::list bufs,
                         double lr, double momentum, double dampening, double wd, bool nesterov,
                         const std::vector<bool>& first) {
    std::vector<Tensor> b;
    int64_t work = 0;
    for (py::handle h : bufs) b.push_back(h.is_none() ? Tensor() : to_tensor(h));
    for (const Tensor& p : params) work += p->numel();
    nogil(work, [&] { ops::sgd_steps(params, grads, b, lr, momentum, dampening, wd, nesterov, first); return 0; });
  });
  m.def("_adam_step", [](const Tensor& p, const Tensor& g, const Tensor& m1, const Tensor& m2, double lr, double b1,
                         double b2, double eps, double wd, bool decoupled, int64_t step) {
    nogil(p->numel(), [&] { ops::adam_step(p, g, m1, m2, lr, b1, b2, eps, wd, decoupled, step); return 0; });
  });
}

}  // namespace ft::python
