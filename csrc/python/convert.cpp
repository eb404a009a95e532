#include "python/convert.h"

#include <cstring>

namespace ft::python {

namespace {
// Leaked on purpose: Python objects must not be released after the
// interpreter is gone (static destructors run after finalization).
py::object* g_dtype_objects = new py::object[kNumDTypes];
py::object* g_size_class = new py::object();

struct NumpyOwner final : ExternalOwner {
  explicit NumpyOwner(py::object o) : obj(o.release().ptr()) {}
  ~NumpyOwner() override {
    py::gil_scoped_acquire gil;
    Py_XDECREF(obj);
  }
  PyObject* obj;
};

DType dtype_from_numpy(const py::dtype& dt) {
  const char kind = dt.kind();
  const size_t size = dt.itemsize();
  if (kind == 'b') return DType::Bool;
  if (kind == 'u' && size == 1) return DType::UInt8;
  if (kind == 'i' && size == 4) return DType::Int32;
  if (kind == 'i' && size == 8) return DType::Int64;
  if (kind == 'f' && size == 4) return DType::Float32;
  if (kind == 'f' && size == 8) return DType::Float64;
  throw TypeError(str("can't convert np.ndarray of type numpy.", std::string(py::str(dt)),
                      ". The only supported types are: float64, float32, int64, int32, uint8, and bool."));
}

const char* numpy_format(DType t) {
  switch (t) {
    case DType::Bool: return "?";
    case DType::UInt8: return "B";
    case DType::Int32: return "i";
    case DType::Int64: return sizeof(long) == 8 ? "l" : "q";  // NumPy's int64 is 'l' where long is 64-bit
    case DType::Float32: return "f";
    case DType::Float64: return "d";
  }
  return "?";
}
}  // namespace

py::object dtype_object(DType t) {
  py::object& o = g_dtype_objects[static_cast<int>(t)];
  if (!o) o = py::cast(DTypeObject{t});
  return o;
}

DType to_dtype(py::handle h) {
  if (py::isinstance<DTypeObject>(h)) return h.cast<DTypeObject&>().value;
  if (h.ptr() == reinterpret_cast<PyObject*>(&PyFloat_Type)) return DType::Float64;
  if (h.ptr() == reinterpret_cast<PyObject*>(&PyLong_Type)) return DType::Int64;
  if (h.ptr() == reinterpret_cast<PyObject*>(&PyBool_Type)) return DType::Bool;
  // As PyTorch: a string or a NumPy dtype is refused.
  throw TypeError(str("dtype must be fasttensor.dtype, not ", std::string(py::str(py::type::of(h).attr("__name__")))));
}

std::optional<DType> to_optional_dtype(py::handle h) {
  if (h.is_none()) return std::nullopt;
  return to_dtype(h);
}

Device to_device(py::handle h) {
  // Where a tensor lives: the CPU without an index ("cpu:0" is the same memory).
  auto placed = [](Device d) {
    if (d.is_cpu()) d.index = -1;
    return d;
  };
  if (h.is_none()) return Device{};
  if (py::isinstance<Device>(h)) return placed(h.cast<Device>());
  if (py::isinstance<py::str>(h)) return placed(parse_device(h.cast<std::string>()));
  if (PyLong_Check(h.ptr())) return Device{DeviceType::CUDA, h.cast<int>()};
  throw TypeError(str("expected a device (str, int or fasttensor.device), got ",
                      std::string(py::str(py::type::of(h).attr("__name__")))));
}

py::object device_object(const Device& d) {
  Device shown = d;
  if (shown.is_cuda() && shown.index < 0) shown.index = 0;
  return py::cast(shown);
}

void set_size_class(py::object cls) {
  FT_CHECK(PyType_Check(cls.ptr()) && PyType_IsSubtype(reinterpret_cast<PyTypeObject*>(cls.ptr()), &PyTuple_Type),
           TypeError, "_set_size_class expects a subclass of tuple");
  *g_size_class = std::move(cls);
}

namespace {
// t[i] as tuple's; t[a:b] as a new instance of t's own class.
PyObject* size_subscript(PyObject* self, PyObject* item) {
  PyObject* r = PyTuple_Type.tp_as_mapping->mp_subscript(self, item);
  if (!r || !PySlice_Check(item)) return r;
  PyTypeObject* type = Py_TYPE(self);
  const Py_ssize_t n = PyTuple_GET_SIZE(r);
  PyObject* out = type->tp_alloc(type, n);
  if (out)
    for (Py_ssize_t i = 0; i < n; ++i) {
      PyObject* v = PyTuple_GET_ITEM(r, i);
      Py_INCREF(v);
      PyTuple_SET_ITEM(out, i, v);
    }
  Py_DECREF(r);
  return out;
}
}  // namespace

py::object make_size_base_class() {
  static PyType_Slot slots[] = {{Py_mp_subscript, reinterpret_cast<void*>(&size_subscript)}, {0, nullptr}};
  // Sizes 0: the instance layout (and item size) is tuple's.
  static PyType_Spec spec = {"fasttensor._C._SizeBase", 0, 0, Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE, slots};
  py::tuple bases = py::make_tuple(py::handle(reinterpret_cast<PyObject*>(&PyTuple_Type)));
  PyObject* type = PyType_FromSpecWithBases(&spec, bases.ptr());
  if (!type) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(type);
}

py::object size_object(const Shape& s) {
  // Made as tuple's own constructor makes a subclass instance (tp_alloc, then the items): calling
  // Size(tuple) would build a tuple, copy it, and cost twice as much per x.shape.
  PyTypeObject* type = *g_size_class ? reinterpret_cast<PyTypeObject*>(g_size_class->ptr()) : &PyTuple_Type;
  py::object out = py::reinterpret_steal<py::object>(type->tp_alloc(type, s.size()));
  if (!out) throw py::error_already_set();
  for (int i = 0; i < s.size(); ++i) {
    PyObject* n = PyLong_FromLongLong(s[i]);
    if (!n) throw py::error_already_set();
    PyTuple_SET_ITEM(out.ptr(), i, n);
  }
  return out;
}

namespace {
// The parameter PyTorch's messages name for fn's size.
const char* size_param(const char* fn) {
  const std::string_view f = fn;
  return f == "reshape" ? "shape" : f == "permute" ? "dims" : f == "repeat" ? "repeats" : "size";
}
// A Python int as int64, or PyTorch's TypeError for one beyond it (pos counts from 1).
int64_t int64_of(PyObject* o, const char* what, size_t pos) {
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
  if (v == -1 && PyErr_Occurred()) throw py::error_already_set();
  if (overflow) {
    throw TypeError(str(what, "(): argument '", size_param(what), "' failed to unpack the object at pos ", pos,
                        " with error \"Overflow when unpacking long long\""));
  }
  return v;
}
}  // namespace

std::vector<int64_t> to_int_list(py::handle h, const char* what) {
  std::vector<int64_t> out;
  if (PyLong_Check(h.ptr()) && !PyBool_Check(h.ptr())) {
    out.push_back(int64_of(h.ptr(), what, 1));
    return out;
  }
  // One integer given as a 0-d integer tensor or a NumPy integer (anything
  // with __index__); a tensor is never read as a list of ints.
  if (is_tensor(h)) {
    const Tensor t = to_tensor(h);
    FT_CHECK(t->dim() == 0 && !is_floating(t->dtype()) && t->dtype() != DType::Bool, TypeError, what,
             "(): expected an int or a tuple of ints, but got a Tensor of shape ", t->shape().str(), " and dtype ",
             dtype_name(t->dtype()));
    out.push_back(item(t).i);
    return out;
  }
  if (!py::isinstance<py::sequence>(h) && !PyFloat_Check(h.ptr()) && !PyBool_Check(h.ptr()) && py::hasattr(h, "__index__")) {
    out.push_back(h.attr("__index__")().cast<int64_t>());
    return out;
  }
  if (!py::isinstance<py::sequence>(h) || py::isinstance<py::str>(h))
    throw TypeError(str(what, "(): argument 'size' must be tuple of ints, but found element of type ",
                        std::string(py::str(py::type::of(h).attr("__name__")))));
  for (py::object x : py::reinterpret_borrow<py::sequence>(h)) {  // (an object: a NumPy array's items are new)
    if (PyLong_Check(x.ptr()) && !PyBool_Check(x.ptr())) {
      out.push_back(int64_of(x.ptr(), what, out.size() + 1));
    } else if (is_tensor(x) && to_tensor(x)->numel() == 1 && !is_floating(to_tensor(x)->dtype())) {
      out.push_back(item(to_tensor(x)).i);
    } else if (!PyFloat_Check(x.ptr()) && !PyBool_Check(x.ptr()) && py::hasattr(x, "__index__")) {  // (no bool)
      out.push_back(x.attr("__index__")().cast<int64_t>());
    } else {
      throw TypeError(str(what, "(): argument 'size' must be tuple of ints, but found element of type ",
                          std::string(py::str(py::type::of(x).attr("__name__")))));
    }
  }
  return out;
}

std::optional<std::vector<int64_t>> exact_ints(PyObject* seq) {
  if (!PyTuple_Check(seq) && !PyList_CheckExact(seq)) return std::nullopt;
  const Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
  if (n > kMaxDims) return std::nullopt;
  PyObject** items = PySequence_Fast_ITEMS(seq);
  std::vector<int64_t> out(static_cast<size_t>(n));
  for (Py_ssize_t i = 0; i < n; ++i) {
    if (!PyLong_CheckExact(items[i])) return std::nullopt;
    int overflow = 0;
    out[size_t(i)] = PyLong_AsLongLongAndOverflow(items[i], &overflow);
    if (overflow) return std::nullopt;
  }
  return out;
}

namespace {
// The type of h as PyTorch's parser names it: its tp_name ("float", "numpy.float64", "Tensor").
std::string arg_type_name(PyObject* h) { return is_tensor(h) ? "Tensor" : Py_TYPE(h)->tp_name; }

// view's TypeError for arguments matching neither view(dtype) nor view(*size): `got` lists the
// arguments' types; `why`, if any, the one argument that failed both.
[[noreturn]] void view_invalid_combination(const std::string& got, const std::string& why) {
  const std::string note = why.empty() ? "" : str("      didn't match because some of the arguments have invalid types: (!", why, "!)\n");
  throw TypeError(str("view() received an invalid combination of arguments - got (", got,
                      "), but expected one of:\n * (fasttensor.dtype dtype)\n", note, " * (tuple of ints size)\n", note));
}

// Element i (from 0) of a size, as PyTorch's parser reads it: ints (a NumPy integer, a
// one-element integer tensor), and after the first a bool too, as 0 or 1. Anything else: nullopt.
std::optional<int64_t> size_element(PyObject* x, size_t i, const char* what) {
  if (PyLong_Check(x) && (!PyBool_Check(x) || i > 0)) return int64_of(x, what, i + 1);
  if (is_tensor(x)) {
    const Tensor t = to_tensor(x);
    if (t->numel() != 1 || is_floating(t->dtype())) return std::nullopt;
    FT_CHECK(t->dtype() != DType::Bool, RuntimeError, "Expected scalar.isIntegral( false) to be true, but got false.");
    return item(t).i;
  }
  if (PyFloat_Check(x) || PyBool_Check(x) || PySequence_Check(x) || !PyObject_HasAttrString(x, "__index__"))
    return std::nullopt;
  return py::reinterpret_borrow<py::object>(x).attr("__index__")().cast<int64_t>();  // NumPy's ints
}
}  // namespace

std::vector<int64_t> shape_from_args(const py::args& args, const char* what) {
  // view(2, -1), view((2, -1)), view(t.shape): read straight from the tuple.
  PyObject* seq = args.ptr();
  const Py_ssize_t nargs = PyTuple_GET_SIZE(seq);
  PyObject* first = nargs == 1 ? PyTuple_GET_ITEM(seq, 0) : nullptr;
  const bool one_sequence = first && (PyTuple_Check(first) || PyList_Check(first));
  if (one_sequence) seq = first;
  if (auto ints = exact_ints(seq)) return std::move(*ints);
  // PyTorch's parser otherwise: the first element chooses the signature (a bad one is refused in the
  // words of a signature mismatch), the rest are unpacked.
  const bool is_view = std::string_view(what) == "view";
  if (first && !one_sequence) {  // one int, or a size in some other form
    if (const auto v = size_element(first, 0, what)) return {*v};
    if (is_view) view_invalid_combination(arg_type_name(first), arg_type_name(first));
    throw TypeError(str(what, "(): argument '", size_param(what), "' (position 1) must be tuple of ints, not ",
                        arg_type_name(first)));
  }
  // (seq: the varargs tuple, or one tuple or list; a list is copied first, as an element's
  // __index__ could change it while it is read)
  const py::tuple held = PyTuple_Check(seq) ? py::reinterpret_borrow<py::tuple>(seq)
                                            : py::reinterpret_steal<py::tuple>(PySequence_Tuple(seq));
  if (!held) throw py::error_already_set();
  PyObject** items = PySequence_Fast_ITEMS(held.ptr());
  const size_t n = size_t(PyTuple_GET_SIZE(held.ptr()));
  std::vector<int64_t> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    PyObject* x = items[i];
    if (const auto v = size_element(x, i, what)) {
      out.push_back(*v);
      continue;
    }
    if (i > 0)
      throw TypeError(str(what, "(): argument '", size_param(what), "' failed to unpack the object at pos ", i + 1,
                          " with error \"type must be tuple of ints,but got ", arg_type_name(x), "\""));
    std::string types;
    for (size_t j = 0; j < n; ++j) types += str(j ? ", " : "", arg_type_name(items[j]));
    if (is_view) {
      const bool list = PyList_Check(seq);
      if (one_sequence) view_invalid_combination(list ? "list" : "tuple", str(list ? "list of [" : "tuple of (", types, list ? "]" : ")"));
      view_invalid_combination(types, "");
    }
    if (one_sequence)
      throw TypeError(str(what, "(): argument '", size_param(what), "' (position 1) must be tuple of ints, but found "
                          "element of type ", arg_type_name(x), " at pos 0"));
    throw TypeError(str(what, "() takes 1 positional argument but ", n, " were given"));
  }
  return out;
}

