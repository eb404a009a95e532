// fasttensor.Tensor: the pybind11 class over TensorImpl. Properties,
// operators and methods; each converts its arguments and calls one op.
#include <cstring>

#include "autograd/grad_mode.h"
#include "python/args.h"

namespace ft::python {

namespace {

using autograd::GradModeGuard;

std::vector<int64_t> dims_from_args(const py::args& args, const char* what) { return shape_from_args(args, what); }

Tensor detach_alias(const Tensor& t) { return ops::detach(t); }

// A UserWarning at the caller's line (an error when warnings are errors).
void warn(const char* message) {
  if (PyErr_WarnEx(PyExc_UserWarning, message, 1) != 0) throw py::error_already_set();
}
// PyTorch's TORCH_WARN_ONCE: warn's, the first time in the process (fasttensor._warn_once).
void warn_once(const char* message) {
  // (kept for the process: a static py::object would be released after the interpreter is gone)
  static const py::handle once = py::object(py::module_::import("fasttensor._warn_once").attr("warn_once")).release();
  once(message, 1);  // (stacklevel 1: the caller's line, there being no Python frame of ours between)
}

// Whether memory_format asks for a contiguous result (see FT_DTYPE_METHOD); TypeError for no format.
bool wants_contiguous(py::handle memory_format, const char* fn) {
  if (memory_format.is_none()) return false;
  FT_CHECK(py::hasattr(memory_format, "_name"), TypeError, fn, "(): argument 'memory_format' must be "
           "fasttensor.memory_format, not ", Py_TYPE(memory_format.ptr())->tp_name);
  return py::str(memory_format.attr("_name")).cast<std::string>() != "preserve_format";
}

// x != 0 as all()/any() give it: uint8 for uint8 input, else bool.
Tensor truth_values(const Tensor& t) {
  const Tensor nonzero = ops::binary(BinaryOp::Ne, t, wrap_scalar(Scalar::from_int(0)));
  return t->dtype() == DType::UInt8 ? ops::to_dtype(nonzero, DType::UInt8) : nonzero;
}

void set_requires_grad(const Tensor& t, bool r) {
  if (!r && !t->is_leaf())
    throw RuntimeError(
        "you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a "
        "subgraph that doesn't require differentiation use var_no_grad = var.detach().");
  FT_CHECK(!r || is_floating(t->dtype()), RuntimeError,
           "only Tensors of floating point dtype can require gradients");
  t->set_requires_grad(r);
}

Tensor scalar_like(const Scalar& s, const Tensor& like) { return scalar_tensor(s, like->dtype(), like->device()); }

void backward(const Tensor& self, py::object gradient, py::object retain_graph, bool create_graph, py::object inputs) {
  Tensor g;
  if (gradient.is_none()) {
    FT_CHECK(self->numel() == 1, RuntimeError, "grad can be implicitly created only for scalar outputs");
    FT_CHECK(is_floating(self->dtype()), RuntimeError,
             "grad can be implicitly created only for real scalar outputs but got ", dtype_name(self->dtype()));
    g = ops::ones(self->shape(), self->dtype(), self->device());
  } else {
    g = to_tensor(gradient);  // its shape, device and dtype: checked by the engine
  }
  FT_CHECK(self->requires_grad(), RuntimeError,
           "element 0 of tensors does not require grad and does not have a grad_fn");
  const bool keep = retain_graph.is_none() ? create_graph : retain_graph.cast<bool>();
  if (inputs.is_none()) {
    py::gil_scoped_release release;
    autograd::run_backward({self}, {g}, keep, create_graph, {}, false);
    return;
  }
  // backward(inputs=...): only these tensors' .grad accumulate.
  std::vector<Tensor> ins = py::isinstance<TensorImpl>(inputs) ? std::vector<Tensor>{inputs.cast<Tensor>()}
                                                                 : tensor_list(inputs, "backward");
  FT_CHECK(!ins.empty(), RuntimeError, "'inputs' argument to backward() cannot be empty.");
  py::gil_scoped_release release;
  std::vector<Tensor> grads = autograd::run_backward({self}, {g}, keep, create_graph, ins, true);
  autograd::GradModeGuard mode(create_graph);
  for (size_t i = 0; i < ins.size(); ++i) {
    if (!grads[i]) continue;
    const Tensor& old = ins[i]->grad();
    ins[i]->set_grad(old ? ops::add(old, grads[i]) : (create_graph ? grads[i] : ops::clone(grads[i])));
  }
}

// Tensor.register_hook: the Python function runs (with the GIL) on the
// gradient; None keeps it. A leaf's hooks run before accumulation, a
// non-leaf's on its grad_fn's incoming gradient. Returns the hook's id.
int64_t register_hook(const Tensor& t, py::function fn) {
  FT_CHECK(t->requires_grad(), RuntimeError, "cannot register a hook on a tensor that doesn't require gradient");
  static int64_t next_id = 0;
  // Dropped with the GIL held: the engine may free the node on another thread.
  std::shared_ptr<py::object> holder(new py::object(std::move(fn)), [](py::object* p) {
    py::gil_scoped_acquire gil;
    delete p;
  });
  GradHook hook{next_id++, [holder](const Tensor& g) -> Tensor {
                  py::gil_scoped_acquire gil;
                  py::object r = (*holder)(g);
                  return r.is_none() ? Tensor() : to_tensor(r);
                }};
  autograd::refresh_view(t);
  if (t->grad_fn()) t->grad_fn()->pre_hooks.push_back(std::move(hook));
  else t->leaf_hooks.push_back(std::move(hook));
  return next_id - 1;
}

// float(t) / int(t): PyTorch's ValueError for anything but one element.
const Tensor& python_number_source(const Tensor& t) {
  FT_CHECK(t->numel() == 1, ValueError, "only one element tensors can be converted to Python scalars");
  return t;
}

// reshape(2, 3), reshape((2, 3)) or reshape(shape=(2, 3)): `key` names the keyword.
std::vector<int64_t> sizes_arg(const py::args& args, const py::kwargs& kw, const char* fn, const char* key) {
  if (args.size() == 0 && kw.size() == 0) {  // view(): PyTorch's TypeErrors (view(()) is a 0-d view)
    FT_CHECK(std::strcmp(fn, "view") != 0, TypeError, "view() received an invalid combination of arguments - got (), "
             "but expected one of:\n * (fasttensor.dtype dtype)\n * (tuple of ints size)\n");
    throw TypeError(str(fn, "() missing 1 required positional arguments: \"", key, "\""));
  }
  for (auto [k, v] : kw) {
    const std::string name = py::str(k);
    FT_CHECK(name == key && args.size() == 0, TypeError, fn, "() got an unexpected keyword argument '", name, "'");
    return dims_from_args(py::make_tuple(v), fn);
  }
  return dims_from_args(args, fn);
}

// masked_fill with a number or a 0-d tensor.
Tensor masked_fill_value(const Tensor& t, const Tensor& mask, py::handle v) {
  if (!is_tensor(v)) {
    auto s = to_scalar(v);
    FT_CHECK(s, TypeError, "masked_fill(): argument 'value' must be Number or Tensor");
    return ops::masked_fill(t, mask, *s);
  }
  return ops::masked_fill(t, mask, to_tensor(v));
}

// x.tolist(): nested lists of Python numbers, read through x's strides (from the host).
template <class T>
py::object list_of(const T* data, const Tensor& t, int d) {
  if (d == t->dim()) {
    if constexpr (std::is_same_v<T, bool>) return py::bool_(*data);
    else if constexpr (std::is_floating_point_v<T>) return py::float_(double(*data));
    else return py::int_(int64_t(*data));
  }
  const int64_t n = t->shape()[d], stride = t->strides()[d];
  py::list out(n);
  for (int64_t i = 0; i < n; ++i) out[size_t(i)] = list_of(data + i * stride, t, d + 1);
  return std::move(out);
}

py::object to_list(const Tensor& t) {
  const Tensor host = t->device().is_cpu() ? t : ops::to_device(ops::detach(t), Device{});
  return FT_DISPATCH_ALL_TYPES(host->dtype(), "tolist", [&]() -> py::object {
    return list_of(host->data_as<scalar_t>(), host, 0);
  });
}

py::object item_object(const Tensor& t) {
  const Scalar s = item(t);
  if (s.is_bool()) return py::bool_(s.i != 0);
  if (s.is_floating()) return py::float_(s.d);
  return py::int_(s.i);
}


#define FT_UNARY(NAME, OP) \
  .def(#NAME, [](const Tensor& t) { return nogil(t->numel(), [&] { return ops::unary(UnaryOp::OP, t); }); })
#define FT_UNARY_INPLACE(NAME, OP) \
  .def(#NAME, [](const Tensor& t) { return nogil(t->numel(), [&] { return ops::unary_(UnaryOp::OP, t); }); })
// The comparisons (Python's rich comparison slot would also take the class's hash away).
#define FT_COMPARISON(PYNAME, OP)                                                                     \
  .def(PYNAME, [](const Tensor& t, py::handle o) { return binary_method(BinaryOp::OP, t, o, false); }, \
       py::is_operator())
// (The parameter is `other`, pow's `exponent`, as PyTorch's: x.eq(other=y).)
#define FT_BINARY_METHOD(NAME, OP)                                                                                  \
  .def(#NAME, [](const Tensor& t, py::handle o) { return binary_args(BinaryOp::OP, py::cast(t), o, #NAME, true); }, \
       py::arg(BinaryOp::OP == BinaryOp::Pow ? "exponent" : "other"))
// self op= other, in place (other: a tensor or a number, PyTorch's `other`).
#define FT_BINARY_INPLACE(NAME, OP)                                                                     \
  .def(#NAME, [](const Tensor& t, py::handle o) { return ops::binary_(BinaryOp::OP, t, method_operand(t, o, #NAME)); }, \
       py::arg("other"))
// x.maximum(2): PyTorch's method takes a tensor only (other is its argument at position 1).
#define FT_TENSOR_BINARY_METHOD(NAME, OP)                                                            \
  .def(#NAME, [](const Tensor& t, py::handle o) {                                                    \
    const Tensor other = tensor_argument(o, #NAME, "other", 1);                                      \
    return nogil(std::max(t->numel(), other->numel()), [&] { return ops::binary(BinaryOp::OP, t, other); }); \
  }, py::arg("other"))
// x.float() and the like, with PyTorch's memory_format keyword: x itself when it has the dtype;
// else preserve_format (the default) keeps the layout, the others give a contiguous result
// (fasttensor lays channels_last out so too).
#define FT_DTYPE_METHOD(NAME, DTYPE)                                         \
  .def(#NAME, [](const Tensor& t, py::handle memory_format) {               \
    const bool contiguous = wants_contiguous(memory_format, #NAME);          \
    if (t->dtype() == DType::DTYPE) return t;                                \
    const Tensor r = ops::to_dtype(t, DType::DTYPE);                         \
    return contiguous ? ops::contiguous(r) : r;                              \
  }, py::kw_only(), py::arg("memory_format") = py::none())

}  // namespace

namespace {
// PyTorch's messages for a bare integer or slice indexing a 0-d tensor (its other misuses, as (0,) or
// [0], say "too many indices").
void check_zero_dim_index(const Tensor& t, py::handle idx) {
  if (t->dim() != 0) return;
  if (PySlice_Check(idx.ptr())) throw IndexError("slice() cannot be applied to a 0-dim tensor.");
  if (!is_integer(idx)) return;
  const int64_t i = idx.attr("__index__")().cast<int64_t>();
  FT_CHECK(i != 0, IndexError, "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` "
           "in C++ to convert a 0-dim tensor to a number");
  throw IndexError(str("index ", i, " is out of bounds for dimension 0 with size 0"));
}

// t[idx] = value, as PyTorch: basic indices write through the view they select, advanced ones as
// index_put_ (warn_expanded: with PyTorch's deprecation warning when t is expanded).
void set_item(const Tensor& t, py::handle idx, py::handle value, bool warn_expanded) {
  check_zero_dim_index(t, idx);
  auto items = to_index(idx);
  Tensor v = as_operand(value);
  const std::string type_name = str("torch.", t->device().is_cuda() ? "cuda." : "",
                                    dtype_scalar_name(t->dtype()), "Tensor");
  if (!v) {
    py::handle type = py::type::of(value);
    const std::string module = py::str(type.attr("__module__")), name = py::str(type.attr("__qualname__"));
    throw TypeError(str("can't assign a ", module == "builtins" ? name : module + "." + name, " to a ", type_name));
  }
  // Advanced indexing writes a tensor value of the destination's dtype only, as PyTorch's
  // index_put_, except under one boolean mask (the other indices basic) with a one-element CPU
  // value: PyTorch's kernel makes that a masked fill with the value as a number, which casts
  // (and checks that it fits).
  const auto tensor_items = std::count_if(items.begin(), items.end(), [](const ops::IndexItem& it) {
    return it.kind == ops::IndexItem::Kind::Tensor;
  });
  const bool advanced = tensor_items > 0;
  const bool masked_fill = tensor_items == 1 && v->numel() == 1 && v->device().is_cpu() &&
                           std::any_of(items.begin(), items.end(), [](const ops::IndexItem& it) {
                             return it.kind == ops::IndexItem::Kind::Tensor && it.t->dtype() == DType::Bool;
                           });
  FT_CHECK(!advanced || masked_fill || v->is_wrapped_number || v->dtype() == t->dtype(), RuntimeError,
           "Index put requires the source and destination dtypes match, got ", dtype_scalar_name(t->dtype()),
           " for the destination and ", dtype_scalar_name(v->dtype()), " for the source.");
  if (masked_fill && v->dtype() != t->dtype() && !v->is_wrapped_number) {
    if (autograd::any_requires_grad({&v})) {
      v = ops::to_dtype(ops::reshape(v, {}), t->dtype());  // keeps its gradient
    } else {
      ops::check_scalar_fits(item(v), t->dtype());
      v = scalar_like(item(v), t);
    }
  }
  if (v->is_wrapped_number) {
    ops::check_scalar_fits(item(v), t->dtype());
    v = scalar_like(item(v), t);
  }
  // Leading size-1 dims of the value are dropped, as PyTorch does (x[0] = ones(1, 4)).
  int lead = 0;
  while (lead < v->dim() && v->shape()[lead] == 1) ++lead;
  if (lead > 0) {
    std::vector<int64_t> rest(v->shape().begin() + lead, v->shape().end());
    v = ops::reshape(v, rest);
  }
  if (warn_expanded && advanced && ops::has_internal_overlap(t)) {
    warn("Use of index_put_ on expanded tensors is deprecated. Please clone() the tensor before performing this "
         "operation. This also applies to advanced indexing e.g. tensor[indices] = tensor");
    if (masked_fill && items.size() == 1)  // x[mask] = number: PyTorch's masked fill warns too
      warn("Use of masked_fill_ on expanded tensors is deprecated. Please clone() the tensor before performing this "
           "operation. This also applies to advanced indexing e.g. tensor[mask] = scalar");
  }
  nogil(t->numel(), [&] { return ops::index_put_(t, items, v); });
}
}  // namespace

namespace {
// x.unsqueeze_(0) and friends: x takes the layout of v, a view of x made
// by view(), and v's history under the in-place op's PyTorch name
// (UnsqueezeBackward1, ...).
template <class View>
Tensor adopt_view(const Tensor& t, View view, const char* name) {
  const uint64_t since = autograd::next_sequence_nr();
  const Tensor v = view();
  ops::check_inplace(t);
  autograd::name_recorded(v, name, since);
  t->set_layout(t->storage(), t->dtype(), v->shape(), v->strides(), v->offset());
  if (v->grad_fn()) t->set_grad_fn(v->grad_fn());
  // An in-place change, as PyTorch counts it: a graph that saved t (now of another shape) refuses
  // its backward instead of reading the new layout.
  t->bump_version();
  // The data is unchanged: a view keeps the node just adopted (made from its fresh history by view())
  // rather than one rebuilt from its base.
  if (v->grad_fn()) t->view_version = t->version();
  return t;
}
}  // namespace

namespace {
// ---- Python's operators: C functions in the class's number slots -------------------------------
// Set before PyType_Ready, which then makes __add__, __radd__, ... of them (and subclasses such as
// nn.Parameter inherit the functions themselves). Python calls them with no lookup of __add__ and
// no pybind11 dispatch: a third of `a + b`'s time on small tensors. nb_add(a, b) is called for
// a + b whichever operand is the tensor (reflected when it is b); NotImplemented lets Python try
// the other operand, then raise its TypeError.
const Tensor& self_tensor(PyObject* o) {
  const Tensor* t = held_tensor(o);
  if (!t) throw TypeError("descriptor requires an initialized 'Tensor' object");
  return *t;
}

// f() for a slot: a C++ exception becomes the Python exception, and the slot returns `failed`.
template <class R, class F>
R guarded(R failed, F&& f) noexcept {
  try {
    return f();
  } catch (...) {
    set_python_error();
    return failed;
  }
}
PyObject* new_reference(py::object o) { return o.release().ptr(); }

template <BinaryOp OP>
PyObject* binary_slot(PyObject* a, PyObject* b) noexcept {
  return guarded<PyObject*>(nullptr, [&] {
    const bool reflected = !is_tensor(a);
    return new_reference(binary_method(OP, self_tensor(reflected ? b : a), reflected ? a : b, reflected));
  });
}

PyObject* power_slot(PyObject* a, PyObject* b, PyObject* modulo) noexcept {
  if (modulo != Py_None) Py_RETURN_NOTIMPLEMENTED;  // pow(t, 2, 5): Python's TypeError
  return binary_slot<BinaryOp::Pow>(a, b);
}

template <BinaryOp OP>
PyObject* inplace_slot(PyObject* a, PyObject* b) noexcept {
  return guarded<PyObject*>(nullptr, [&]() -> PyObject* {
    const Tensor& self = self_tensor(a);
    const Tensor other = as_operand(b);
    if (!other) Py_RETURN_NOTIMPLEMENTED;
    return tensor_to_python(nogil(self->numel(), [&] { return ops::binary_(OP, self, other); })).ptr();
  });
}

PyObject* inplace_power_slot(PyObject* a, PyObject* b, PyObject* modulo) noexcept {
  if (modulo != Py_None) Py_RETURN_NOTIMPLEMENTED;
  return inplace_slot<BinaryOp::Pow>(a, b);
}

PyObject* matmul_slot(PyObject* a, PyObject* b) noexcept {
  return guarded<PyObject*>(nullptr, [&]() -> PyObject* {
    if (!is_tensor(a) || !is_tensor(b)) Py_RETURN_NOTIMPLEMENTED;
    const Tensor &ta = self_tensor(a), &tb = self_tensor(b);
    return tensor_to_python(nogil(ta->numel(), [&] { return ops::matmul(ta, tb); })).ptr();
  });
}

PyObject* negative_slot(PyObject* a) noexcept {
  return guarded<PyObject*>(nullptr, [&] { return tensor_to_python(ops::unary(UnaryOp::Neg, self_tensor(a))).ptr(); });
}

// ---- indexing, len() and conversion to Python numbers: slots too ----------------------------
PyObject* subscript_slot(PyObject* self, PyObject* idx) noexcept {
  return guarded<PyObject*>(nullptr, [&] {
    const Tensor& t = self_tensor(self);
    check_zero_dim_index(t, idx);
    auto items = to_index(idx);
    return tensor_to_python(nogil(t->numel(), [&] { return ops::index(t, items); })).ptr();
  });
}

int assign_subscript_slot(PyObject* self, PyObject* idx, PyObject* value) noexcept {
  return guarded(-1, [&] {
    FT_CHECK(value, TypeError, "Tensor does not support deleting items");
    set_item(self_tensor(self), idx, value, true);
    return 0;
  });
}

Py_ssize_t length_slot(PyObject* self) noexcept {
  return guarded<Py_ssize_t>(-1, [&] {
    const Tensor& t = self_tensor(self);
    FT_CHECK(t->dim() > 0, TypeError, "len() of a 0-d tensor");
    return Py_ssize_t(t->shape()[0]);
  });
}

int bool_slot(PyObject* self) noexcept {
  return guarded(-1, [&] {
    const Tensor& t = self_tensor(self);
    FT_CHECK(t->numel() == 1, RuntimeError, "Boolean value of Tensor with ",
             t->numel() == 0 ? "no values" : "more than one value", " is ambiguous");
    const Scalar s = item(t);
    return int(s.is_floating() ? s.d != 0 : s.i != 0);
  });
}

PyObject* float_slot(PyObject* self) noexcept {
  return guarded<PyObject*>(nullptr, [&] {
    const Tensor& t = self_tensor(self);
    const double v = item(python_number_source(t)).d;
    if (t->requires_grad())  // (once per process, as PyTorch's)
      warn_once("Converting a tensor with requires_grad=True to a scalar may lead to unexpected behavior.\n"
                "Consider using tensor.detach() first.");
    return PyFloat_FromDouble(v);
  });
}

PyObject* int_slot(PyObject* self) noexcept {
  return guarded<PyObject*>(nullptr, [&] {
    const Scalar s = item(python_number_source(self_tensor(self)));
    // A float goes through Python's int(): exact for any magnitude, ValueError for NaN and
    // OverflowError for inf, as PyTorch (a C cast would give INT64_MIN).
    return s.is_floating() ? PyNumber_Long(py::float_(s.d).ptr()) : PyLong_FromLongLong(s.i);
  });
}

PyObject* index_slot(PyObject* self) noexcept {
  return guarded<PyObject*>(nullptr, [&] {
    const Tensor& t = self_tensor(self);
    FT_CHECK(!is_floating(t->dtype()) && t->numel() == 1, TypeError,
             "only integer tensors of a single element can be converted to an index");
    return PyLong_FromLongLong(item(t).i);
  });
}

void set_operator_slots(PyHeapTypeObject* heap_type) {
  PyNumberMethods& nb = heap_type->as_number;
  nb.nb_add = binary_slot<BinaryOp::Add>;
  nb.nb_subtract = binary_slot<BinaryOp::Sub>;
  nb.nb_multiply = binary_slot<BinaryOp::Mul>;
  nb.nb_true_divide = binary_slot<BinaryOp::Div>;
  nb.nb_floor_divide = binary_slot<BinaryOp::FloorDiv>;
  nb.nb_remainder = binary_slot<BinaryOp::Remainder>;
  nb.nb_power = power_slot;
  nb.nb_and = binary_slot<BinaryOp::BitAnd>;
  nb.nb_or = binary_slot<BinaryOp::BitOr>;
  nb.nb_xor = binary_slot<BinaryOp::BitXor>;
  nb.nb_lshift = binary_slot<BinaryOp::LeftShift>;
  nb.nb_rshift = binary_slot<BinaryOp::RightShift>;
  nb.nb_inplace_add = inplace_slot<BinaryOp::Add>;
  nb.nb_inplace_subtract = inplace_slot<BinaryOp::Sub>;
  nb.nb_inplace_multiply = inplace_slot<BinaryOp::Mul>;
  nb.nb_inplace_true_divide = inplace_slot<BinaryOp::Div>;
  nb.nb_inplace_floor_divide = inplace_slot<BinaryOp::FloorDiv>;
  nb.nb_inplace_remainder = inplace_slot<BinaryOp::Remainder>;
  nb.nb_inplace_power = inplace_power_slot;
  nb.nb_inplace_and = inplace_slot<BinaryOp::BitAnd>;
  nb.nb_inplace_or = inplace_slot<BinaryOp::BitOr>;
  nb.nb_inplace_xor = inplace_slot<BinaryOp::BitXor>;
  nb.nb_inplace_lshift = inplace_slot<BinaryOp::LeftShift>;
  nb.nb_inplace_rshift = inplace_slot<BinaryOp::RightShift>;
  nb.nb_matrix_multiply = matmul_slot;
  nb.nb_negative = negative_slot;
  nb.nb_bool = bool_slot;
  nb.nb_float = float_slot;
  nb.nb_int = int_slot;
  nb.nb_index = index_slot;
  heap_type->as_mapping.mp_subscript = subscript_slot;
  heap_type->as_mapping.mp_ass_subscript = assign_subscript_slot;
  heap_type->as_mapping.mp_length = length_slot;
  heap_type->as_sequence.sq_length = length_slot;  // PySequence_Size(t), as PyTorch's (no sq_item: not a sequence)
}

}  // namespace

void bind_tensor(py::module_& m) {
  py::class_<TensorImpl, std::shared_ptr<TensorImpl>> cls(m, "Tensor", py::dynamic_attr(),
                                                         py::custom_type_setup(set_operator_slots));
  set_tensor_class(cls);
  cls.attr("__module__") = "fasttensor";
  // Python's own messages name a type by tp_name ("'Tensor' object has no
  // attribute 'foo'", "unsupported format string passed to Tensor.__format__"):
  // "Tensor", as PyTorch's, not pybind11's "fasttensor._C.Tensor".
  reinterpret_cast<PyTypeObject*>(cls.ptr())->tp_name = "Tensor";
  cls
      // Tensor(t): an alias of another tensor's data (what nn.Parameter(t)
      // builds on); else PyTorch's legacy constructor, Tensor(2, 3) or
      // Tensor([1, 2]) in the default dtype (fasttensor/_legacy.py).
      .def(py::init([](py::args args, py::kwargs kwargs) {
        if (args.size() == 1 && kwargs.empty() && is_tensor(args[0])) return ops::detach(to_tensor(args[0]));
        if (args.size() == 0 && kwargs.empty()) return empty(Shape{0}, default_dtype());
        py::object legacy_new = py::module_::import("fasttensor._legacy").attr("legacy_new");
        return ops::detach(to_tensor(legacy_new(dtype_object(default_dtype()), *args, **kwargs)));
      }))
      // --- layout -----------------------------------------------------------
      .def_property_readonly("shape", [](const Tensor& t) { return size_object(t->shape()); })
      .def_property_readonly("dtype", [](const Tensor& t) { return dtype_object(t->dtype()); })
      .def_property_readonly("device", [](const Tensor& t) { return device_object(t->device()); })
      .def_property_readonly("is_cuda", [](const Tensor& t) { return t->device().is_cuda(); })
      .def_property_readonly("is_cpu", [](const Tensor& t) { return t->device().is_cpu(); })
      .def_property_readonly("ndim", [](const Tensor& t) { return t->dim(); })
      .def_property_readonly("_version", [](const Tensor& t) { return t->version(); })
      .def_property_readonly("_storage_ptr", [](const Tensor& t) { return reinterpret_cast<uintptr_t>(t->storage()->data()); })
      .def("size", [](const Tensor& t, py::object dim) -> py::object {
        if (dim.is_none()) return size_object(t->shape());
        int64_t d;
        if (PyLong_CheckExact(dim.ptr())) {  // the common size(0): no detour
          d = dim.cast<int64_t>();
        } else {
          const bool integer_tensor = is_tensor(dim) && !is_floating(dim.cast<Tensor>()->dtype()) &&
                                      dim.cast<Tensor>()->dtype() != DType::Bool && dim.cast<Tensor>()->numel() == 1;
          FT_CHECK(is_integer(dim) || integer_tensor, TypeError, "size(): argument 'dim' (position 1) must be int, not ",
                   is_tensor(dim) ? "Tensor" : Py_TYPE(dim.ptr())->tp_name);
          d = dim.attr("__index__")().cast<int64_t>();
        }
        FT_CHECK(t->dim() > 0, IndexError, "Dimension specified as ", d, " but tensor has no dimensions");
        return py::int_(t->size(d));
      }, py::arg("dim") = py::none())
      .def("dim", &TensorImpl::dim)
      .def("ndimension", &TensorImpl::dim)
      .def("numel", &TensorImpl::numel)
      .def("nelement", &TensorImpl::numel)
      .def("element_size", &TensorImpl::itemsize)
      .def("stride", [](const Tensor& t, py::object dim) -> py::object {
        if (dim.is_none()) {
          py::tuple s(t->dim());
          for (int i = 0; i < t->dim(); ++i) s[i] = py::int_(t->strides()[i]);
          return s;
        }
        FT_CHECK(is_integer(dim), TypeError, "stride(): argument 'dim' (position 1) must be int, not ",
                 Py_TYPE(dim.ptr())->tp_name);
        const int64_t d = dim.cast<int64_t>();
        FT_CHECK(t->dim() > 0, IndexError, "Dimension specified as ", d, " but tensor has no dimensions");
        return py::int_(t->strides()[wrap_dim(d, t->dim())]);
      }, py::arg("dim") = py::none())
      .def("storage_offset", &TensorImpl::offset)
      .def("is_contiguous", [](const Tensor& t) { return t->is_contiguous(); })
      .def("is_floating_point", [](const Tensor& t) { return is_floating(t->dtype()); })
      .def("data_ptr", [](const Tensor& t) { return reinterpret_cast<uintptr_t>(t->data()); })
      .def("__hash__", [](py::handle self) { return reinterpret_cast<intptr_t>(self.ptr()); })
      // --- conversion to Python ---------------------------------------------
      .def("item", &item_object)
      .def("tolist", &to_list)
      .def("numpy", [](const Tensor& t, bool force) {
        if (force) return to_numpy(ops::to_device(ops::detach(t), Device{}));
        return to_numpy(t);
      }, py::arg("force") = false)
      // --- autograd -----------------------------------------------------------
      .def_property("requires_grad", [](const Tensor& t) {
                      // A split view whose base changed in place answers without rebuilding its history,
                      // which PyTorch refuses (refresh_view would raise).
                      if (t->multi_output_view >= 0 && autograd::is_stale_view(t))
                        return t->requires_grad() || t->view_base->requires_grad();
                      autograd::refresh_view(t);
                      return t->requires_grad();
                    },
                    [](const Tensor& t, py::handle value) {
                      FT_CHECK(PyBool_Check(value.ptr()), RuntimeError, "requires_grad must be a bool");
                      const bool r = value.ptr() == Py_True;
                      // The attribute's text differs from requires_grad_()'s, as in PyTorch.
                      FT_CHECK(!r || is_floating(t->dtype()) || !t->is_leaf(), RuntimeError,
                               "only Tensors of floating point and complex dtype can require gradients");
                      set_requires_grad(t, r);
                    })
      .def("requires_grad_", [](const Tensor& t, py::handle r) {
        // only a bool, as torch's parser (requires_grad_(1) is refused)
        FT_CHECK(PyBool_Check(r.ptr()), TypeError, "requires_grad_(): argument 'requires_grad' (position 1) must be bool, not ",
                 std::string(py::str(py::type::of(r).attr("__name__"))));
        set_requires_grad(t, r.ptr() == Py_True);
        return t;
      }, py::arg("requires_grad") = true)
      .def_property("grad", [](const Tensor& t) {
                      if (!t->is_leaf() && !t->retains_grad() && !t->grad())
                        warn("The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
                             "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
                             "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. "
                             "If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor "
                             "instead. See github.com/pytorch/pytorch/pull/30531 for more information.");
                      return t->grad();
                    },
                    [](const Tensor& t, py::object g) {
                      if (g.is_none()) return t->set_grad(nullptr);
                      if (!is_tensor(g))
                        throw TypeError(str("assigned grad expected to be a Tensor or None but got grad of type ",
                                            std::string(py::str(py::type::of(g).attr("__name__")))));
                      Tensor gt = g.cast<Tensor>();
                      auto c_name = [](DType d) {  // the C++ type PyTorch names here
                        switch (d) {
                          case DType::Float32: return "float";
                          case DType::Float64: return "double";
                          case DType::Int64: return "long int";
                          case DType::Int32: return "int";
                          case DType::UInt8: return "unsigned char";
                          default: return "bool";
                        }
                      };
                      FT_CHECK(gt->dtype() == t->dtype(), RuntimeError, "attempting to assign a gradient with dtype '",
                               c_name(gt->dtype()), "' to a tensor with grad_dtype '", dtype_scalar_name(t->dtype()),
                               "'. The gradient must match the tensor's grad_dtype (defaults to the tensor's dtype). "
                               "You can set the tensor's grad_dtype attribute with a specific dtype, or None to allow "
                               "any dtype. Set grad_dtype with caution. Diverging the dtypes of a tensor and its "
                               "gradient may break downstream systems that assume they match.");
                      FT_CHECK(gt->device() == t->device(), RuntimeError,
                               "assigned grad has data located on a different device");
                      FT_CHECK(gt->shape() == t->shape(), RuntimeError, "attempting to assign a gradient of size '",
                               gt->shape().str(), "' to a tensor of size '", t->shape().str(),
                               "'. Please ensure that the gradient and the tensor are the same size");
                      t->set_grad(gt);
                    })
      .def_property_readonly("grad_fn", [](const Tensor& t) { autograd::refresh_view(t); return t->grad_fn(); })
      .def_property_readonly("is_leaf", [](const Tensor& t) { autograd::refresh_view(t); return t->is_leaf(); })
      .def_property_readonly("retains_grad", [](const Tensor& t) { return t->retains_grad(); })
      .def("_register_hook", &register_hook)
      .def("_remove_hook", [](const Tensor& t, int64_t id) {
        auto drop = [id](std::vector<GradHook>& hooks) {
          hooks.erase(std::remove_if(hooks.begin(), hooks.end(), [id](const GradHook& h) { return h.id == id; }), hooks.end());
        };
        drop(t->leaf_hooks);
        if (t->grad_fn()) drop(t->grad_fn()->pre_hooks);
      })
      .def("retain_grad", [](const Tensor& t) {
        FT_CHECK(t->requires_grad(), RuntimeError, "can't retain_grad on Tensor that has requires_grad=False");
        if (t->is_leaf()) return;
        t->set_retains_grad(true);
        t->grad_fn()->retained_output = t;
      })
      .def("backward", &backward, py::arg("gradient") = py::none(), py::arg("retain_graph") = py::none(),
           py::arg("create_graph") = false, py::arg("inputs") = py::none())
      .def("detach", &detach_alias)
      .def("_is_view", [](const Tensor& t) { return bool(t->view_base); })
      .def_property_readonly("_base", [](const Tensor& t) -> py::object {
        if (!t->view_base) return py::none();
        return py::cast(t->view_base);
      })
      .def("detach_", [](const Tensor& t) {
        FT_CHECK(!t->view_base, RuntimeError, "Can't detach views in-place. Use detach() instead. If you are using "
                 "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set as True, gradients "
                 "are views of DDP buckets, and hence detach_() cannot be called on these gradients. To fix this "
                 "error, please refer to the Optimizer.zero_grad() function in torch/optim/optimizer.py as the "
                 "solution.");
        t->set_grad_fn(nullptr);
        t->set_requires_grad(false);
        return t;
      })
      .def_property("data", [](const Tensor& t) {
        // Same memory, no history, and a version counter of its own.
        return std::make_shared<TensorImpl>(Storage::alias(t->storage()), t->dtype(), t->shape(), t->strides(), t->offset());
      }, [](const Tensor& t, const Tensor& other) {
        FT_CHECK(!t->requires_grad() || is_floating(other->dtype()), RuntimeError,
                 "data set to a tensor that requires gradients must be floating point or complex dtype");
        t->set_layout(other->storage(), other->dtype(), other->shape(), other->strides(), other->offset());
      })
      // --- copies and conversions ---------------------------------------------
      .def("contiguous", [](const Tensor& t) { return nogil(t->numel(), [&] { return ops::contiguous(t); }); })
      .def("_clone", [](const Tensor& t, bool preserve) {
        return nogil(t->numel(), [&] { return preserve ? ops::clone_preserving(t) : ops::clone(t); });
      })
      .def("_to_dtype", [](const Tensor& t, py::object d) { return ops::to_dtype(t, to_dtype(d)); })
      .def("_to_device", [](const Tensor& t, py::object d) { return ops::to_device(t, to_device(d)); })
      FT_DTYPE_METHOD(float, Float32) FT_DTYPE_METHOD(double, Float64) FT_DTYPE_METHOD(long, Int64)
      FT_DTYPE_METHOD(int, Int32) FT_DTYPE_METHOD(bool, Bool) FT_DTYPE_METHOD(byte, UInt8)
      .def("cpu", [](const Tensor& t, py::handle memory_format) {
        const bool contiguous = wants_contiguous(memory_format, "cpu");
        if (t->device().is_cpu()) return t;
        const Tensor r = ops::to_device(t, Device{});
        return contiguous ? ops::contiguous(r) : r;
      }, py::kw_only(), py::arg("memory_format") = py::none())
      .def("cuda", [](const Tensor& t, py::object d) {
        Device dev = d.is_none() ? Device{DeviceType::CUDA, 0} : to_device(d);
        if (dev.index < 0) dev.index = 0;
        return ops::to_device(t, dev);
      }, py::arg("device") = py::none())
      // copy_(src, non_blocking=False): src a tensor or a number (as PyTorch); copies here are synchronous.
      .def("copy_", [](const Tensor& t, py::handle src, bool /*non_blocking*/) {
        const Tensor s = as_operand(src);
        FT_CHECK(s, TypeError, "copy_(): argument 'src' (position 1) must be Tensor, not ",
                 std::string(py::str(py::type::of(src).attr("__name__"))));
        return nogil(t->numel(), [&] { return ops::copy_(t, s); });
      }, py::arg("src"), py::arg("non_blocking") = false)
      .def("fill_", [](const Tensor& t, py::handle v) {
        if (!is_tensor(v)) {
          auto s = to_scalar(v);
          FT_CHECK(s, TypeError, "fill_(): argument 'value' must be Number or Tensor");
          return ops::fill_(t, *s);
        }
        Tensor value = to_tensor(v);
        FT_CHECK(value->dim() == 0, RuntimeError, "fill_ only supports 0-dimension value tensor but got tensor with ",
                 value->dim(), " dimensions.");
        // A value with history gets its gradient (the sum over self) through copy_.
        if (autograd::any_requires_grad({&value})) return ops::copy_(t, value);
        // A tensor value is cast to t's dtype first (256 into uint8 is 0), as PyTorch.
        return ops::fill_named(t, item(ops::to_dtype(value, t->dtype())), "FillBackward3");
      }, py::arg("value"))
      .def("zero_", [](const Tensor& t) { return nogil(t->numel(), [&] { return ops::zero_(t); }); })
      // --- indexing -----------------------------------------------------------
      // index_put_ / index_fill_ on an expanded tensor: their own warning, then this.
      .def("_set_item_unwarned", [](const Tensor& t, py::handle idx, py::handle value) { set_item(t, idx, value, false); })
      // --- views --------------------------------------------------------------
      .def("reshape", [](const Tensor& t, py::args shape, py::kwargs kw) { return ops::reshape(t, sizes_arg(shape, kw, "reshape", "shape")); })
      .def("view", [](const Tensor& t, py::args shape, py::kwargs kw) {
        if (shape.size() == 1 && kw.size() == 0 && !PyLong_CheckExact(shape[0].ptr()) &&
            py::isinstance<DTypeObject>(shape[0]))
          return ops::view_as_dtype(t, to_dtype(shape[0]));  // x.view(fasttensor.int32): the bits as another dtype
        if (shape.size() == 0 && kw.size() == 1 && kw.contains("dtype")) return ops::view_as_dtype(t, to_dtype(kw["dtype"]));
        return ops::view(t, sizes_arg(shape, kw, "view", "size"));
      })
      .def("view_as", tensor_pair_method("view_as", "other", [](const Tensor& t, const Tensor& o) {
        return ops::view(t, o->shape().vec());
      }), py::arg("other"))
      .def("reshape_as", tensor_pair_method("reshape_as", "other", [](const Tensor& t, const Tensor& o) {
        return ops::reshape(t, o->shape().vec());
      }), py::arg("other"))
      .def("transpose", &ops::transpose, py::arg("dim0"), py::arg("dim1"))
      .def("swapaxes", &ops::transpose, py::arg("axis0"), py::arg("axis1"))
      .def("permute", [](const Tensor& t, py::args dims, py::kwargs kw) {
        FT_CHECK(dims.size() > 0 || kw.size() > 0, TypeError, "permute() missing 1 required positional arguments: \"dims\"");
        return ops::permute(t, sizes_arg(dims, kw, "permute", "dims"));
      })
      .def("expand", [](const Tensor& t, py::args sizes, py::kwargs kw) { return ops::expand(t, sizes_arg(sizes, kw, "expand", "size")); })
      .def("expand_as", tensor_pair_method("expand_as", "other", [](const Tensor& t, const Tensor& o) {
        return ops::expand(t, o->shape().vec());
      }), py::arg("other"))
      .def("squeeze", [](const Tensor& t, py::object dim) { return ops::squeeze(t, to_dims(dim, "squeeze"), dim.is_none()); },
           py::arg("dim") = py::none())
      // x.squeeze(0, 2): several dims as arguments, as torch takes them
      .def("squeeze", [](const Tensor& t, py::args dims) { return ops::squeeze(t, to_dims(dims, "squeeze"), false); })
      .def("unsqueeze", &ops::unsqueeze, py::arg("dim"))
      .def("flatten", &ops::flatten, py::arg("start_dim") = 0, py::arg("end_dim") = -1)
      .def("narrow", &ops::narrow, py::arg("dim"), py::arg("start"), py::arg("length"))
      .def("select", &ops::select, py::arg("dim"), py::arg("index"))
      // unbind, chunk and split return tuples, as PyTorch's do.
      .def("unbind", [](const Tensor& t, int64_t dim) { return py::tuple(py::cast(ops::unbind(t, dim))); },
           py::arg("dim") = 0)
      .def("chunk", [](const Tensor& t, int64_t chunks, int64_t dim) {
        return py::tuple(py::cast(ops::chunk(t, chunks, dim)));
      }, py::arg("chunks"), py::arg("dim") = 0)
      .def("split", [](const Tensor& t, py::object size, int64_t dim) {
        if (PyLong_Check(size.ptr()) && !PyBool_Check(size.ptr()))
          return py::tuple(py::cast(ops::split(t, size.cast<int64_t>(), dim)));
        return py::tuple(py::cast(ops::split_with_sizes(t, to_int_list(size, "split"), dim)));
      }, py::arg("split_size"), py::arg("dim") = 0)
      .def("t", &ops::t)
      // In-place view ops: the tensor itself takes the view's layout (and history).
      .def("t_", [](const Tensor& t) { return adopt_view(t, [&] { return ops::t(t); }, "TBackward1"); })
      .def("transpose_", [](const Tensor& t, int64_t d0, int64_t d1) {
        return adopt_view(t, [&] { return ops::transpose(t, d0, d1); }, "TransposeBackward1");
      }, py::arg("dim0"), py::arg("dim1"))
      .def("squeeze_", [](const Tensor& t, py::object dim) {
        const std::vector<int64_t> dims = to_dims(dim, "squeeze_");
        const bool several = py::isinstance<py::tuple>(dim) || py::isinstance<py::list>(dim);
        const char* name = dim.is_none() ? "SqueezeBackward3" : several ? "SqueezeBackward5" : "SqueezeBackward4";
        return adopt_view(t, [&] { return ops::squeeze(t, dims, dim.is_none()); }, name);
      }, py::arg("dim") = py::none())
      .def("squeeze_", [](const Tensor& t, py::args dims) {  // x.squeeze_(0, 2), as squeeze
        const std::vector<int64_t> ds = to_dims(dims, "squeeze_");
        return adopt_view(t, [&] { return ops::squeeze(t, ds, false); }, "SqueezeBackward5");
      })
      .def("unsqueeze_", [](const Tensor& t, int64_t dim) {
        return adopt_view(t, [&] { return ops::unsqueeze(t, dim); }, "UnsqueezeBackward1");
      }, py::arg("dim"))
      .def_property_readonly("T", [](const Tensor& t) {
        if (t->dim() == 0)
          warn_once("Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases.");
        else if (t->dim() != 2)
          warn_once("The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated and "
                    "it will throw an error in a future release. Consider `x.mT` to transpose batches of matrices or "
                    "`x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a tensor.");
        std::vector<int64_t> dims(t->dim());
        for (int i = 0; i < t->dim(); ++i) dims[i] = t->dim() - 1 - i;
        return ops::permute(t, dims);
      })
      .def_property_readonly("mT", [](const Tensor& t) { return ops::matrix_transpose(t, "mT"); })
      .def_property_readonly("mH", [](const Tensor& t) { return ops::matrix_transpose(t, "mH"); })
      .def_property_readonly("H", [](const Tensor& t) { return ops::matrix_transpose(t, "H"); })
      .def("adjoint", [](const Tensor& t) { return ops::matrix_transpose(t, "adjoint()"); })
      // --- operators ----------------------------------------------------------
      FT_COMPARISON("__eq__", Eq) FT_COMPARISON("__ne__", Ne) FT_COMPARISON("__lt__", Lt)
      FT_COMPARISON("__le__", Le) FT_COMPARISON("__gt__", Gt) FT_COMPARISON("__ge__", Ge)
      FT_BINARY_METHOD(bitwise_and, BitAnd) FT_BINARY_METHOD(bitwise_or, BitOr) FT_BINARY_METHOD(bitwise_xor, BitXor)
      FT_BINARY_METHOD(bitwise_left_shift, LeftShift) FT_BINARY_METHOD(bitwise_right_shift, RightShift)
      .def("__pos__", [](const Tensor& t) {
        FT_CHECK(t->dtype() != DType::Bool, RuntimeError, "The `+` operator, on a bool tensor is not supported.");
        return t;
      })
      .def("__abs__", [](const Tensor& t) { return ops::unary(UnaryOp::Abs, t); })
      .def("__invert__", [](const Tensor& t) {
        FT_CHECK(!is_floating(t->dtype()), TypeError,
                 "~ (operator.invert) is only implemented on integer and Boolean-type tensors");
        return ops::bitwise_not(t);
      })
      FT_BINARY_INPLACE(bitwise_and_, BitAnd) FT_BINARY_INPLACE(bitwise_or_, BitOr)
      FT_BINARY_INPLACE(bitwise_xor_, BitXor) FT_BINARY_INPLACE(bitwise_left_shift_, LeftShift)
      FT_BINARY_INPLACE(bitwise_right_shift_, RightShift)
      .def("bitwise_not_", [](const Tensor& t) { return ops::copy_(t, ops::bitwise_not(t)); })
      .def("bitwise_not", &ops::bitwise_not)
      // --- elementwise methods -------------------------------------------------
      FT_UNARY(neg, Neg) FT_UNARY(negative, Neg) FT_UNARY(abs, Abs) FT_UNARY(sign, Sign) FT_UNARY(exp, Exp)
      FT_UNARY(log, Log) FT_UNARY(log1p, Log1p) FT_UNARY(sqrt, Sqrt) FT_UNARY(rsqrt, Rsqrt) FT_UNARY(sin, Sin)
      FT_UNARY(cos, Cos) FT_UNARY(tanh, Tanh) FT_UNARY(sigmoid, Sigmoid) FT_UNARY(relu, Relu)
      FT_UNARY(reciprocal, Reciprocal) FT_UNARY(square, Square) FT_UNARY(floor, Floor) FT_UNARY(ceil, Ceil)
      FT_UNARY(round, Round) FT_UNARY(trunc, Trunc) FT_UNARY(logical_not, LogicalNot) FT_UNARY(isnan, IsNan)
      FT_UNARY(isfinite, IsFinite) FT_UNARY(isinf, IsInf)
      FT_UNARY(expm1, Expm1) FT_UNARY(exp2, Exp2) FT_UNARY(log2, Log2) FT_UNARY(log10, Log10) FT_UNARY(sinh, Sinh)
      FT_UNARY(cosh, Cosh) FT_UNARY(tan, Tan) FT_UNARY(asin, Asin) FT_UNARY(acos, Acos) FT_UNARY(atan, Atan)
      FT_UNARY(erf, Erf) FT_UNARY(erfc, Erfc) FT_UNARY(asinh, Asinh) FT_UNARY(acosh, Acosh)
      FT_UNARY(atanh, Atanh) FT_UNARY(arcsinh, Asinh) FT_UNARY(arccosh, Acosh) FT_UNARY(arctanh, Atanh) FT_UNARY(arcsin, Asin) FT_UNARY(arccos, Acos) FT_UNARY(arctan, Atan)
      FT_UNARY(lgamma, Lgamma) FT_UNARY(digamma, Digamma)
      FT_UNARY_INPLACE(neg_, Neg) FT_UNARY_INPLACE(abs_, Abs) FT_UNARY_INPLACE(exp_, Exp) FT_UNARY_INPLACE(log_, Log)
      FT_UNARY_INPLACE(sqrt_, Sqrt) FT_UNARY_INPLACE(tanh_, Tanh) FT_UNARY_INPLACE(sigmoid_, Sigmoid)
      FT_UNARY_INPLACE(relu_, Relu) FT_UNARY_INPLACE(floor_, Floor) FT_UNARY_INPLACE(round_, Round)
      FT_UNARY_INPLACE(asinh_, Asinh) FT_UNARY_INPLACE(acosh_, Acosh) FT_UNARY_INPLACE(atanh_, Atanh)
      FT_UNARY_INPLACE(arcsinh_, Asinh) FT_UNARY_INPLACE(arccosh_, Acosh) FT_UNARY_INPLACE(arctanh_, Atanh)
      FT_BINARY_METHOD(mul, Mul) FT_BINARY_METHOD(multiply, Mul)
      FT_BINARY_METHOD(pow, Pow) FT_TENSOR_BINARY_METHOD(maximum, Maximum) FT_TENSOR_BINARY_METHOD(minimum, Minimum)
      FT_BINARY_METHOD(eq, Eq) FT_BINARY_METHOD(ne, Ne) FT_BINARY_METHOD(lt, Lt) FT_BINARY_METHOD(le, Le)
      FT_BINARY_METHOD(gt, Gt) FT_BINARY_METHOD(ge, Ge) FT_TENSOR_BINARY_METHOD(logical_and, LogicalAnd)
      FT_TENSOR_BINARY_METHOD(logical_or, LogicalOr) FT_TENSOR_BINARY_METHOD(logical_xor, LogicalXor)
      FT_BINARY_METHOD(floor_divide, FloorDiv) FT_BINARY_METHOD(remainder, Remainder) FT_BINARY_METHOD(fmod, Fmod)
      .def("add", [](const Tensor& t, py::handle o, py::handle alpha) {
        Tensor other = method_operand(t, o, "add");
        if (!is_default_alpha(alpha)) other = times_alpha(t, other, alpha, "add");
        return ops::binary(BinaryOp::Add, t, other);
      }, py::arg("other"), py::kw_only(), py::arg("alpha") = 1)
      .def("div", [](const Tensor& t, py::handle o, py::object rounding_mode) {
        return div_rounding(py::cast(t), o, rounding_mode, "div", true);
      }, py::arg("other"), py::kw_only(), py::arg("rounding_mode") = py::none())
      .def("sub", [](const Tensor& t, py::handle o, py::handle alpha) {
        Tensor other = method_operand(t, o, "sub");
        if (!is_default_alpha(alpha)) other = times_alpha(t, other, alpha, "sub");
        return ops::binary(BinaryOp::Sub, t, other);
      }, py::arg("other"), py::kw_only(), py::arg("alpha") = 1)
      .def("add_", [](const Tensor& t, py::handle o, py::handle alpha) {
        Tensor other = method_operand(t, o, "add_");
        if (!is_default_alpha(alpha)) other = times_alpha(t, other, alpha, "add_");
        return nogil(t->numel(), [&] { return ops::binary_(BinaryOp::Add, t, other); });
      }, py::arg("other"), py::kw_only(), py::arg("alpha") = 1)
      .def("sub_", [](const Tensor& t, py::handle o, py::handle alpha) {
        Tensor other = method_operand(t, o, "sub_");
        if (!is_default_alpha(alpha)) other = times_alpha(t, other, alpha, "sub_");
        return ops::binary_(BinaryOp::Sub, t, other);
      }, py::arg("other"), py::kw_only(), py::arg("alpha") = 1)
      .def("mul_", [](const Tensor& t, py::handle o) { return ops::binary_(BinaryOp::Mul, t, method_operand(t, o, "mul_")); },
           py::arg("other"))
      .def("div_", [](const Tensor& t, py::handle o, py::handle rounding_mode) {
        if (rounding_mode.is_none()) return ops::binary_(BinaryOp::Div, t, method_operand(t, o, "div_"));
        const Tensor r = div_rounding(py::cast(t), o, rounding_mode, "div_", true);  // floor / trunc: then written back
        ops::check_inplace_result(r->dtype(), t);
        return ops::copy_result_(t, r);
      }, py::arg("other"), py::kw_only(), py::arg("rounding_mode") = py::none())
      .def("pow_", [](const Tensor& t, py::handle o) { return ops::binary_(BinaryOp::Pow, t, method_operand(t, o, "pow_")); },
           py::arg("exponent"))
      .def("clamp", [](const Tensor& t, py::handle lo, py::handle hi) {
        return clamp_args(t, lo, hi, false);
      }, py::arg("min") = py::none(), py::arg("max") = py::none())
      .def("clip", [](const Tensor& t, py::handle lo, py::handle hi) {
        return clamp_args(t, lo, hi, false);
      }, py::arg("min") = py::none(), py::arg("max") = py::none())
      .def("clamp_", [](const Tensor& t, py::handle lo, py::handle hi) {
        return clamp_args(t, lo, hi, true);
      }, py::arg("min") = py::none(), py::arg("max") = py::none())
      .def("where", [](const Tensor& t, const Tensor& cond, py::handle other) {
        return ops::where(where_condition(cond), t, operand_arg(other, "where", "other"));
      })
      .def("masked_fill", &masked_fill_value, py::arg("mask"), py::arg("value"))
      .def("masked_fill_", [](const Tensor& t, const Tensor& mask, py::handle v) {
        if (ops::has_internal_overlap(t)) {  // PyTorch warns and writes the selected positions
          warn("Use of masked_fill_ on expanded tensors is deprecated. Please clone() the tensor before performing "
               "this operation. This also applies to advanced indexing e.g. tensor[mask] = scalar");
          FT_CHECK(mask->dtype() == DType::Bool, RuntimeError, "masked_fill_ only supports boolean masks, but got mask "
                   "with dtype ", dtype_scalar_name(mask->dtype()));
          Tensor fill;
          if (is_tensor(v)) {
            fill = to_tensor(v);
            FT_CHECK(fill->dim() == 0, RuntimeError, "masked_fill_ only supports a 0-dimensional value tensor, but got "
                     "tensor with ", fill->dim(), " dimension(s).");
            fill = ops::to_dtype(fill, t->dtype());
          } else {
            const auto s = to_scalar(v);
            FT_CHECK(s, TypeError, "masked_fill(): argument 'value' must be Number or Tensor");
            ops::check_scalar_fits(*s, t->dtype());
            fill = scalar_like(*s, t);
          }
          ops::IndexItem selected;
          selected.kind = ops::IndexItem::Kind::Tensor;
          selected.t = ops::expand(mask, t->shape().vec());
          return ops::index_put_(t, {selected}, fill);
        }
        return ops::copy_result_(t, masked_fill_value(t, mask, v));
      }, py::arg("mask"), py::arg("value"))
      .def("index_select", [](const Tensor& t, int64_t dim, py::handle index) {
        return ops::index_select(t, dim, tensor_argument(index, "index_select", "index", 2));
      }, py::arg("dim"), py::arg("index"))
      .def("gather", [](const Tensor& t, int64_t dim, py::handle index, bool sparse_grad) {
        const Tensor idx = tensor_argument(index, "gather", "index", 2);
        FT_CHECK(!sparse_grad, NotImplementedError, "gather(): sparse_grad=True needs sparse tensors, which fasttensor has not");
        return ops::gather(t, dim, idx);
      }, py::arg("dim"), py::arg("index"), py::kw_only(), py::arg("sparse_grad") = false)
      .def("sort", [](const Tensor& t, int64_t dim, bool descending, bool stable) {
        (void)stable;  // every sort here is stable
        auto [values, indices] = nogil(t->numel(), [&] { return ops::sort(t, dim, descending); });
        return named_pair("sort", values, indices);
      }, py::arg("dim") = -1, py::arg("descending") = false, py::kw_only(), py::arg("stable") = false)
      .def("argsort", [](const Tensor& t, int64_t dim, bool descending, bool stable) {
        (void)stable;
        return nogil(t->numel(), [&] { return ops::argsort(t, dim, descending); });
      }, py::arg("dim") = -1, py::arg("descending") = false, py::kw_only(), py::arg("stable") = false)
      .def("topk", [](const Tensor& t, int64_t k, int64_t dim, bool largest, bool sorted) {
        auto [values, indices] = nogil(t->numel(), [&] { return ops::topk(t, k, dim, largest, sorted); });
        return named_pair("topk", values, indices);
      }, py::arg("k"), py::arg("dim") = -1, py::arg("largest") = true, py::arg("sorted") = true)
      .def("repeat", [](const Tensor& t, py::args repeats) {
        FT_CHECK(repeats.size() > 0, TypeError, "repeat() missing 1 required positional arguments: \"repeats\"");
        return ops::repeat(t, dims_from_args(repeats, "repeat"));
      })
      .def("nonzero", &ops::nonzero)
      .def("uniform_", [](const Tensor& t, double a, double b, Generator* g) { return ops::uniform_(t, a, b, g); },
           py::arg("from") = 0.0, py::arg("to") = 1.0, py::kw_only(), py::arg("generator") = nullptr)
      .def("normal_", [](const Tensor& t, double mean, double std, Generator* g) { return ops::normal_(t, mean, std, g); },
           py::arg("mean") = 0.0, py::arg("std") = 1.0, py::kw_only(), py::arg("generator") = nullptr)
      // --- reductions ---------------------------------------------------------
      .def("sum", &sum_impl)
      .def("mean", &mean_impl)
      .def("max", [](const Tensor& t, py::args a, py::kwargs k) { return reduce_max_min(true, t, a, k); })
      .def("min", [](const Tensor& t, py::args a, py::kwargs k) { return reduce_max_min(false, t, a, k); })
      .def("amax", [](const Tensor& t, py::object dim, bool keepdim) { return ops::amax(t, to_dims(dim, "amax"), keepdim); },
           py::arg("dim") = py::tuple(), py::arg("keepdim") = false)
      .def("amin", [](const Tensor& t, py::object dim, bool keepdim) { return ops::amin(t, to_dims(dim, "amin"), keepdim); },
           py::arg("dim") = py::tuple(), py::arg("keepdim") = false)
      .def("prod", [](const Tensor& t, py::args a, py::kwargs k) {
        ReduceArgs r = parse_reduce("prod", a, k);
        r.check_keepdim_has_dim("prod", false);
        return ops::prod(t, r.single_dim("prod"), r.keepdim, r.dtype);
      })
      .def("argmax", [](const Tensor& t, py::args a, py::kwargs k) {
        ReduceArgs r = parse_reduce("argmax", a, k);
        return ops::argmax(t, r.single_dim("argmax"), r.keepdim);
      })
      .def("argmin", [](const Tensor& t, py::args a, py::kwargs k) {
        ReduceArgs r = parse_reduce("argmin", a, k);
        return ops::argmin(t, r.single_dim("argmin"), r.keepdim);
      })
      .def("all", [](const Tensor& t, py::args a, py::kwargs k) {
        ReduceArgs r = parse_reduce("all", a, k);
        if (r.has_dim && r.dims.empty()) return truth_values(t);  // dim=(): nothing reduced, as PyTorch
        return ops::all(t, r.dims, r.keepdim);
      })
      .def("any", [](const Tensor& t, py::args a, py::kwargs k) {
        ReduceArgs r = parse_reduce("any", a, k);
        if (r.has_dim && r.dims.empty()) return truth_values(t);  // dim=(): nothing reduced, as PyTorch
        return ops::any(t, r.dims, r.keepdim);
      })
      .def("cumsum", [](const Tensor& t, py::args a, py::kwargs k) {
        ReduceArgs r = parse_reduce("cumsum", a, k);
        FT_CHECK(r.has_dim, TypeError, "cumsum() missing required argument 'dim' (an int)");
        return ops::cumsum(t, *r.single_dim("cumsum"), r.dtype);
      })
      .def("softmax", [](const Tensor& t, int64_t dim, py::object dtype) {
        const auto dt = to_optional_dtype(dtype);
    return nogil(t->numel(), [&] { return ops::softmax(t, dim, dt); });
      }, py::arg("dim"), py::arg("dtype") = py::none())
      .def("log_softmax", [](const Tensor& t, int64_t dim, py::object dtype) {
        const auto dt = to_optional_dtype(dtype);
    return nogil(t->numel(), [&] { return ops::log_softmax(t, dim, dt); });
      }, py::arg("dim"), py::arg("dtype") = py::none())
      // --- linear algebra -------------------------------------------------------
      .def("matmul", tensor_pair_method("matmul", "other", [](const Tensor& a, const Tensor& b) {
        return nogil(a->numel(), [&] { return ops::matmul(a, b); });
      }), py::arg("other"))
      .def("mm", tensor_pair_method("mm", "mat2", [](const Tensor& a, const Tensor& b) {
        return nogil(a->numel(), [&] { return ops::mm(a, b); });
      }), py::arg("mat2"))
      .def("mv", tensor_pair_method("mv", "vec", &ops::mv), py::arg("vec"))
      .def("dot", tensor_pair_method("dot", "tensor", &ops::dot), py::arg("tensor"))
      .def("bmm", tensor_pair_method("bmm", "mat2", &ops::bmm), py::arg("mat2"));
  py::object tensor_class = m.attr("Tensor");
  for (const char* name : {"softmax", "log_softmax", "squeeze", "unsqueeze", "amax", "amin", "argsort", "sort", "topk",
                           "unbind", "chunk", "index_select", "gather", "narrow", "split"})
    add_numpy_dim_names(tensor_class, name, true);
}

}  // namespace ft::python
