// Shared argument parsing for the Tensor methods and the module functions,
// so `x.sum(1)` and `fasttensor.sum(x, 1)` take the same path.
#pragma once

#include "python/convert.h"

namespace ft::python {

struct ReduceArgs {
  std::vector<int64_t> dims;
  bool has_dim = false;
  bool keepdim = false;
  std::optional<DType> dtype;
  bool dim_is_sequence = false;  // dim given as a tuple or list
  bool dim_given = false;        // dim passed at all (None too)
  bool keepdim_given = false;
  // PyTorch's TypeError where keepdim comes without a dim (none_is_a_dim: sum/mean take dim=None).
  void check_keepdim_has_dim(const char* name, bool none_is_a_dim) const;
  // The one dim of prod/argmax/argmin/cumsum: TypeError for a tuple.
  std::optional<int64_t> single_dim(const char* name) const;
};

// NumPy's axis= / keepdims= for the dim= / keepdim= of `name`, an attribute of
// `owner` (a class: a method; a module: a function), as PyTorch's parser takes
// them: a last overload, reached only when the typed ones do not match, renames
// the keywords and calls again, so a usual call pays nothing.
void add_numpy_dim_names(py::object owner, const char* name, bool method);

// Positional (dim, keepdim) and keywords dim/axis, keepdim/keepdims, dtype.
ReduceArgs parse_reduce(const char* name, const py::args& args, const py::kwargs& kwargs, size_t first = 0);

// The op for a Python binary operator: NotImplemented when other is no
// operand, so Python can try the reflected method.
py::object binary_method(BinaryOp op, const Tensor& self, py::handle other, bool reflected);
// name(a, b) (method: a.name(b)) for a binary op's function and method forms; an operand that is
// neither a tensor nor a number gets PyTorch's TypeError (refuse_operands).
Tensor binary_args(BinaryOp op, py::handle a, py::handle b, const char* name, bool method = false);
// PyTorch's TypeError for name(a, b) (or a.name(b)) given an operand that is neither a tensor nor a
// number, or two numbers where it takes none: add/sub/mul/div name the argument ("mul(): argument
// 'other' (position 1) must be Tensor, not str"), the others list their signatures.
// rounding_mode: the keyword's value when one was given (div), listed among the arguments.
[[noreturn]] void refuse_operands(const char* name, py::handle a, py::handle b, bool method,
                                  py::handle rounding_mode = py::handle());
// self.name(o)'s operand: o as a tensor (a number wrapped as one), or refuse_operands' TypeError.
Tensor method_operand(const Tensor& self, py::handle o, const char* name);

py::object reduce_max_min(bool is_max, const Tensor& self, const py::args& args, const py::kwargs& kwargs);
// fasttensor.return_types.<name>((values, indices)): max, min, sort, topk.
py::object named_pair(const char* name, const Tensor& values, const Tensor& indices);
// a / b with PyTorch's rounding_mode: None (true division), 'trunc' or 'floor'.
Tensor div_rounding(py::handle a, py::handle b, py::handle rounding_mode, const char* name = "div",
                    bool method = false);
// where(condition, ...)'s condition: a uint8 one is taken as bool with PyTorch's deprecation warning.
Tensor where_condition(const Tensor& cond);
// other * alpha for add/sub(..., alpha=): a float alpha with integer tensors is
// refused, as PyTorch (self may be null when the first operand is no tensor).
Tensor times_alpha(const Tensor& self, const Tensor& other, py::handle alpha, const char* fn);
// Whether an alpha argument leaves other unscaled: not given (null), or the int 1.
bool is_default_alpha(py::handle alpha);
// A sequence of tensors (cat, stack, backward's inputs); TypeError otherwise.
std::vector<Tensor> tensor_list(py::handle seq, const char* what);
// clamp / clip (/ clamp_ when inplace) with numbers or tensors as bounds.
Tensor clamp_args(const Tensor& t, py::handle lo, py::handle hi, bool inplace);
py::object sum_impl(const Tensor& self, const py::args& args, const py::kwargs& kwargs);
py::object mean_impl(const Tensor& self, const py::args& args, const py::kwargs& kwargs);

}  // namespace ft::python