std::vector<int64_t> to_dims(py::handle h, const char* fn) {
  if (h.is_none()) return {};
  if (py::isinstance<py::array>(h)) {  // as PyTorch: a NumPy integer (0-d) array is an int, no other array a dim
    const py::array a = py::reinterpret_borrow<py::array>(h);
    FT_CHECK(a.ndim() == 0 && (a.dtype().kind() == 'i' || a.dtype().kind() == 'u'), TypeError, fn,
             "(): argument 'dim' must be int or tuple of ints, not numpy.ndarray");
    return {h.attr("item")().cast<int64_t>()};
  }
  if (is_tensor(h)) return to_int_list(h, fn);  // its own message: the tensor's shape and dtype
  if (PyLong_Check(h.ptr()) && !PyBool_Check(h.ptr())) {  // one int: past 64 bits, PyTorch's ValueError
    int overflow = 0;
    const long long v = PyLong_AsLongLongAndOverflow(h.ptr(), &overflow);
    if (overflow) throw ValueError("Overflow when unpacking long long");
    return {v};
  }
  try {
    return to_int_list(h, "dim");
  } catch (const TypeError&) {
    throw TypeError(str(fn, "(): argument 'dim' must be int or tuple of ints, not ",
                        std::string(py::str(py::type::of(h).attr("__name__")))));
  }
}

