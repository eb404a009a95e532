// Module-level functions of fasttensor._C: the functional forms of the ops,
// creation primitives, autograd entry points, nn and optim kernels.
#include <cstring>

#include "autograd/grad_mode.h"
#include "python/args.h"
#include "python/fastcall.h"

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
  const auto ints = exact_ints(seq);
  if (!ints) return std::nullopt;
  Shape shape;
  for (const int64_t v : *ints) {
    if (v < 0) return std::nullopt;
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

// As PyTorch, out as given must not overlap itself or the inputs (checked before any resize:
// exp(a, out=a[:1]) is refused, not written to new memory).
template <class Tensors> void check_out_overlap(const Tensor& out, const Tensors& inputs) {
  ops::check_no_internal_overlap(out);
  for (const Tensor& in : inputs) ops::check_no_partial_overlap(out, in);
}
// out= of another shape takes the result's, as PyTorch resizes it (warning when out had elements);
// not an out that requires grad, which the op refuses as it stands. The callers check everything
// else first, so that a refused call leaves out as it was.
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

// PyTorch's refusal of an out= of another dtype than the result's, where the op writes only its own
// (bitwise_not, clamp with number bounds).
void check_own_dtype(const Tensor& out, const Tensor& result) {
  FT_CHECK(out->dtype() == result->dtype(), RuntimeError, "Found dtype ", dtype_scalar_name(out->dtype()),
           " but expected ", dtype_scalar_name(result->dtype()));
}

// A result computed apart written into out= with PyTorch's rules for it: no autograd, out not
// overlapping the inputs, resized to the result's shape, of a dtype the result casts to.
Tensor write_out(const char* fn, const Tensor& out, const Tensor& result, std::initializer_list<Tensor> inputs) {
  FT_CHECK(!(autograd::is_grad_enabled() && (result->requires_grad() || out->requires_grad())), RuntimeError, fn,
           "(): functions with out=... arguments don't support automatic differentiation, but one of the arguments "
           "requires grad.");
  FT_CHECK(ops::can_cast(result->dtype(), out->dtype()), RuntimeError, "result type ",
           dtype_scalar_name(result->dtype()), " can't be cast to the desired output type ",
           dtype_scalar_name(out->dtype()));
  check_out_overlap(out, inputs);
  resize_out(out, result->shape());
  return ops::copy_(out, result);
}

// (unary_out / binary_out check out as it is; one to be resized is checked before, the same way.)
Tensor unary_out_args(UnaryOp op, const Tensor& t, const Tensor& out) {
  if (out->shape() != t->shape()) {
    ops::check_unary_out(op, t, out);
    resize_out(out, t->shape());
  }
  return ops::unary_out(op, t, out);
}

Tensor binary_out_args(BinaryOp op, py::handle a, py::handle b, const Tensor& out, const char* name) {
  Tensor ta = as_operand(a), tb = as_operand(b);
  if (!ta || !tb) refuse_operands(name, a, b, false);
  const Shape shape = ops::broadcast_shapes(ta->shape(), tb->shape());
  if (out->shape() != shape) {
    ops::check_binary_out(op, ta, tb, out);
    resize_out(out, shape);
  }
  return nogil(out->numel(), [&] { return ops::binary_out(op, ta, tb, out); });
}

// ---- the functional forms of the elementwise ops: fast calls (python/fastcall.h) ---------------
// An absent keyword and an explicit None are the same.
py::object given_or_none(PyObject* o) { return py::reinterpret_borrow<py::object>(o ? o : Py_None); }
bool given(PyObject* o) { return o && o != Py_None; }
Tensor out_argument(const char* fn, py::handle out) {
  if (!is_tensor(out)) throw TypeError(str(fn, "(): argument 'out' must be Tensor, not ", Py_TYPE(out.ptr())->tp_name));
  return to_tensor(out);
}
Tensor out_argument(const FastFunction& fn, PyObject* out) { return out_argument(fn.name, out); }

// name(input, *, out=None). The input is checked here, for PyTorch's TypeError text (exp(2.0)).
Tensor unary_function(const FastFunction& fn, PyObject* const* args) {
  const UnaryOp op = UnaryOp(fn.op);
  const Tensor t = tensor_argument(args[0], fn.name, "input", 1);
  if (given(args[1])) return unary_out_args(op, t, out_argument(fn, args[1]));  // (null without an out param)
  return nogil(t->numel(), [&] { return ops::unary(op, t); });
}
// name(input, other, *, out=None): tensors or numbers.
Tensor binary_function(const FastFunction& fn, PyObject* const* args) {
  const BinaryOp op = BinaryOp(fn.op);
  if (given(args[2])) return binary_out_args(op, args[0], args[1], out_argument(fn, args[2]), fn.name);
  return binary_args(op, args[0], args[1], fn.name);
}
// PyTorch takes a number only as `other` here (eq(2, x) is refused): its TypeError first.
Tensor binary_function_tensor_input(const FastFunction& fn, PyObject* const* args) {
  if (!is_tensor(args[0])) throw TypeError(tensor_number_signatures_error(fn.name, args[0], args[1]));
  return binary_function(fn, args);
}
// ... or no number at all (maximum(x, 2)).
Tensor binary_function_tensors(const FastFunction& fn, PyObject* const* args) {
  tensor_argument(args[0], fn.name, "input", 1);
  tensor_argument(args[1], fn.name, "other", 2);
  return binary_function(fn, args);
}
// add / sub(input, other, *, alpha=None, out=None): input op alpha * other.
Tensor add_function(const FastFunction& fn, PyObject* const* args) {
  const BinaryOp op = BinaryOp(fn.op);
  const Tensor out = given(args[3]) ? out_argument(fn, args[3]) : Tensor();
  py::handle other = args[1];
  py::object scaled;  // other * alpha; without alpha (the common case) no detour; alpha=None is refused
  if (!is_default_alpha(args[2])) {
    if (const Tensor tb = as_operand(other)) {
      if (out) check_out_overlap(out, std::initializer_list<Tensor>{as_operand(args[0]), tb});  // (other as given)
      scaled = py::cast(times_alpha(as_operand(args[0]), tb, args[2], fn.name));
      other = scaled;
    }
  }
  if (out) return binary_out_args(op, args[0], other, out, fn.name);
  return binary_args(op, args[0], other, fn.name);
}
// div / divide(input, other, *, rounding_mode=None, out=None).
Tensor div_function(const FastFunction& fn, PyObject* const* args) {
  const py::object rounding_mode = given_or_none(args[2]);
  if (!given(args[3])) return div_rounding(args[0], args[1], rounding_mode, fn.name);
  const Tensor out = out_argument(fn, args[3]);
  if (rounding_mode.is_none()) return binary_out_args(BinaryOp::Div, args[0], args[1], out, fn.name);
  // floor / trunc into out: the quotient, then out's rules (autograd, resize, dtype)
  const Tensor q = div_rounding(args[0], args[1], rounding_mode, fn.name);
  return write_out(fn.name, out, q, {as_operand(args[0]), as_operand(args[1])});
}

void bind_elementwise_functions(py::module_& m) {
  const struct { const char* name; UnaryOp op; } unary[] = {
      {"neg", UnaryOp::Neg}, {"negative", UnaryOp::Neg}, {"abs", UnaryOp::Abs}, {"sign", UnaryOp::Sign},
      {"exp", UnaryOp::Exp}, {"log", UnaryOp::Log}, {"log1p", UnaryOp::Log1p}, {"sqrt", UnaryOp::Sqrt},
      {"rsqrt", UnaryOp::Rsqrt}, {"sin", UnaryOp::Sin}, {"cos", UnaryOp::Cos}, {"tanh", UnaryOp::Tanh},
      {"sigmoid", UnaryOp::Sigmoid}, {"relu", UnaryOp::Relu}, {"reciprocal", UnaryOp::Reciprocal},
      {"square", UnaryOp::Square}, {"floor", UnaryOp::Floor}, {"ceil", UnaryOp::Ceil}, {"round", UnaryOp::Round},
      {"trunc", UnaryOp::Trunc}, {"logical_not", UnaryOp::LogicalNot}, {"isnan", UnaryOp::IsNan},
      {"isfinite", UnaryOp::IsFinite}, {"isinf", UnaryOp::IsInf}, {"expm1", UnaryOp::Expm1}, {"exp2", UnaryOp::Exp2},
      {"log2", UnaryOp::Log2}, {"log10", UnaryOp::Log10}, {"sinh", UnaryOp::Sinh}, {"cosh", UnaryOp::Cosh},
      {"tan", UnaryOp::Tan}, {"asin", UnaryOp::Asin}, {"acos", UnaryOp::Acos}, {"atan", UnaryOp::Atan},
      {"erf", UnaryOp::Erf}, {"erfc", UnaryOp::Erfc}, {"asinh", UnaryOp::Asinh}, {"acosh", UnaryOp::Acosh},
      {"atanh", UnaryOp::Atanh}, {"arcsinh", UnaryOp::Asinh}, {"arccosh", UnaryOp::Acosh}, {"arctanh", UnaryOp::Atanh},
      {"lgamma", UnaryOp::Lgamma}, {"digamma", UnaryOp::Digamma}, {"arcsin", UnaryOp::Asin},
      {"arccos", UnaryOp::Acos}, {"arctan", UnaryOp::Atan}};
  for (const auto& u : unary) {
    // (PyTorch's relu and the isnan family take no out=)
    const bool no_out = u.op == UnaryOp::Relu || u.op == UnaryOp::IsNan || u.op == UnaryOp::IsFinite || u.op == UnaryOp::IsInf;
    def_fast(m, {u.name, {"input", "out"}, no_out ? 1 : 2, 1, 1, unary_function, int(u.op)},
             no_out ? "Elementwise, as torch's: a new tensor." : "Elementwise, as torch's: a new tensor, or into out.");
  }

  using Body = Tensor (*)(const FastFunction&, PyObject* const*);
  const struct { const char* name; BinaryOp op; Body body; } binary[] = {
      {"mul", BinaryOp::Mul, binary_function}, {"multiply", BinaryOp::Mul, binary_function},
      {"true_divide", BinaryOp::Div, binary_function}, {"pow", BinaryOp::Pow, binary_function},
      {"maximum", BinaryOp::Maximum, binary_function_tensors}, {"minimum", BinaryOp::Minimum, binary_function_tensors},
      {"eq", BinaryOp::Eq, binary_function_tensor_input}, {"ne", BinaryOp::Ne, binary_function_tensor_input},
      {"lt", BinaryOp::Lt, binary_function_tensor_input}, {"le", BinaryOp::Le, binary_function_tensor_input},
      {"gt", BinaryOp::Gt, binary_function_tensor_input}, {"ge", BinaryOp::Ge, binary_function_tensor_input},
      {"greater", BinaryOp::Gt, binary_function_tensor_input}, {"less", BinaryOp::Lt, binary_function_tensor_input},
      {"logical_and", BinaryOp::LogicalAnd, binary_function_tensors},
      {"logical_or", BinaryOp::LogicalOr, binary_function_tensors},
      {"logical_xor", BinaryOp::LogicalXor, binary_function_tensors},
      {"floor_divide", BinaryOp::FloorDiv, binary_function}, {"remainder", BinaryOp::Remainder, binary_function},
      {"fmod", BinaryOp::Fmod, binary_function_tensor_input}, {"bitwise_and", BinaryOp::BitAnd, binary_function},
      {"bitwise_or", BinaryOp::BitOr, binary_function}, {"bitwise_xor", BinaryOp::BitXor, binary_function},
      {"bitwise_left_shift", BinaryOp::LeftShift, binary_function},
      {"bitwise_right_shift", BinaryOp::RightShift, binary_function}};
  for (const auto& b : binary)  // (pow's second parameter is `exponent`, as PyTorch's)
    def_fast(m, {b.name, {"input", b.op == BinaryOp::Pow ? "exponent" : "other", "out"}, 3, 2, 2, b.body, int(b.op)},
             "Elementwise with broadcasting, as torch's: a new tensor, or into out.");

  for (const auto& [name, op] : {std::pair{"add", BinaryOp::Add}, std::pair{"sub", BinaryOp::Sub},
                                 std::pair{"subtract", BinaryOp::Sub}})
    def_fast(m, {name, {"input", "other", "alpha", "out"}, 4, 2, 2, add_function, int(op)},
             "input + alpha * other (sub: minus), broadcast, as torch's: a new tensor, or into out.");
  for (const char* name : {"div", "divide"})
    def_fast(m, {name, {"input", "other", "rounding_mode", "out"}, 4, 2, 2, div_function, int(BinaryOp::Div)},
             "input / other, broadcast; rounding_mode None, 'trunc' or 'floor', as torch's: a new tensor, or into out.");
}

}  // namespace

