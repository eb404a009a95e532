// Argument conversion between Python objects and the C++ API: dtypes,
// devices, shapes, dims, scalars and index tuples. Bindings only: no op logic.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "ops/ops.h"

namespace py = pybind11;

namespace ft::python {
// The Tensor class, recorded once by bind_tensor right after pybind11 creates it (and before any
// conversion): the caster below and the operator slots reach a tensor's holder through it.
void set_tensor_class(py::handle cls);
// The tensor an object holds: null for anything but a Tensor (or a subclass's instance) whose
// holder was constructed.
const Tensor* held_tensor(py::handle h);
// A new reference to the Python object of t (the one that already wraps t, if any).
py::handle tensor_to_python(const Tensor& t);
}  // namespace ft::python

namespace pybind11::detail {
// An int64_t argument (a dim, a size, k), read as PyTorch's parser reads an int: a Python int, or
// anything with __index__ (NumPy's integers, a one-element integer tensor); not a bool or a bool
// tensor (diag(x, True), transpose(True, 0) raise TypeError, where pybind11's own caster reads
// True as 1), nor what has only __int__ (a float tensor, np.float32(1.0), which pybind11
// truncates). A Python int past 64 bits is PyTorch's ValueError.
template <>
class type_caster<int64_t> {
 public:
  PYBIND11_TYPE_CASTER(int64_t, const_name("int"));
  bool load(handle src, bool /*convert: __index__ is no conversion, as in pybind11's own caster*/) {
    if (!src || PyBool_Check(src.ptr())) return false;
    PyObject* number = src.ptr();
    object index;  // number's __index__
    if (!PyLong_Check(number)) {
      if (!PyIndex_Check(number) ||
          std::string_view(Py_TYPE(number)->tp_name).substr(0, 10) == "numpy.bool")  // (numpy.bool_ before NumPy 2)
        return false;
      if (const ft::Tensor* t = ft::python::held_tensor(src); t && (*t)->dtype() == ft::DType::Bool) return false;
      index = reinterpret_steal<object>(PyNumber_Index(number));
      if (!index) {
        PyErr_Clear();
        return false;
      }
      number = index.ptr();
    }
    int overflow = 0;
    value = PyLong_AsLongLongAndOverflow(number, &overflow);
    if (overflow) throw value_error("Overflow when unpacking long long");
    return !(value == -1 && PyErr_Occurred()) || (PyErr_Clear(), false);
  }
  static handle cast(int64_t v, return_value_policy, handle) { return PyLong_FromLongLong(v); }
};

// A Tensor argument or result. pybind11's own holder caster finds the class's type record by
// hashing the C++ type's name for every argument and every result (about a sixth of a small op's
// time); this one uses the record kept by set_tensor_class. None is no Tensor: pybind11 would hand
// it to a `const Tensor&` parameter as a null pointer, and the op would crash on it. This caster
// refuses None, so such a call raises TypeError (incompatible arguments), as PyTorch does.
// Optional tensors are taken as py::object by the bindings.
template <>
class type_caster<std::shared_ptr<ft::TensorImpl>> {
 public:
  PYBIND11_TYPE_CASTER(std::shared_ptr<ft::TensorImpl>, const_name("Tensor"));
  bool load(handle src, bool) {
    const ft::Tensor* t = ft::python::held_tensor(src);
    if (!t) return false;
    value = *t;
    return true;
  }
  static handle cast(const std::shared_ptr<ft::TensorImpl>& t, return_value_policy, handle) {
    return ft::python::tensor_to_python(t);
  }
};
// (The class's holder: what pybind11 otherwise infers from a caster derived from its own.)
template <>
struct is_holder_type<ft::TensorImpl, std::shared_ptr<ft::TensorImpl>> : std::true_type {};
// generator=None is the default generator (a null Generator*). pybind11's own
// caster accepts None only after looking for a foreign module's type on
// NoneType, an attribute lookup that fails with a formatted AttributeError:
// 0.6 us of every randn(3, 4). This one takes None at once (in the
// converting pass, as pybind11's does).
template <>
class type_caster<ft::Generator> : public type_caster_base<ft::Generator> {
 public:
  bool load(handle src, bool convert) {
    if (src.is_none()) {
      if (!convert) return false;
      value = nullptr;
      return true;
    }
    return type_caster_base<ft::Generator>::load(src, convert);
  }
};
}  // namespace pybind11::detail