bool is_integer(py::handle h) {
  if (PyLong_Check(h.ptr())) return !PyBool_Check(h.ptr());
  // (NumPy's floats and bools have no __index__)
  return !is_tensor(h) && std::string(Py_TYPE(h.ptr())->tp_name).rfind("numpy.", 0) == 0 && py::hasattr(h, "__index__");
}

namespace {
PyTypeObject* tensor_type = nullptr;
const py::detail::type_info* tensor_info = nullptr;
}  // namespace

void set_tensor_class(py::handle cls) {
  tensor_type = reinterpret_cast<PyTypeObject*>(cls.ptr());
  tensor_info = py::detail::get_type_info(typeid(TensorImpl));
}

bool is_tensor(py::handle h) {
  // A direct type / subtype test (nn.Parameter subclasses Tensor in Python):
  // py::isinstance goes through PyObject_IsInstance and the metaclass's
  // __instancecheck__ lookup, ~70 ns for every `x * 2.0`.
  return PyObject_TypeCheck(h.ptr(), tensor_type);
}

namespace {
// The holder of h, an instance of Tensor or a subclass; null if never initialized (Tensor.__new__(Tensor)).
const Tensor* holder_of(py::handle h) {
  // (A subclass's instance is found by a walk over its pybind11 bases: one, Tensor.)
  const py::detail::value_and_holder vh =
      reinterpret_cast<py::detail::instance*>(h.ptr())->get_value_and_holder(tensor_info, false);
  return vh && vh.holder_constructed() ? &vh.holder<Tensor>() : nullptr;
}

// The tensor of h, which is_tensor: read from its holder, no pybind11 cast (pybind11's cast error
// for one never initialized).
Tensor tensor_of(py::handle h) {
  const Tensor* t = holder_of(h);
  return t ? *t : h.cast<Tensor>();
}
}  // namespace

