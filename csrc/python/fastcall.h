// Module functions that CPython calls through its vectorcall protocol
// (METH_FASTCALL | METH_KEYWORDS): the arguments arrive as a C array, keyword
// names in a tuple, with no argument tuple or kwargs dict built and no pybind11
// overload dispatch. For the hot functional forms, exp(x) and add(a, b, out=c):
// pybind11's dispatch of such a call was about a third of its time on a small
// tensor. Arity errors are PyTorch's ("exp() takes 1 positional argument but 2
// were given", "missing 1 required positional arguments", "got an unexpected
// keyword argument", "got multiple values for argument").
#pragma once

#include "python/convert.h"

namespace ft::python {

struct FastFunction {
  static constexpr int kMaxParams = 4;
  const char* name;
  // The parameters: the first n_positional may come by position (the rest are keyword-only), the
  // first n_required must be given.
  const char* params[kMaxParams];
  int n_params, n_positional, n_required;
  // The function itself: args[i] is params[i]'s value (borrowed), null where not given.
  Tensor (*body)(const FastFunction& fn, PyObject* const* args);
  // For a body shared by a family of functions: which op (a UnaryOp or BinaryOp).
  int op;
};

// Adds fn to m under fn.name (replacing any attribute of that name); doc is its docstring.
void def_fast(py::module_& m, const FastFunction& fn, const char* doc);

}  // namespace ft::python