void bind_functions(py::module_& m) {
  bind_elementwise_functions(m);
  m.def("relu_", [](const Tensor& t) { return ops::unary_(UnaryOp::Relu, t); });
  m.def("bitwise_not", [](const Tensor& t, py::handle out) {
    const Tensor r = ops::bitwise_not(t);
    if (out.is_none()) return r;
    const Tensor o = out_argument("bitwise_not", out);
    check_own_dtype(o, r);
    return write_out("bitwise_not", o, r, {t});
  }, py::arg("input"), py::kw_only(), py::arg("out") = py::none());

  m.def("where", [](const Tensor& cond, py::handle a, py::handle b) {
    Tensor ta = as_operand(a), tb = as_operand(b);
    FT_CHECK(ta && tb, TypeError, "where(): expected Tensor or Number arguments");
    const Tensor c = where_condition(cond);
    return nogil(c->numel(), [&] { return ops::where(c, ta, tb); });
  }, py::arg("condition"), py::arg("input"), py::arg("other"));
  m.def("clamp", [](const Tensor& t, py::handle lo, py::handle hi, py::handle out) {
    const Tensor r = clamp_args(t, lo, hi, false);
    if (out.is_none()) return r;
    const Tensor o = out_argument("clamp", out);
    if (!is_tensor(lo) && !is_tensor(hi)) check_own_dtype(o, r);  // (with tensor bounds, any dtype r casts to)
    return write_out("clamp", o, r, {t, as_operand(lo), as_operand(hi)});
  }, py::arg("input"), py::arg("min") = py::none(), py::arg("max") = py::none(), py::kw_only(), py::arg("out") = py::none());
  // out= of a function computed in Python (cat, where): PyTorch's refusal of an out overlapping
  // itself or an input, before anything is written; any overlap at all with `joins` (cat, stack).
  m.def("_check_out_overlap", [](const Tensor& out, py::iterable inputs, bool joins) {
    std::vector<Tensor> tensors;
    for (py::handle h : inputs)
      if (is_tensor(h)) tensors.push_back(to_tensor(h));
    if (!joins) return check_out_overlap(out, tensors);
    ops::check_no_internal_overlap(out);
    for (const Tensor& in : tensors) ops::check_no_overlap(out, in);
  }, py::arg("out"), py::arg("inputs"), py::arg("joins") = false);
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