const Tensor* held_tensor(py::handle h) {
  return h && PyObject_TypeCheck(h.ptr(), tensor_type) ? holder_of(h) : nullptr;
}

py::handle tensor_to_python(const Tensor& t) {
  if (!t) return py::none().release();
  // What pybind11's holder caster does, without its type lookups: the object already wrapping t,
  // else a new one sharing t's ownership.
  return py::detail::type_caster_generic::cast(t.get(), py::return_value_policy::take_ownership, py::handle(),
                                               tensor_info, nullptr, nullptr, &t);
}

Tensor to_tensor(py::handle h) {
  if (!is_tensor(h))
    throw TypeError(str("expected Tensor as argument, but got ", std::string(py::str(py::type::of(h).attr("__name__")))));
  return tensor_of(h);
}

Tensor tensor_argument(py::handle h, const char* fn, const char* name, int position) {
  // The type as PyTorch names it: its tp_name ("str", "numpy.ndarray").
  if (!is_tensor(h))
    throw TypeError(str(fn, "(): argument '", name, "' (position ", position, ") must be Tensor, not ",
                        Py_TYPE(h.ptr())->tp_name));
  return tensor_of(h);
}

std::optional<Scalar> to_scalar(py::handle h) {
  PyObject* p = h.ptr();
  if (PyBool_Check(p)) return Scalar::from_bool(p == Py_True);
  if (PyLong_Check(p)) {
    int overflow = 0;
    const long long v = PyLong_AsLongLongAndOverflow(p, &overflow);
    if (overflow) {
      // As PyTorch: OverflowError beyond 64 bits; an int64 overflow below that is refused as a value.
      PyLong_AsUnsignedLongLong(p);
      if (!PyErr_Occurred()) throw RuntimeError("value cannot be converted to type int64_t without overflow");
      PyErr_Clear();
      PyErr_SetString(PyExc_OverflowError, "int too big to convert");
      throw py::error_already_set();
    }
    return Scalar::from_int(v);
  }
  if (PyFloat_Check(p)) return Scalar::from_double(PyFloat_AS_DOUBLE(p));
  // NumPy scalars.
  if (py::isinstance<py::array>(h) || !py::hasattr(h, "dtype") || !py::hasattr(h, "item")) return std::nullopt;
  py::object v = h.attr("item")();
  if (PyBool_Check(v.ptr()) || PyLong_Check(v.ptr()) || PyFloat_Check(v.ptr())) return to_scalar(v);
  return std::nullopt;
}