namespace ft::python {

// fasttensor.dtype: one singleton per DType.
struct DTypeObject {
  DType value;
};
py::object dtype_object(DType t);
DType to_dtype(py::handle h);
std::optional<DType> to_optional_dtype(py::handle h);

Device to_device(py::handle h);
py::object device_object(const Device& d);

// The fasttensor.Size for a shape.
py::object size_object(const Shape& s);
void set_size_class(py::object cls);
// The base class of fasttensor.Size: a tuple whose slices are of the
// slicing object's class, with indexing in C (x.shape[0] at tuple speed).
py::object make_size_base_class();

// (2, 3), [2, 3], or varargs (2, 3) passed as a tuple of ints; Size too.
std::vector<int64_t> to_int_list(py::handle h, const char* what);
// The ints of a tuple (torch.Size too) or list of exact Python ints (no bools, each within int64),
// read directly; nullopt for anything else, or more than kMaxDims of them.
std::optional<std::vector<int64_t>> exact_ints(PyObject* seq);
std::vector<int64_t> shape_from_args(const py::args& args, const char* what);
// A dim argument: an int, or a tuple/list of ints, or None (empty: all dims);
// fn names the function in its TypeError.
std::vector<int64_t> to_dims(py::handle h, const char* fn);

bool is_tensor(py::handle h);
// A Python int (not a bool) or a NumPy integer: what PyTorch's parser takes as an int.
bool is_integer(py::handle h);
Tensor to_tensor(py::handle h);  // a Tensor, or TypeError
// A function's Tensor argument, or PyTorch's TypeError: "exp(): argument 'input' (position 1) must be
// Tensor, not float".
Tensor tensor_argument(py::handle h, const char* fn, const char* name, int position);
// f(input, other) bound as fn(input, <name>) (function form) or input.fn(<name>) (method form), with
// PyTorch's TypeError for an argument that is not a tensor; the method form counts <name> as position 1.
template <class F> auto tensor_pair_function(const char* fn, const char* name, F f) {
  return [fn, name, f](py::handle a, py::handle b) {
    const Tensor ta = tensor_argument(a, fn, "input", 1);
    return f(ta, tensor_argument(b, fn, name, 2));
  };
}
template <class F> auto tensor_pair_method(const char* fn, const char* name, F f) {
  return [fn, name, f](const Tensor& a, py::handle b) { return f(a, tensor_argument(b, fn, name, 1)); };
}
// A Tensor, or a Python/NumPy number as a 0-d wrapped scalar; null if neither.
Tensor as_operand(py::handle h);
// as_operand, or TypeError "fn(): argument 'arg' must be Tensor or Number, not <type>".
Tensor operand_arg(py::handle h, const char* fn, const char* arg);
std::optional<Scalar> to_scalar(py::handle h);

// A Tensor from a NumPy array, sharing its memory.
Tensor from_numpy(py::array arr);
py::array to_numpy(const Tensor& t);
// tensor(data, dtype) for data of Python floats, ints and bools (one, or nested lists and tuples,
// rectangular, ints within int64) in PyTorch's dtype for them: the default float dtype if any is a
// float, else int64 if any is an int, else bool; dtype (a fasttensor.dtype or None) may ask for a
// float dtype, int64 for ints and bools, or the natural one. Null otherwise (NumPy arrays and
// scalars, tensors, empty or ragged lists, other integer dtypes and their range checks): the
// Python layer converts those, with PyTorch's errors.
Tensor tensor_from_plain_data(py::handle data, py::handle dtype);

std::vector<ops::IndexItem> to_index(py::handle h);

// In a C function Python calls directly (a type slot), inside `catch (...)`: sets the Python
// exception pybind11 would have raised for the exception being handled.
void set_python_error() noexcept;

// Runs f with the GIL released when the work is large enough to matter.
template <class F>
auto nogil(int64_t work, F&& f) {
  if (work >= 16384) {
    py::gil_scoped_release release;
    return f();
  }
  return f();
}

}  // namespace ft::python
