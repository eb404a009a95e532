#include "python/args.h"

namespace ft::python {

py::object named_pair(const char* name, const Tensor& values, const Tensor& indices) {
  static py::handle types = py::module_::import("fasttensor.return_types").release();  // kept, like the dtypes
  return types.attr(name)(py::make_tuple(values, indices));
}

std::optional<int64_t> ReduceArgs::single_dim(const char* name) const {
  if (!has_dim) return std::nullopt;
  FT_CHECK(!dim_is_sequence && dims.size() == 1, TypeError, name, "(): argument 'dim' must be int, not tuple");
  return dims[0];
}

namespace {
// kwargs with axis/keepdims renamed dim/keepdim; without either, PyTorch's TypeError for arguments
// no overload takes, listing their types.
py::dict numpy_names_renamed(const char* name, const py::args& args, const py::kwargs& kwargs) {
  bool renamed = false;
  py::dict out;
  for (auto item : kwargs) {
    std::string key = py::str(item.first);
    const std::string given = key;
    if (key == "axis") key = "dim";
    if (key == "keepdims") key = "keepdim";
    if (key != given) {
      renamed = true;
      FT_CHECK(!kwargs.contains(key), TypeError, name, "() got an unexpected keyword argument '", given, "'");
    }
    out[py::str(key)] = item.second;
  }
  if (!renamed) {
    std::string got;
    auto type_of = [](py::handle h) { return std::string(py::str(py::type::of(h).attr("__name__"))); };
    for (py::handle a : args) got += (got.empty() ? "" : ", ") + type_of(a);
    for (auto item : kwargs) got += (got.empty() ? "" : ", ") + std::string(py::str(item.first)) + "=" + type_of(item.second);
    throw TypeError(str(name, "() received an invalid combination of arguments - got (", got, ")"));
  }
  return out;
}
}  // namespace

void add_numpy_dim_names(py::object owner, const char* name, bool method) {
  py::object sibling = py::getattr(owner, name);
  py::cpp_function fallback;
  if (method) {
    fallback = py::cpp_function(
        [name](py::object self, py::args args, py::kwargs kwargs) {
          return self.attr(name)(*args, **numpy_names_renamed(name, args, kwargs));
        },
        py::name(name), py::is_method(owner), py::sibling(sibling));
  } else {
    fallback = py::cpp_function(
        [owner, name](py::args args, py::kwargs kwargs) {
          return owner.attr(name)(*args, **numpy_names_renamed(name, args, kwargs));
        },
        py::name(name), py::scope(owner), py::sibling(sibling));
  }
  py::setattr(owner, name, fallback);
}

void ReduceArgs::check_keepdim_has_dim(const char* name, bool none_is_a_dim) const {
  FT_CHECK(!keepdim_given || (none_is_a_dim ? dim_given : has_dim), TypeError, name,
           "() received an invalid combination of arguments - got (keepdim=bool, ): keepdim needs a dim");
}

namespace {
// keepdim as PyTorch's parser takes a bool: only True or False (not 1, not NumPy's bool).
bool keepdim_argument(py::handle v, const char* fn, const char* position) {
  FT_CHECK(PyBool_Check(v.ptr()), TypeError, fn, "(): argument 'keepdim'", position, " must be bool, not ",
           Py_TYPE(v.ptr())->tp_name);
  return v.ptr() == Py_True;
}
}  // namespace

ReduceArgs parse_reduce(const char* name, const py::args& args, const py::kwargs& kwargs, size_t first) {
  ReduceArgs r;
  auto set_dim = [&](py::handle h) {
    r.dim_given = true;
    if (h.is_none()) return;
    r.dims = to_dims(h, name);
    r.has_dim = true;
    r.dim_is_sequence = py::isinstance<py::sequence>(h);
  };
  if (args.size() > first) set_dim(args[first]);
  if (args.size() > first + 1) {
    r.keepdim = keepdim_argument(args[first + 1], name, " (position 2)");
    r.keepdim_given = true;
  }
  FT_CHECK(args.size() <= first + 2, TypeError, name, "() takes at most 2 positional arguments");
  for (auto [k, v] : kwargs) {
    const std::string key = py::str(k);
    if (key == "dim" || key == "axis") set_dim(v);
    else if (key == "keepdim" || key == "keepdims") {
      r.keepdim = keepdim_argument(v, name, "");
      r.keepdim_given = true;
    }
    else if (key == "dtype") r.dtype = to_optional_dtype(v);
    else throw TypeError(str(name, "() got an unexpected keyword argument '", key, "'"));
  }
  return r;
}

py::object binary_method(BinaryOp op, const Tensor& self, py::handle other, bool reflected) {
  Tensor o = as_operand(other);
  // A NumPy array operand becomes a tensor (t + np.array(...) is a tensor, as in PyTorch).
  if (!o && py::isinstance<py::array>(other))
    o = from_numpy(py::module_::import("numpy").attr("ascontiguousarray")(other).cast<py::array>());
  if (!o) return py::reinterpret_borrow<py::object>(Py_NotImplemented);
  const int64_t work = std::max(self->numel(), o->numel());
  // number / t is t.reciprocal() * number in PyTorch (its rounding, and MulBackward0).
  if (reflected && op == BinaryOp::Div)
    return py::cast(nogil(work, [&] { return ops::binary(BinaryOp::Mul, ops::unary(UnaryOp::Reciprocal, self), o); }));
  return py::cast(nogil(work, [&] { return reflected ? ops::binary(op, o, self) : ops::binary(op, self, o); }));
}

void refuse_operands(const char* name, py::handle a, py::handle b, bool method, py::handle rounding_mode) {
  const auto operand = [](py::handle h) { return bool(as_operand(h)); };
  const std::string fn = name;
  const bool named = fn == "add" || fn == "sub" || fn == "mul" || fn == "div" || fn == "add_" || fn == "sub_" ||
                     fn == "mul_" || fn == "div_";
  if (named && !rounding_mode) {
    if (!method && !is_tensor(a)) tensor_argument(a, name, "input", 1);
    if (!operand(b)) tensor_argument(b, name, "other", method ? 1 : 2);
  }
  std::string got = method ? "" : std::string(Py_TYPE(a.ptr())->tp_name) + ", ";
  got += Py_TYPE(b.ptr())->tp_name;
  if (is_tensor(b)) got = method ? "Tensor" : got.substr(0, got.rfind(", ") + 2) + "Tensor";
  if (!method && is_tensor(a)) got = "Tensor" + got.substr(got.find(','));
  if (rounding_mode) got += str(", rounding_mode=", Py_TYPE(rounding_mode.ptr())->tp_name);
  throw TypeError(str(name, "() received an invalid combination of arguments - got (", got,
                      "), but expected one of:\n",
                      method ? " * (Tensor other)\n * (Number other)\n"
                             : " * (Tensor input, Tensor other, *, Tensor out = None)\n"
                               " * (Tensor input, Number other, *, Tensor out = None)\n"));
}

Tensor method_operand(const Tensor& self, py::handle o, const char* name) {
  Tensor t = as_operand(o);
  if (!t) refuse_operands(name, py::cast(self), o, true);
  return t;
}

Tensor binary_args(BinaryOp op, py::handle a, py::handle b, const char* name, bool method) {
  Tensor ta = as_operand(a), tb = as_operand(b);
  // add(2, 3), mul(2, 2.5), ...: PyTorch's arithmetic takes two numbers, the first as a 0-d tensor
  // of its natural dtype (tensor(5), tensor(5.)).
  const bool arithmetic = op == BinaryOp::Add || op == BinaryOp::Sub || op == BinaryOp::Mul || op == BinaryOp::Div ||
                          op == BinaryOp::FloorDiv;
  const bool two_numbers = ta && tb && !is_tensor(a) && !is_tensor(b);
  if (arithmetic && two_numbers) {
    const Scalar s = item(ta);
    ta = scalar_tensor(s, s.natural_dtype());
  }
  if (!ta || !tb || (two_numbers && !arithmetic)) refuse_operands(name, a, b, method);
  return nogil(std::max(ta->numel(), tb->numel()), [&] { return ops::binary(op, ta, tb); });
}

py::object reduce_max_min(bool is_max, const Tensor& self, const py::args& args, const py::kwargs& kwargs) {
  // max(other: Tensor) is the elementwise form.
  if (args.size() == 1 && is_tensor(args[0]) && kwargs.empty())
    return py::cast(ops::binary(is_max ? BinaryOp::Maximum : BinaryOp::Minimum, self, to_tensor(args[0])));
  if (kwargs.contains("other")) {
    return py::cast(ops::binary(is_max ? BinaryOp::Maximum : BinaryOp::Minimum, self, to_tensor(kwargs["other"])));
  }
  ReduceArgs r = parse_reduce(is_max ? "max" : "min", args, kwargs);
  r.check_keepdim_has_dim(is_max ? "max" : "min", false);
  FT_CHECK(!r.dim_given || r.has_dim, TypeError, is_max ? "max" : "min",
           "() received an invalid combination of arguments - got (Tensor, dim=NoneType): dim must be an int");
  if (!r.has_dim) return py::cast(nogil(self->numel(), [&] { return is_max ? ops::max_all(self) : ops::min_all(self); }));
  FT_CHECK(r.dims.size() == 1, TypeError, is_max ? "max" : "min", "(): argument 'dim' must be int, not tuple");
  auto [values, indices] = nogil(self->numel(), [&] {
    return is_max ? ops::max_dim(self, r.dims[0], r.keepdim) : ops::min_dim(self, r.dims[0], r.keepdim);
  });
  return named_pair(is_max ? "max" : "min", values, indices);
}

py::object sum_impl(const Tensor& self, const py::args& args, const py::kwargs& kwargs) {
  ReduceArgs r = parse_reduce("sum", args, kwargs);
  r.check_keepdim_has_dim("sum", true);
  return py::cast(nogil(self->numel(), [&] { return ops::sum(self, r.dims, r.keepdim, r.dtype); }));
}

py::object mean_impl(const Tensor& self, const py::args& args, const py::kwargs& kwargs) {
  ReduceArgs r = parse_reduce("mean", args, kwargs);
  r.check_keepdim_has_dim("mean", true);
  return py::cast(nogil(self->numel(), [&] { return ops::mean(self, r.dims, r.keepdim, r.dtype); }));
}

Tensor clamp_args(const Tensor& t, py::handle lo, py::handle hi, bool inplace) {
  const bool tensor_bound = py::isinstance<TensorImpl>(lo) || py::isinstance<TensorImpl>(hi);
  if (!tensor_bound) {
    auto l = lo.is_none() ? std::nullopt : to_scalar(lo), h = hi.is_none() ? std::nullopt : to_scalar(hi);
    FT_CHECK((lo.is_none() || l) && (hi.is_none() || h), TypeError, "clamp(): argument 'min' and 'max' must be Tensor or Number");
    return inplace ? ops::clamp_(t, l, h) : ops::clamp(t, l, h);
  }
  // As PyTorch: a tensor bound beside a number must be 0-d (a number itself).
  const auto number_like = [](py::handle h) { return h.is_none() || !is_tensor(h) || h.cast<Tensor>()->dim() == 0; };
  const bool mixed = !lo.is_none() && !hi.is_none() && is_tensor(lo) != is_tensor(hi);
  FT_CHECK(!mixed || (number_like(lo) && number_like(hi)), TypeError,
           "clamp() received an invalid combination of arguments - got (Tensor, min=",
           std::string(py::str(py::type::of(lo).attr("__name__"))), ", max=",
           std::string(py::str(py::type::of(hi).attr("__name__"))), "): the bounds must both be Tensors or Numbers");
  Tensor tl = lo.is_none() ? Tensor() : as_operand(lo), th = hi.is_none() ? Tensor() : as_operand(hi);
  FT_CHECK((lo.is_none() || tl) && (hi.is_none() || th), TypeError, "clamp(): argument 'min' and 'max' must be Tensor or Number");
  Tensor r = ops::clamp_tensors(t, tl, th);
  FT_CHECK(!inplace || ops::can_cast(r->dtype(), t->dtype()), RuntimeError, "result type ", dtype_scalar_name(r->dtype()),
           " can't be cast to the desired output type ", dtype_scalar_name(t->dtype()));
  return inplace ? ops::copy_result_(t, r) : r;
}

std::vector<Tensor> tensor_list(py::handle seq, const char* what) {
  FT_CHECK(py::isinstance<py::sequence>(seq) && !is_tensor(seq) && !py::isinstance<py::str>(seq) &&
               !py::isinstance<py::array>(seq), TypeError, what,
           "(): argument 'tensors' (position 1) must be tuple of Tensors, not ", Py_TYPE(seq.ptr())->tp_name);
  std::vector<Tensor> out;
  for (py::object h : py::reinterpret_borrow<py::sequence>(seq)) {  // (an object: a NumPy array's items are new)
    FT_CHECK(is_tensor(h), TypeError, "expected Tensor as element ", out.size(), " in argument 0, but got ",
             Py_TYPE(h.ptr())->tp_name);
    out.push_back(h.cast<Tensor>());
  }
  return out;
}

Tensor div_rounding(py::handle a, py::handle b, py::handle rounding_mode, const char* name, bool method) {
  if (rounding_mode.is_none()) return binary_args(BinaryOp::Div, a, b, name, method);
  FT_CHECK(py::isinstance<py::str>(rounding_mode), TypeError, "div(): argument 'rounding_mode' must be str");
  const std::string mode = rounding_mode.cast<std::string>();
  FT_CHECK(mode == "trunc" || mode == "floor", RuntimeError,
           "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '", mode, "'");
  Tensor ta = as_operand(a);
  const Tensor tb = as_operand(b);
  if (!ta || !tb) refuse_operands(name, a, b, method, rounding_mode);
  if (!is_tensor(a) && !is_tensor(b)) ta = scalar_tensor(item(ta), item(ta).natural_dtype());  // div(7, 2, ...)
  return nogil(std::max(ta->numel(), tb->numel()), [&] { return ops::div_rounded(ta, tb, mode == "floor"); });
}

Tensor where_condition(const Tensor& cond) {
  if (cond->dtype() != DType::UInt8) return cond;
  if (PyErr_WarnEx(PyExc_UserWarning,
                   "where received a uint8 condition tensor. This behavior is deprecated and will be removed in a "
                   "future version of PyTorch. Use a boolean condition instead.",
                   1) != 0)
    throw py::error_already_set();
  return ops::to_dtype(cond, DType::Bool);
}

bool is_default_alpha(py::handle alpha) {
  static PyObject* const one = PyLong_FromLong(1);  // CPython's cached 1: what an alpha=1 argument holds
  return !alpha || alpha.ptr() == one;
}

Tensor times_alpha(const Tensor& self, const Tensor& other, py::handle alpha, const char* fn) {
  // A Number (a 0-d tensor too), as PyTorch's parser takes it: not None, converted once.
  const Tensor a = as_operand(alpha);
  FT_CHECK((a && (!is_tensor(alpha) || a->dim() == 0)) || PyComplex_Check(alpha.ptr()), TypeError, fn,
           "(): argument 'alpha' must be Number, not ", is_tensor(alpha) ? "Tensor" : Py_TYPE(alpha.ptr())->tp_name);
  FT_CHECK(!PyComplex_Check(alpha.ptr()), RuntimeError,
           "For non-complex input tensors, argument alpha must not be a complex number.");
  const bool integral = !is_floating(other->dtype()) && (!self || !is_floating(self->dtype()));
  FT_CHECK(!(integral && is_floating(a->dtype())), RuntimeError,
           "For integral input tensors, argument alpha must not be a floating point number.");
  // alpha * other in the operation's result dtype, as PyTorch computes
  // self + alpha * other there: uint8 200 * 2 must not wrap when self is
  // float, and bool stays bool (alpha then acts as True).
  const DType rt = self ? ops::result_type(self, other) : other->dtype();
  FT_CHECK(a->dtype() != DType::Bool || rt == DType::Bool, RuntimeError,
           "Boolean alpha only supported for Boolean results.");
  // sub refuses a bool operand; scaled into rt it would no longer be one.
  FT_CHECK(std::string(fn).rfind("sub", 0) != 0 || other->dtype() != DType::Bool || rt == DType::Bool, RuntimeError,
           "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a "
           "mask, use the `~` or `logical_not()` operator instead.");
  // A tensor requiring grad is cast differentiably (cast_to records nothing; it keeps a wrapped
  // number's mark, which to_dtype would drop).
  const auto cast = [rt](const Tensor& t) { return t->requires_grad() ? ops::to_dtype(t, rt) : ops::cast_to(t, rt); };
  Tensor scaled = cast(other);
  // A Python number, unmarked: two marked floats would multiply in the default
  // dtype (add(0.1, alpha=2) on float64 would round 0.2 to float32).
  if (scaled->is_wrapped_number) scaled = ops::clone(scaled);
  return cast(ops::binary(BinaryOp::Mul, scaled, a));
}

}  // namespace ft::python