Tensor as_operand(py::handle h) {
  if (is_tensor(h)) return tensor_of(h);
  if (auto s = to_scalar(h)) return wrap_scalar(*s);
  return nullptr;
}

Tensor operand_arg(py::handle h, const char* fn, const char* arg) {
  Tensor t = as_operand(h);
  FT_CHECK(t, TypeError, fn, "(): argument '", arg, "' must be Tensor or Number, not ", Py_TYPE(h.ptr())->tp_name);
  return t;
}

Tensor from_numpy(py::array arr) {
  const char order = arr.dtype().byteorder();  // '=' native, '|' not applicable, '<' / '>' explicit
  constexpr bool little = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
  FT_CHECK(order == '=' || order == '|' || (order == '<') == little, ValueError,
           "given numpy array has byte order different from the native byte order. Conversion between byte "
           "orders is currently not supported.");
  const DType dt = dtype_from_numpy(arr.dtype());
  const int nd = static_cast<int>(arr.ndim());
  Shape shape, strides;
  for (int i = 0; i < nd; ++i) {
    shape.push_back(arr.shape(i));
    const py::ssize_t s = arr.strides(i);
    FT_CHECK(s >= 0, ValueError,
             "At least one stride in the given numpy array is negative, and tensors with negative strides are not "
             "currently supported. (You can probably work around this by making a copy of your array  with "
             "array.copy().) ");
    FT_CHECK(s % static_cast<py::ssize_t>(itemsize(dt)) == 0, ValueError,
             "given numpy array strides not a multiple of the element byte size. Copy the numpy array to reallocate "
             "the memory.");
    strides.push_back(s / static_cast<py::ssize_t>(itemsize(dt)));
  }
  void* data = const_cast<void*>(arr.data());
  size_t nbytes = 0;
  for (int i = 0; i < nd; ++i) nbytes += (shape[i] - 1) * strides[i];
  nbytes = shape.numel() == 0 ? 0 : (nbytes + 1) * itemsize(dt);
  auto storage = std::make_shared<Storage>(data, nbytes, Device{}, std::make_unique<NumpyOwner>(arr));
  return std::make_shared<TensorImpl>(std::move(storage), dt, shape, strides, 0);
}

