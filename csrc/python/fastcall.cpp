#include "python/fastcall.h"

#include <array>
#include <stdexcept>
#include <deque>
#include <string>
#include <utility>

namespace ft::python {

namespace {

// A function's record, its PyMethodDef and docstring: the function object points at all three,
// so they live as long as the process (a deque never moves its elements).
struct Entry {
  FastFunction fn;
  PyObject* names[FastFunction::kMaxParams];  // the parameter names, interned: keywords match by pointer
  std::string doc;
  PyMethodDef def;
};
std::deque<Entry>& entries() {
  static auto* list = new std::deque<Entry>();  // never destroyed: functions may outlive static destruction
  return *list;
}

int param_index(const Entry& e, PyObject* key) {
  for (int i = 0; i < e.fn.n_params; ++i)
    if (key == e.names[i]) return i;
  for (int i = 0; i < e.fn.n_params; ++i)  // a keyword name built at run time (**kwargs): not interned
    if (PyUnicode_Compare(key, e.names[i]) == 0) return i;
  return -1;
}

// args[i]: parameter i's value, or null. False with PyTorch's TypeError for a call that does not fit.
bool bind_arguments(const Entry& e, PyObject* const* given, Py_ssize_t nargs, PyObject* kwnames, PyObject** args) {
  const FastFunction& fn = e.fn;
  if (nargs > fn.n_positional) {
    PyErr_Format(PyExc_TypeError, "%s() takes %d positional argument%s but %zd were given", fn.name, fn.n_positional,
                 fn.n_positional == 1 ? "" : "s", nargs);
    return false;
  }
  for (Py_ssize_t i = 0; i < nargs; ++i) args[i] = given[i];
  const Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
  for (Py_ssize_t k = 0; k < nkw; ++k) {
    PyObject* key = PyTuple_GET_ITEM(kwnames, k);
    const int i = param_index(e, key);
    if (i < 0) {
      PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%U'", fn.name, key);
      return false;
    }
    if (args[i]) {
      PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument '%s'", fn.name, fn.params[i]);
      return false;
    }
    args[i] = given[nargs + k];
  }
  int missing = 0;
  std::string names;
  for (int i = 0; i < fn.n_required; ++i) {
    if (!args[i]) {
      names += std::string(missing++ ? ", " : "") + "\"" + fn.params[i] + "\"";
    }
  }
  if (missing) {  // PyTorch's words, its plural included: "1 ... arguments", "2 ... argument"
    PyErr_Format(PyExc_TypeError, "%s() missing %d required positional argument%s: %s", fn.name, missing,
                 missing == 1 ? "s" : "", names.c_str());
    return false;
  }
  return true;
}

PyObject* call_entry(const Entry& e, PyObject* const* given, Py_ssize_t nargs, PyObject* kwnames) noexcept {
  try {
    PyObject* args[FastFunction::kMaxParams] = {};
    if (!bind_arguments(e, given, nargs, kwnames, args)) return nullptr;
    return tensor_to_python(e.fn.body(e.fn, args)).ptr();
  } catch (...) {
    set_python_error();
    return nullptr;
  }
}

// One C function per entry, so that a function's bound object can be the module itself: then
// pickle saves it by name (fasttensor._C.exp), as it does pybind11's functions and torch's.
using FastCall = PyObject* (*)(PyObject*, PyObject* const*, Py_ssize_t, PyObject*);
constexpr size_t kMaxFunctions = 128;
template <size_t I>
PyObject* call_fast(PyObject*, PyObject* const* given, Py_ssize_t nargs, PyObject* kwnames) noexcept {
  return call_entry(entries()[I], given, nargs, kwnames);
}
template <size_t... I>
constexpr std::array<FastCall, sizeof...(I)> trampolines(std::index_sequence<I...>) {
  return {&call_fast<I>...};
}
constexpr std::array<FastCall, kMaxFunctions> kTrampolines = trampolines(std::make_index_sequence<kMaxFunctions>());

// "exp($module, input, *, out=None)\n--\n\n": the signature inspect.signature reads (the first
// parameter, the module, is dropped there). Optional parameters default to None but alpha, to 1.
std::string signature_doc(const FastFunction& fn) {
  std::string s = std::string(fn.name) + "($module";
  for (int i = 0; i < fn.n_params; ++i) {
    s += i == fn.n_positional ? ", *, " : ", ";
    s += fn.params[i];
    if (i >= fn.n_required) s += std::string_view(fn.params[i]) == "alpha" ? "=1" : "=None";
  }
  return s + ")\n--\n\n";
}

}  // namespace

void def_fast(py::module_& m, const FastFunction& fn, const char* doc) {
  const size_t index = entries().size();
  if (index == kMaxFunctions) throw std::logic_error("def_fast: raise kMaxFunctions");
  Entry& e = entries().emplace_back();
  e.fn = fn;
  for (int i = 0; i < fn.n_params; ++i) {
    e.names[i] = PyUnicode_InternFromString(fn.params[i]);  // kept, as the entry
    if (!e.names[i]) throw py::error_already_set();
  }
  e.doc = signature_doc(fn) + doc;
  // PyCFunction is the generic pointer type of ml_meth; METH_FASTCALL | METH_KEYWORDS tells Python
  // the real one (the detour through void (*)() keeps -Wcast-function-type quiet).
  e.def = PyMethodDef{fn.name, reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(kTrampolines[index])),
                      METH_FASTCALL | METH_KEYWORDS, e.doc.c_str()};
  const py::object module_name = m.attr("__name__");
  const py::object f = py::reinterpret_steal<py::object>(PyCFunction_NewEx(&e.def, m.ptr(), module_name.ptr()));
  if (!f) throw py::error_already_set();
  m.attr(fn.name) = f;
}

}  // namespace ft::python