namespace {
// tensor()'s fast path: data of Python floats, ints and bools, alone or in nested lists and tuples.
constexpr size_t kMaxNesting = kMaxDims;  // deeper (or a list holding itself): the Python path

bool is_plain_sequence(PyObject* o) { return PyList_CheckExact(o) || PyTuple_CheckExact(o); }

// Checks that o is rectangular with `shape` from `depth` on, its leaves plain numbers (ints within
// int64), and notes which kinds of number it holds.
bool scan_plain(PyObject* o, size_t depth, const Shape& shape, bool& any_float, bool& any_int) {
  if (depth == size_t(shape.size())) {
    if (PyFloat_CheckExact(o)) {
      any_float = true;
      return true;
    }
    if (PyLong_CheckExact(o)) {
      int overflow = 0;
      PyLong_AsLongLongAndOverflow(o, &overflow);
      any_int = true;
      return overflow == 0;
    }
    return PyBool_Check(o);
  }
  if (!is_plain_sequence(o) || PySequence_Fast_GET_SIZE(o) != shape[depth]) return false;
  PyObject** items = PySequence_Fast_ITEMS(o);
  for (int64_t i = 0; i < shape[depth]; ++i)
    if (!scan_plain(items[i], depth + 1, shape, any_float, any_int)) return false;
  return true;
}

// A scanned leaf as T, as PyTorch stores it: ints through double for a float dtype.
template <class T>
T plain_value(PyObject* o) {
  if (PyBool_Check(o)) return T(o == Py_True);
  if (PyFloat_CheckExact(o)) {
    if constexpr (std::is_floating_point_v<T>) return static_cast<T>(PyFloat_AS_DOUBLE(o));
    else return T{};  // (not reached: floats only go into float dtypes)
  }
  const long long v = PyLong_AsLongLong(o);
  if constexpr (std::is_floating_point_v<T>) return static_cast<T>(static_cast<double>(v));
  else return static_cast<T>(v);
}

template <class T>
void fill_plain(PyObject* o, size_t depth, size_t ndim, T*& out) {
  if (depth == ndim) {
    *out++ = plain_value<T>(o);
    return;
  }
  PyObject** items = PySequence_Fast_ITEMS(o);
  const Py_ssize_t n = PySequence_Fast_GET_SIZE(o);
  for (Py_ssize_t i = 0; i < n; ++i) fill_plain(items[i], depth + 1, ndim, out);
}
}  // namespace

Tensor tensor_from_plain_data(py::handle data, py::handle dtype) {
  if (!dtype.is_none() && !py::isinstance<DTypeObject>(dtype)) return {};
  Shape shape;
  PyObject* o = data.ptr();
  while (is_plain_sequence(o)) {
    const Py_ssize_t n = PySequence_Fast_GET_SIZE(o);
    if (n == 0 || size_t(shape.size()) == kMaxNesting) return {};
    shape.push_back(n);
    o = PySequence_Fast_ITEMS(o)[0];
  }
  bool any_float = false, any_int = false;
  if (!scan_plain(data.ptr(), 0, shape, any_float, any_int)) return {};
  const DType natural = any_float ? default_dtype() : any_int ? DType::Int64 : DType::Bool;
  DType dt = natural;
  if (!dtype.is_none()) {
    dt = to_dtype(dtype);
    const bool fits = is_floating(dt) || (dt == DType::Int64 && !any_float) || dt == natural;
    if (!fits) return {};  // other integer dtypes range-check their values: the Python path
  }
  Tensor t = empty(shape, dt);
  FT_DISPATCH_ALL_TYPES(dt, "tensor", [&] {
    scalar_t* out = t->data_as<scalar_t>();
    fill_plain(data.ptr(), 0, size_t(shape.size()), out);
  });
  return t;
}

py::array to_numpy(const Tensor& t) {
  FT_CHECK(t->device().is_cpu(), TypeError, "can't convert ", t->device().str(),
           " device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host memory first.");
  FT_CHECK(!(t->requires_grad()), RuntimeError,
           "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.");
  std::vector<py::ssize_t> shape, strides;
  for (int i = 0; i < t->dim(); ++i) {
    shape.push_back(t->shape()[i]);
    strides.push_back(t->strides()[i] * static_cast<py::ssize_t>(t->itemsize()));
  }
  // The array keeps the storage alive through a capsule.
  auto* keep = new std::shared_ptr<Storage>(t->storage());
  py::capsule owner(keep, [](void* p) { delete static_cast<std::shared_ptr<Storage>*>(p); });
  return py::array(py::dtype(numpy_format(t->dtype())), shape, strides, t->data(), owner);
}

namespace {
// PyTorch's (and NumPy's old) rule for a list index: a short sequence holding a
// tensor, a sequence, a slice, None or Ellipsis is taken as a tuple of indices
// (x[[[0, 1], [1, 2]]] is x[[0, 1], [1, 2]]), with a deprecation warning.
bool sequence_as_tuple(py::handle h) {
  if (is_tensor(h) || py::isinstance<py::array>(h) || py::isinstance<py::str>(h) || !PySequence_Check(h.ptr()))
    return false;
  const Py_ssize_t n = PySequence_Size(h.ptr());
  if (n < 0) {
    PyErr_Clear();
    return false;
  }
  if (n >= 32) return false;
  for (Py_ssize_t i = 0; i < n; ++i) {
    py::object x = py::reinterpret_steal<py::object>(PySequence_GetItem(h.ptr(), i));
    if (!x) {
      PyErr_Clear();
      return false;
    }
    PyObject* p = x.ptr();
    if (is_tensor(x) || PySequence_Check(p) || PySlice_Check(p) || p == Py_Ellipsis || p == Py_None) return true;
  }
  return false;
}
}  // namespace

std::vector<ops::IndexItem> to_index(py::handle h) {
  using Kind = ops::IndexItem::Kind;
  std::vector<ops::IndexItem> items;
  auto one = [&](py::handle x) {
    ops::IndexItem it;
    PyObject* p = x.ptr();
    if (PyBool_Check(p)) {
      it.kind = Kind::Bool;
      it.b = p == Py_True;
    } else if (PyLong_Check(p)) {
      it.kind = Kind::Int;
      it.i = x.cast<int64_t>();
    } else if (PySlice_Check(p)) {
      it.kind = Kind::Slice;
      auto get = [](PyObject* v) -> std::optional<int64_t> {
        if (v == Py_None) return std::nullopt;
        py::object o = py::reinterpret_borrow<py::object>(v);
        FT_CHECK(py::hasattr(o, "__index__"), TypeError,
                 "slice indices must be integers or None or have an __index__ method");
        // clamped to 64 bits, as Python's own slices and PyTorch's (x[:10**20] is x[:])
        const Py_ssize_t i = PyNumber_AsSsize_t(v, nullptr);
        if (i == -1 && PyErr_Occurred()) throw py::error_already_set();
        return int64_t(i);
      };
      auto* s = reinterpret_cast<PySliceObject*>(p);
      it.start = get(s->start);
      it.stop = get(s->stop);
      auto step = get(s->step);
      it.step = step.value_or(1);
      FT_CHECK(it.step != 0, ValueError, "slice step cannot be zero");
      FT_CHECK(it.step > 0, ValueError, "step must be greater than zero");
    } else if (p == Py_None) {
      it.kind = Kind::None;
    } else if (p == Py_Ellipsis) {
      it.kind = Kind::Ellipsis;
    } else if (is_tensor(x)) {
      Tensor t = tensor_of(x);
      if (t->dim() == 0 && !is_floating(t->dtype()) && t->dtype() != DType::Bool && t->dtype() != DType::UInt8) {
        it.kind = Kind::Int;  // a 0-d integer tensor indexes like an int (a uint8 one is a mask, as torch)
        it.i = item(t).i;
      } else {
        it.kind = Kind::Tensor;
        it.t = t;
      }
    } else if (py::isinstance<py::sequence>(x) || py::isinstance<py::array>(x)) {
      py::array arr = py::array::ensure(x);
      FT_CHECK(arr, IndexError, "could not convert the index to a tensor");
      it.kind = Kind::Tensor;
      it.t = arr.size() == 0 ? empty(Shape{0}, DType::Int64) : ops::clone(from_numpy(arr));
      // A list of numbers becomes a long index (floats truncated), or a mask if all are bools, as
      // PyTorch's indexing_tensor_from_data.
      if (is_floating(it.t->dtype())) it.t = ops::to_dtype(it.t, DType::Int64);
    } else if (py::hasattr(x, "__index__")) {
      it.kind = Kind::Int;
      it.i = x.attr("__index__")().cast<int64_t>();
    } else {
      throw IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices (got " +
                       std::string(Py_TYPE(x.ptr())->tp_name) + ")");
    }
    items.push_back(std::move(it));
  };
  if (PyTuple_Check(h.ptr())) {
    for (py::handle x : py::reinterpret_borrow<py::tuple>(h)) one(x);
  } else if (sequence_as_tuple(h)) {
    if (PyErr_WarnEx(PyExc_UserWarning,
                     "Using a non-tuple sequence for multidimensional indexing is deprecated and will be changed in "
                     "pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be interpreted as "
                     "tensor index, x[torch.tensor(seq)], which will result either in an error or a different result",
                     1) != 0)
      throw py::error_already_set();  // warnings raised as errors
    for (py::object x : py::reinterpret_borrow<py::sequence>(h)) one(x);
  } else {
    one(h);
  }
  return items;
}

}  // namespace ft::python
