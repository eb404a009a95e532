// Elementwise ops: binary arithmetic and comparisons with broadcasting and
// promotion, unary math, clamp and where; their in-place forms; and the
// backward formula of each, next to it.
#include <cmath>
#include <limits>

#include "autograd/grad_mode.h"
#include "ops/ops.h"

namespace ft::ops {

using autograd::SavedTensors;

namespace {

// Whether an input will want a gradient (so its partner must be saved).
bool needs_grad(const Tensor& t) { return t && t->requires_grad(); }

bool is_comparison(BinaryOp op) { return op >= BinaryOp::Eq && op <= BinaryOp::LogicalXor; }

const char* binary_name(BinaryOp op) {
  switch (op) {
    case BinaryOp::Add: return "add";
    case BinaryOp::Sub: return "sub";
    case BinaryOp::Mul: return "mul";
    case BinaryOp::Div: return "div";
    case BinaryOp::FloorDiv: return "floor_divide";
    case BinaryOp::Remainder: return "remainder";
    case BinaryOp::Fmod: return "fmod";
    case BinaryOp::Pow: return "pow";
    case BinaryOp::Maximum: return "maximum";
    case BinaryOp::Minimum: return "minimum";
    case BinaryOp::BitAnd: return "bitwise_and";
    case BinaryOp::BitOr: return "bitwise_or";
    case BinaryOp::BitXor: return "bitwise_xor";
    case BinaryOp::LeftShift: return "lshift";
    case BinaryOp::RightShift: return "rshift";
    case BinaryOp::Eq: return "eq";
    case BinaryOp::Ne: return "ne";
    case BinaryOp::Lt: return "lt";
    case BinaryOp::Le: return "le";
    case BinaryOp::Gt: return "gt";
    case BinaryOp::Ge: return "ge";
    case BinaryOp::LogicalAnd: return "logical_and";
    case BinaryOp::LogicalOr: return "logical_or";
    case BinaryOp::LogicalXor: return "logical_xor";
    default: return "binary";
  }
}

// The dtype the kernel computes in, from the operands' result type t.
DType compute_dtype(BinaryOp op, const Tensor& a, const Tensor& b, DType t) {
  if (op == BinaryOp::Div && !is_floating(t)) return default_dtype();
  if (op == BinaryOp::BitAnd || op == BinaryOp::BitOr || op == BinaryOp::BitXor)
    FT_CHECK(!is_floating(t), NotImplementedError, "\"", binary_name(op), "_cpu\" not implemented for '", dtype_scalar_name(t), "'");
  // Bool operands (both bool: the result type) have no kernel for these, with PyTorch's kernel names,
  // empty tensors too.
  if (t == DType::Bool) {
    const char* kernel = op == BinaryOp::Remainder  ? "remainder_cpu"
                         : op == BinaryOp::FloorDiv ? "div_floor_cpu"
                         : op == BinaryOp::Fmod     ? "fmod_cpu"
                         : op == BinaryOp::Pow      ? "pow"
                                                    : nullptr;
    FT_CHECK(!kernel, NotImplementedError, "\"", kernel, "\" not implemented for 'Bool'");
  }
  if (op == BinaryOp::LeftShift || op == BinaryOp::RightShift)
    FT_CHECK(!is_floating(t) && t != DType::Bool, NotImplementedError, "\"", binary_name(op), "_cpu\" not implemented for '",
             dtype_scalar_name(t), "'");
  // A Python number below 0 as an integer exponent (a tensor exponent gives 0, +-1).
  if (op == BinaryOp::Pow && !is_floating(t) && t != DType::Bool && b->is_wrapped_number) {
    FT_CHECK(item(b).d >= 0, RuntimeError,
             "Integers to negative integer powers are not allowed.");
    check_scalar_fits(item(b), t);  // the exponent is a number of the base's dtype (int32 ** 2**31 overflows)
  }
  if (op == BinaryOp::Sub) {
    const bool a_bool = a->dtype() == DType::Bool, b_bool = b->dtype() == DType::Bool;
    FT_CHECK(!(a_bool && b_bool), RuntimeError,
             "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
             "`logical_xor()` operator instead.");
    FT_CHECK(!(a_bool || b_bool), RuntimeError,
             "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a "
             "mask, use the `~` or `logical_not()` operator instead.");
  }
  return t;
}

Device op_device(const Tensor& a, const Tensor& b) {
  // A CPU 0-d operand (a Python number) follows the other operand's device.
  return (a->dim() == 0 && a->device().is_cpu()) ? b->device() : a->device();
}

// The kernel call without autograd.
Tensor binary_forward(BinaryOp op, const Tensor& a, const Tensor& b) {
  check_same_device(a, b, binary_name(op));
  const DType compute = compute_dtype(op, a, b, result_type(a, b));
  const Shape shape = broadcast_shapes(a->shape(), b->shape());
  const Device dev = op_device(a, b);
  Tensor out = empty_for_operands(shape, is_comparison(op) ? DType::Bool : compute, dev, {&a, &b});
  // A Python number as a float exponent: PyTorch's sqrt, rsqrt and reciprocal for 0.5, -0.5 and -1,
  // with their edge values (x ** 0.5: -0 -> -0, -inf -> NaN; x ** -0.5: -0 -> -inf). A tensor
  // exponent, 0-d too, keeps pow's ((-inf) ** 0.5 = inf, (-0) ** 0.5 = 0).
  if (op == BinaryOp::Pow && b->is_wrapped_number && is_floating(compute) && a->shape() == shape) {
    const double e = item(b).d;
    const std::optional<UnaryOp> form = e == 0.5    ? std::optional(UnaryOp::Sqrt)
                                        : e == -0.5 ? std::optional(UnaryOp::Rsqrt)
                                        : e == -1   ? std::optional(UnaryOp::Reciprocal)
                                                    : std::nullopt;
    if (form) {
      backend(dev).unary(*form, out, cast_to(a, compute));
      return out;
    }
  }
  backend(dev).binary(op, out, expand_to(cast_to(a, compute), shape), expand_to(cast_to(b, compute), shape));
  return out;
}

// What a backward formula needs of an input it does not read: its shape and
// dtype (saving the tensor itself would pin its memory and trip the version
// check after an in-place update of an input the formula never reads).
struct InputMeta {
  Shape shape;
  DType dtype;
  explicit InputMeta(const Tensor& t) : shape(t->shape()), dtype(t->dtype()) {}
};

// A gradient brought back to an input's shape and dtype.
Tensor to_input(const Tensor& g, const InputMeta& input) {
  Tensor r = sum_to(g, input.shape);
  return r->dtype() == input.dtype ? r : to_dtype(r, input.dtype);
}

Tensor zeros_like_t(const Tensor& t) { return zeros(t->shape(), t->dtype(), t->device()); }

// A saved operand in the gradient's dtype (a Python int saved as int64 must
// not drag a float64 gradient through float32 math).
Tensor as_grad_dtype(const Tensor& t, const Tensor& g) { return t->dtype() == g->dtype() ? t : to_dtype(t, g->dtype()); }
// A saved Python number as a plain 0-d tensor of g's dtype: arithmetic
// between two wrapped numbers would otherwise run in the default float32.
Tensor unwrapped(const Tensor& t, const Tensor& g) {
  return t->is_wrapped_number ? scalar_tensor(item(t), g->dtype(), g->device()) : t;
}

void record_binary(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b) {
  using autograd::record;
  const InputMeta ma(a), mb(b);
  // PyTorch names some forms with a Python number on the left differently.
  const bool scalar_left = a->is_wrapped_number;
  switch (op) {
    case BinaryOp::Add:
      record(out, "AddBackward0", {&a, &b}, {}, [ma, mb](const Tensor& g, const SavedTensors&, auto& needs) {
        return std::vector<Tensor>{needs[0] ? to_input(g, ma) : Tensor(), needs[1] ? to_input(g, mb) : Tensor()};
      });
      return;
    case BinaryOp::Sub:
      record(out, scalar_left ? "RsubBackward1" : "SubBackward0", {&a, &b}, {},
             [ma, mb](const Tensor& g, const SavedTensors&, auto& needs) {
               return std::vector<Tensor>{needs[0] ? to_input(g, ma) : Tensor(),
                                          needs[1] ? to_input(unary(UnaryOp::Neg, g), mb) : Tensor()};
             });
      return;
    case BinaryOp::Mul:
      record(out, "MulBackward0", {&a, &b}, {{needs_grad(b) ? a : Tensor()}, {needs_grad(a) ? b : Tensor()}},
             [ma, mb](const Tensor& g, const SavedTensors& s, auto& needs) {
               return std::vector<Tensor>{needs[0] ? to_input(mul(g, s[1]), ma) : Tensor(),
                                          needs[1] ? to_input(mul(g, s[0]), mb) : Tensor()};
             });
      return;
    case BinaryOp::Div:
      // x / y: dx = g / y, dy = -g * x / y^2 (PyTorch calls `2 / x` a MulBackward0: reciprocal times 2).
      record(out, scalar_left ? "MulBackward0" : "DivBackward0", {&a, &b}, {{needs_grad(b) ? a : Tensor()}, {b}},
             [ma, mb](const Tensor& g, const SavedTensors& s, auto& needs) {
               Tensor ga, gb;
               const Tensor y = s[1];
               if (needs[0]) ga = to_input(div(g, y), ma);
               if (needs[1]) gb = to_input(unary(UnaryOp::Neg, div(mul(g, s[0]), mul(y, y))), mb);
               return std::vector<Tensor>{ga, gb};
             });
      return;
    case BinaryOp::Pow: {
      // d(a^b)/da = b * a^(b-1); d(a^b)/db = a^b * log(a), taken as 0 where a == 0 and b >= 0.
      const char* name = scalar_left ? "PowBackward2" : (b->is_wrapped_number ? "PowBackward0" : "PowBackward1");
      record(out, name, {&a, &b}, {{a}, {b}, {needs_grad(b) ? out : Tensor(), true}},
             [ma, mb](const Tensor& g, const SavedTensors& s, auto& needs) {
               Tensor ga, gb;
               const Tensor a = unwrapped(as_grad_dtype(s[0], g), g), b = unwrapped(as_grad_dtype(s[1], g), g);
               Tensor zero = wrap_scalar(Scalar::from_int(0));
               if (needs[0]) {
                 // 0 where the exponent is 0 (a^0 is constant, also at a = 0).
                 Tensor bm1 = binary(BinaryOp::Sub, b, wrap_scalar(Scalar::from_int(1)));
                 ga = to_input(where(binary(BinaryOp::Eq, b, zero), zero, mul(mul(g, b), binary(BinaryOp::Pow, a, bm1))), ma);
               }
               if (needs[1]) {
                 Tensor mask = binary(BinaryOp::LogicalAnd, binary(BinaryOp::Eq, a, zero),
                                      binary(BinaryOp::Ge, b, zero));
                 Tensor lg = where(mask, zero, mul(s[2], unary(UnaryOp::Log, a)));
                 gb = to_input(mul(g, lg), mb);
               }
               return std::vector<Tensor>{ga, gb};
             });
      return;
    }
    case BinaryOp::Maximum:
    case BinaryOp::Minimum: {
      // Ties split the gradient in half, as PyTorch.
      const bool is_max = op == BinaryOp::Maximum;
      record(out, is_max ? "MaximumBackward0" : "MinimumBackward0", {&a, &b}, {{a}, {b}},
             [is_max, ma, mb](const Tensor& g, const SavedTensors& s, auto& needs) {
               const Tensor a = s[0], b = s[1];
               Tensor half = mul_scalar(g, 0.5);
               Tensor tie = binary(BinaryOp::Eq, a, b);
               // Each side gets g unless the other strictly wins: with a NaN
               // (no order) both do, as PyTorch.
               Tensor a_wins = binary(is_max ? BinaryOp::Gt : BinaryOp::Lt, a, b);
               Tensor b_wins = binary(is_max ? BinaryOp::Lt : BinaryOp::Gt, a, b);
               Tensor zero = wrap_scalar(Scalar::from_int(0));
               Tensor ga, gb;
               if (needs[0]) ga = to_input(where(tie, half, where(b_wins, zero, g)), ma);
               if (needs[1]) gb = to_input(where(tie, half, where(a_wins, zero, g)), mb);
               return std::vector<Tensor>{ga, gb};
             });
      return;
    }
    case BinaryOp::Remainder:
      if (scalar_left) {  // PyTorch's remainder(Number, Tensor) has no derivative: the graph refuses at backward
        record(out, "NotImplemented", {&a, &b}, {}, [](const Tensor&, const SavedTensors&, auto&) -> std::vector<Tensor> {
          throw RuntimeError("derivative for aten::remainder is not implemented");
        });
        return;
      }
      // PyTorch's names: the Scalar overload (b a Python number) 0, the Tensor one 1.
      record(out, b->is_wrapped_number ? "RemainderBackward0" : "RemainderBackward1", {&a, &b}, {{needs_grad(b) ? a : Tensor()}, {needs_grad(b) ? b : Tensor()}},
             [ma, mb](const Tensor& g, const SavedTensors& s, auto& needs) {
               Tensor ga, gb;
               if (needs[0]) ga = to_input(g, ma);
               // -g * floor(a / b), the quotient with its zero gradient (a second derivative is 0, as PyTorch)
               if (needs[1]) gb = to_input(mul(unary(UnaryOp::Neg, g), div_rounded(s[0], s[1], true)), mb);
               return std::vector<Tensor>{ga, gb};
             });
      return;
    case BinaryOp::Fmod:
      record(out, b->is_wrapped_number ? "FmodBackward0" : "FmodBackward1", {&a, &b}, {{needs_grad(b) ? a : Tensor()}, {needs_grad(b) ? b : Tensor()}},
             [ma, mb](const Tensor& g, const SavedTensors& s, auto& needs) {
               Tensor ga, gb;
               if (needs[0]) ga = to_input(g, ma);
               if (needs[1]) gb = to_input(mul(unary(UnaryOp::Neg, g), unary(UnaryOp::Trunc, div(s[0], s[1]))), mb);
               return std::vector<Tensor>{ga, gb};
             });
      return;
    case BinaryOp::FloorDiv:
      // As PyTorch: the graph is recorded, its backward refuses.
      record(out, "NotImplemented", {&a, &b}, {}, [](const Tensor&, const SavedTensors&, auto&) -> std::vector<Tensor> {
        throw RuntimeError("derivative for aten::floor_divide is not implemented");
      });
      return;
    default:
      return;  // comparisons and logic have no gradient
  }
}

}  // namespace

bool can_cast(DType from, DType to) {
  if (is_floating(from) && !is_floating(to)) return false;
  if (from != DType::Bool && to == DType::Bool) return false;
  return true;
}

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(op, a, b);
  if (!is_comparison(op) && is_floating(out->dtype()) && autograd::any_requires_grad({&a, &b}))
    record_binary(op, out, a, b);
  return out;
}

Tensor mul_scalar(const Tensor& a, double s) { return binary(BinaryOp::Mul, a, wrap_scalar(Scalar::from_double(s))); }
Tensor add_scalar(const Tensor& a, double s) { return binary(BinaryOp::Add, a, wrap_scalar(Scalar::from_double(s))); }

namespace {
void check_result_fits(DType result, const Tensor& self) {
  FT_CHECK(can_cast(result, self->dtype()), RuntimeError, "result type ", dtype_scalar_name(result),
           " can't be cast to the desired output type ", dtype_scalar_name(self->dtype()));
}

}  // namespace

void check_inplace_result(DType result, const Tensor& self) { check_result_fits(result, self); }

namespace {
void check_out(const Tensor& out, DType result, bool needs_grad, const char* name) {
  FT_CHECK(!(autograd::is_grad_enabled() && needs_grad), RuntimeError, name,
           "(): functions with out=... arguments don't support automatic differentiation, but one of the "
           "arguments requires grad.");
  FT_CHECK(can_cast(result, out->dtype()), RuntimeError, "result type ", dtype_scalar_name(result),
           " can't be cast to the desired output type ", dtype_scalar_name(out->dtype()));
  check_no_internal_overlap(out);
}
void check_out_shape(const Tensor& out, const Shape& shape, const char* name) {
  FT_CHECK(out->shape() == shape, RuntimeError, name, "(): out= has shape ", out->shape().str(),
           " but the result has shape ", shape.str(), " (fasttensor does not resize out=)");
}
}  // namespace

DType check_binary_out(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  check_same_device(a, b, binary_name(op));
  check_same_device(out, op_device(a, b) == a->device() ? a : b, binary_name(op));
  const DType compute = compute_dtype(op, a, b, result_type(a, b));
  const DType result = is_comparison(op) ? DType::Bool : compute;
  // A comparison's result has no gradient: its inputs may require grad (not out).
  check_out(out, result, (!is_comparison(op) && (a->requires_grad() || b->requires_grad())) || out->requires_grad(),
            binary_name(op));
  check_no_partial_overlap(out, a);
  check_no_partial_overlap(out, b);
  return compute;
}

Tensor binary_out(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  const DType compute = check_binary_out(op, a, b, out);
  const Shape shape = broadcast_shapes(a->shape(), b->shape());
  check_out_shape(out, shape, binary_name(op));
  const DType result = is_comparison(op) ? DType::Bool : compute;
  if (out->dtype() == result) {
    backend(out->device()).binary(op, out, expand_to(cast_to(a, compute), shape), expand_to(cast_to(b, compute), shape));
  } else {
    backend(out->device()).copy(out, binary_forward(op, a, b));
  }
  out->bump_version();
  return out;
}

Tensor binary_(BinaryOp op, const Tensor& self, const Tensor& other) {
  check_inplace(self);
  check_no_internal_overlap(self);
  check_no_partial_overlap(self, other);
  check_same_device(self, other, binary_name(op));
  const Shape shape = broadcast_shapes(self->shape(), other->shape());
  FT_CHECK(shape == self->shape(), RuntimeError, "output with shape ", self->shape().str(),
           " doesn't match the broadcast shape ", shape.str());
  // PyTorch checks that the result type fits self before the op's own dtype
  // rules: int.bitwise_or_(0.5) is a cast error, not bitwise_or on floats.
  const DType rt = result_type(self, other);
  if (!is_comparison(op)) check_result_fits(rt, self);
  const DType compute = compute_dtype(op, self, other, rt);
  if (!is_comparison(op)) check_result_fits(compute, self);
  if (autograd::any_requires_grad({&self, &other})) {
    // add/sub's backward needs neither operand; the others may save self.
    const bool saves_self = op != BinaryOp::Add && op != BinaryOp::Sub;
    return commit_inplace(self, binary(op, saves_self ? inplace_source(self) : self, other));
  }
  if (compute == self->dtype() && !is_comparison(op)) {
    backend(self->device()).binary(op, self, self, expand_to(cast_to(other, compute), shape));
  } else {
    backend(self->device()).copy(self, binary_forward(op, self, other));
  }
  self->bump_version();
  return self;
}

// --- unary -------------------------------------------------------------------

namespace {
bool is_float_only(UnaryOp op) {
  switch (op) {
    case UnaryOp::Exp: case UnaryOp::Log: case UnaryOp::Log1p: case UnaryOp::Sqrt: case UnaryOp::Rsqrt:
    case UnaryOp::Sin: case UnaryOp::Cos: case UnaryOp::Tanh: case UnaryOp::Sigmoid: case UnaryOp::Reciprocal:
    case UnaryOp::Expm1: case UnaryOp::Exp2: case UnaryOp::Log2: case UnaryOp::Log10: case UnaryOp::Sinh:
    case UnaryOp::Cosh: case UnaryOp::Tan: case UnaryOp::Asin: case UnaryOp::Acos: case UnaryOp::Atan: case UnaryOp::Erf:
    case UnaryOp::Asinh: case UnaryOp::Acosh: case UnaryOp::Atanh: case UnaryOp::Erfc:
    case UnaryOp::Lgamma: case UnaryOp::Digamma: case UnaryOp::Trigamma:
      return true;
    default:
      return false;
  }
}
bool is_predicate(UnaryOp op) {
  return op == UnaryOp::LogicalNot || op == UnaryOp::IsNan || op == UnaryOp::IsFinite || op == UnaryOp::IsInf;
}

DType unary_compute_dtype(UnaryOp op, const Tensor& a) {
  if (is_float_only(op) && !is_floating(a->dtype())) return default_dtype();
  if (a->dtype() == DType::Bool) {  // PyTorch's answers for bool tensors
    FT_CHECK(op != UnaryOp::Neg, RuntimeError,
             "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, "
             "use the `~` or `logical_not()` operator instead.");
    FT_CHECK(op != UnaryOp::Relu, RuntimeError, "Boolean inputs not supported for relu");
    const char* kernel = op == UnaryOp::Abs ? "abs_cpu" : op == UnaryOp::Floor ? "floor_vml_cpu"
                         : op == UnaryOp::Ceil ? "ceil_vml_cpu" : op == UnaryOp::Round ? "round_vml_cpu"
                         : op == UnaryOp::Trunc ? "trunc_vml_cpu" : nullptr;
    FT_CHECK(!kernel, NotImplementedError, "\"", kernel, "\" not implemented for 'Bool'");
    if (op == UnaryOp::Square) return DType::Int64;  // x * x of bools promotes, as pow(x, 2)
  }
  return a->dtype();
}

Tensor unary_forward(UnaryOp op, const Tensor& a, double p0 = 0, double p1 = 0) {
  const DType compute = unary_compute_dtype(op, a);
  Tensor out = empty_for_operands(a->shape(), is_predicate(op) ? DType::Bool : compute, a->device(), {&a});
  backend(a->device()).unary(op, out, cast_to(a, compute), p0, p1);
  return out;
}

Tensor binary_grad(BinaryOp op, const Tensor& g, const Tensor& saved) {
  Tensor out = empty(g->shape(), g->dtype(), g->device());
  backend(g->device()).binary(op, out, g, expand_to(cast_to(saved, g->dtype()), g->shape()));
  return out;
}

// relu's backward: g where the output is positive. Under create_graph it is a
// node of its own, as PyTorch's ThresholdBackwardBackward0: linear in g and
// constant in the output, so a second derivative through relu is zeros (in
// the output's place an explicit zero gradient), not "does not require grad".
Tensor relu_backward(const Tensor& g, const Tensor& result) {
  Tensor out = binary_grad(BinaryOp::ReluBackward, g, result);
  if (autograd::any_requires_grad({&g, &result})) {
    autograd::record(out, "ThresholdBackwardBackward0", {&g, &result}, {{result}},
                     [](const Tensor& gg, const SavedTensors& s, const std::vector<bool>& needs) {
                       const Tensor r = s[0];
                       return std::vector<Tensor>{needs[0] ? relu_backward(gg, r) : Tensor(),
                                                  needs[1] ? zeros(r->shape(), gg->dtype(), gg->device()) : Tensor()};
                     });
  }
  return out;
}

void record_unary(UnaryOp op, const Tensor& out, const Tensor& a) {
  using autograd::record;
  const InputMeta ma(a);
  // rec(name, saves_input, saves_output, formula): s[0] is the input, s[1] the output.
  auto rec = [&](const char* name, bool save_in, bool save_out, auto fn) {
    record(out, name, {&a}, {{save_in ? a : Tensor()}, {save_out ? out : Tensor(), true}},
           [fn, ma](const Tensor& g, const SavedTensors& s, auto&) { return std::vector<Tensor>{to_input(fn(g, s), ma)}; });
  };
  const auto one = [] { return wrap_scalar(Scalar::from_int(1)); };
  switch (op) {
    case UnaryOp::Neg: rec("NegBackward0", false, false, [](const Tensor& g, auto&) { return unary(UnaryOp::Neg, g); }); return;
    case UnaryOp::Abs: rec("AbsBackward0", true, false, [](const Tensor& g, auto& s) { return mul(g, unary(UnaryOp::Sign, s[0])); }); return;
    case UnaryOp::Exp: rec("ExpBackward0", false, true, [](const Tensor& g, auto& s) { return mul(g, s[1]); }); return;
    case UnaryOp::Log: rec("LogBackward0", true, false, [](const Tensor& g, auto& s) { return div(g, s[0]); }); return;
    case UnaryOp::Log1p:
      rec("Log1PBackward0", true, false, [](const Tensor& g, auto& s) { return div(g, add_scalar(s[0], 1.0)); });
      return;
    case UnaryOp::Sqrt:
      rec("SqrtBackward0", false, true, [](const Tensor& g, auto& s) { return div(g, mul_scalar(s[1], 2.0)); });
      return;
    case UnaryOp::Rsqrt:
      rec("RsqrtBackward0", false, true, [](const Tensor& g, auto& s) {
        return mul(mul_scalar(g, -0.5), binary(BinaryOp::Pow, s[1], wrap_scalar(Scalar::from_int(3))));
      });
      return;
    case UnaryOp::Sin: rec("SinBackward0", true, false, [](const Tensor& g, auto& s) { return mul(g, unary(UnaryOp::Cos, s[0])); }); return;
    case UnaryOp::Cos:
      rec("CosBackward0", true, false, [](const Tensor& g, auto& s) { return mul(g, unary(UnaryOp::Neg, unary(UnaryOp::Sin, s[0]))); });
      return;
    case UnaryOp::Tanh:
      rec("TanhBackward0", false, true, [one](const Tensor& g, auto& s) {
        if (autograd::is_grad_enabled()) return mul(g, binary(BinaryOp::Sub, one(), mul(s[1], s[1])));
        return binary_grad(BinaryOp::TanhBackward, g, s[1]);
      });
      return;
    case UnaryOp::Sigmoid:
      rec("SigmoidBackward0", false, true, [one](const Tensor& g, auto& s) {
        if (autograd::is_grad_enabled()) return mul(g, mul(s[1], binary(BinaryOp::Sub, one(), s[1])));
        return binary_grad(BinaryOp::SigmoidBackward, g, s[1]);
      });
      return;
    case UnaryOp::Relu:
      rec("ReluBackward0", false, true, [](const Tensor& g, auto& s) { return relu_backward(g, s[1]); });
      return;
    case UnaryOp::Expm1:
      rec("Expm1Backward0", false, true, [](const Tensor& g, auto& s) { return mul(g, add_scalar(s[1], 1.0)); });
      return;
    case UnaryOp::Exp2:
      rec("Exp2Backward0", false, true, [](const Tensor& g, auto& s) { return mul(g, mul_scalar(s[1], std::log(2.0))); });
      return;
    case UnaryOp::Log2:
      rec("Log2Backward0", true, false, [](const Tensor& g, auto& s) { return div(g, mul_scalar(s[0], std::log(2.0))); });
      return;
    case UnaryOp::Log10:
      rec("Log10Backward0", true, false, [](const Tensor& g, auto& s) { return div(g, mul_scalar(s[0], std::log(10.0))); });
      return;
    case UnaryOp::Sinh: rec("SinhBackward0", true, false, [](const Tensor& g, auto& s) { return mul(g, unary(UnaryOp::Cosh, s[0])); }); return;
    case UnaryOp::Cosh: rec("CoshBackward0", true, false, [](const Tensor& g, auto& s) { return mul(g, unary(UnaryOp::Sinh, s[0])); }); return;
    case UnaryOp::Tan:  // 1 + tan^2
      rec("TanBackward0", false, true, [](const Tensor& g, auto& s) { return mul(g, add_scalar(mul(s[1], s[1]), 1.0)); });
      return;
    case UnaryOp::Asin: case UnaryOp::Acos: {  // ±1 / sqrt(1 - x^2)
      const bool acos = op == UnaryOp::Acos;
      rec(acos ? "AcosBackward0" : "AsinBackward0", true, false, [acos](const Tensor& g, auto& s) {
        Tensor d = div(g, unary(UnaryOp::Sqrt, binary(BinaryOp::Sub, wrap_scalar(Scalar::from_int(1)), mul(s[0], s[0]))));
        return acos ? unary(UnaryOp::Neg, d) : d;
      });
      return;
    }
    case UnaryOp::Atan:
      rec("AtanBackward0", true, false, [](const Tensor& g, auto& s) { return div(g, add_scalar(mul(s[0], s[0]), 1.0)); });
      return;
    case UnaryOp::Erf:  // 2 / sqrt(pi) * exp(-x^2)
      rec("ErfBackward0", true, false, [](const Tensor& g, auto& s) {
        return mul(g, mul_scalar(unary(UnaryOp::Exp, unary(UnaryOp::Neg, mul(s[0], s[0]))), 1.1283791670955126));
      });
      return;
    case UnaryOp::Erfc:  // -2 / sqrt(pi) * exp(-x^2)
      rec("ErfcBackward0", true, false, [](const Tensor& g, auto& s) {
        return mul(g, mul_scalar(unary(UnaryOp::Exp, unary(UnaryOp::Neg, mul(s[0], s[0]))), -1.1283791670955126));
      });
      return;
    case UnaryOp::Asinh:  // 1 / sqrt(x^2 + 1)
      rec("AsinhBackward0", true, false, [](const Tensor& g, auto& s) {
        return mul(g, unary(UnaryOp::Rsqrt, add_scalar(mul(s[0], s[0]), 1.0)));
      });
      return;
    case UnaryOp::Acosh:  // 1 / sqrt(x^2 - 1), as PyTorch (+inf at +-1, NaN between)
      rec("AcoshBackward0", true, false, [](const Tensor& g, auto& s) {
        return mul(g, unary(UnaryOp::Rsqrt, add_scalar(mul(s[0], s[0]), -1.0)));
      });
      return;
    case UnaryOp::Atanh:  // 1 / (1 - x^2)
      rec("AtanhBackward0", true, false, [](const Tensor& g, auto& s) {
        return div(g, binary(BinaryOp::Sub, wrap_scalar(Scalar::from_int(1)), mul(s[0], s[0])));
      });
      return;
    case UnaryOp::Lgamma:
      rec("LgammaBackward0", true, false, [](const Tensor& g, auto& s) { return mul(g, unary(UnaryOp::Digamma, s[0])); });
      return;
    case UnaryOp::Digamma:
      rec("DigammaBackward0", true, false, [](const Tensor& g, auto& s) { return mul(g, unary(UnaryOp::Trigamma, s[0])); });
      return;
    case UnaryOp::Reciprocal:
      rec("ReciprocalBackward0", false, true, [](const Tensor& g, auto& s) { return unary(UnaryOp::Neg, mul(g, mul(s[1], s[1]))); });
      return;
    case UnaryOp::Square:
      rec("PowBackward0", true, false, [](const Tensor& g, auto& s) { return mul(g, mul_scalar(s[0], 2.0)); });
      return;
    case UnaryOp::Sign: case UnaryOp::Floor: case UnaryOp::Ceil: case UnaryOp::Round: case UnaryOp::Trunc: {
      static const char* names[] = {"SignBackward0", "FloorBackward0", "CeilBackward0", "RoundBackward0", "TruncBackward0"};
      const int k = op == UnaryOp::Sign ? 0 : op == UnaryOp::Floor ? 1 : op == UnaryOp::Ceil ? 2 : op == UnaryOp::Round ? 3 : 4;
      rec(names[k], false, false, [](const Tensor& g, auto&) { return zeros_like_t(g); });
      return;
    }
    default:
      return;
  }
}
}  // namespace

Tensor unary(UnaryOp op, const Tensor& a) {
  Tensor out = unary_forward(op, a);
  if (!is_predicate(op) && is_floating(out->dtype()) && autograd::any_requires_grad({&a})) record_unary(op, out, a);
  return out;
}

DType check_unary_out(UnaryOp op, const Tensor& a, const Tensor& out) {
  check_same_device(a, out, "unary");
  const DType compute = unary_compute_dtype(op, a);
  const DType result = is_predicate(op) ? DType::Bool : compute;
  check_out(out, result, (!is_predicate(op) && a->requires_grad()) || out->requires_grad(), "unary");
  check_no_partial_overlap(out, a);
  return compute;
}

Tensor unary_out(UnaryOp op, const Tensor& a, const Tensor& out) {
  const DType compute = check_unary_out(op, a, out);
  check_out_shape(out, a->shape(), "unary");
  const DType result = is_predicate(op) ? DType::Bool : compute;
  if (out->dtype() == result) backend(a->device()).unary(op, out, cast_to(a, compute));
  else backend(a->device()).copy(out, unary_forward(op, a));
  out->bump_version();
  return out;
}

Tensor unary_(UnaryOp op, const Tensor& self) {
  check_inplace(self);
  check_no_internal_overlap(self);
  const DType compute = unary_compute_dtype(op, self);
  check_result_fits(compute, self);
  if (autograd::any_requires_grad({&self})) {
    // PyTorch's in-place asinh_/acosh_/atanh_ have no derivative: their node (AsinhBackward1, ...)
    // refuses a backward.
    if (op == UnaryOp::Asinh || op == UnaryOp::Acosh || op == UnaryOp::Atanh) {
      const char* fn = op == UnaryOp::Asinh ? "asinh" : op == UnaryOp::Acosh ? "acosh" : "atanh";
      Tensor r;
      {
        autograd::GradModeGuard no_grad(false);
        r = unary(op, self);
      }
      autograd::record(r, op == UnaryOp::Asinh ? "AsinhBackward1" : op == UnaryOp::Acosh ? "AcoshBackward1"
                                                                                          : "AtanhBackward1",
                       {&self}, {}, [fn](const Tensor&, const SavedTensors&, auto&) -> std::vector<Tensor> {
                         throw NotImplementedError(str("the derivative for 'inplace version of ", fn,
                                                       "' is not implemented."));
                       });
      return commit_inplace(self, r);
    }
    return commit_inplace(self, unary(op, inplace_source(self)));
  }
  backend(self->device()).unary(op, self, self);
  self->bump_version();
  return self;
}

// --- clamp -------------------------------------------------------------------

namespace {
DType clamp_dtype(const Tensor& a, const std::optional<Scalar>& lo, const std::optional<Scalar>& hi) {
  FT_CHECK(lo || hi, RuntimeError, "torch.clamp: At least one of 'min' or 'max' must not be None");
  // A bool tensor with bool bounds (its result type) has no kernel, as PyTorch's (empty too).
  const bool bool_bounds = (!lo || lo->is_bool()) && (!hi || hi->is_bool());
  FT_CHECK(!(a->dtype() == DType::Bool && bool_bounds), NotImplementedError, "\"",
           lo && hi ? "clamp_scalar_cpu" : lo ? "clamp_min_scalar_cpu" : "clamp_max_scalar_cpu",
           "\" not implemented for 'Bool'");
  // A float bound lifts an integer tensor to the default float dtype.
  if (is_floating(a->dtype())) return a->dtype();
  const bool float_bound = (lo && lo->is_floating()) || (hi && hi->is_floating());
  if (float_bound) return default_dtype();
  // An integer bound lifts a bool tensor to int64 (clamp(mask, 0, 1)), as PyTorch's promotion.
  const bool int_bound = (lo && lo->kind == Scalar::Kind::Int) || (hi && hi->kind == Scalar::Kind::Int);
  return a->dtype() == DType::Bool && int_bound ? DType::Int64 : a->dtype();
}
// The bounds as the kernel takes them. An integer tensor's bounds are numbers
// of its dtype: out of range raises as fill_ does, and uint8's negative ones
// wrap (-5 is 251), as PyTorch's.
double bound(const std::optional<Scalar>& s, double none, DType dt) {
  if (!s) return none;
  if (is_floating(dt) || dt == DType::Bool) return s->d;
  check_scalar_fits(*s, dt);
  return dt == DType::UInt8 ? double(static_cast<uint8_t>(s->i)) : s->d;
}
}  // namespace

Tensor clamp(const Tensor& a, std::optional<Scalar> lo, std::optional<Scalar> hi) {
  const DType dt = clamp_dtype(a, lo, hi);
  const double inf = std::numeric_limits<double>::infinity();
  const double l = bound(lo, -inf, dt), h = bound(hi, inf, dt);
  Tensor out = empty_for_operands(a->shape(), dt, a->device(), {&a});
  backend(a->device()).unary(UnaryOp::Clamp, out, cast_to(a, dt), l, h);
  if (is_floating(dt) && autograd::any_requires_grad({&a})) {
    autograd::record(out, "ClampBackward1", {&a}, {{a}}, [l, h](const Tensor& g, const SavedTensors& s, auto&) {
      const Tensor x = s[0];
      Tensor inside = binary(BinaryOp::LogicalAnd, binary(BinaryOp::Ge, x, wrap_scalar(Scalar::from_double(l))),
                             binary(BinaryOp::Le, x, wrap_scalar(Scalar::from_double(h))));
      return std::vector<Tensor>{to_input(where(inside, g, wrap_scalar(Scalar::from_int(0))), InputMeta(x))};
    });
  }
  return out;
}

Tensor clamp_(const Tensor& self, std::optional<Scalar> lo, std::optional<Scalar> hi) {
  check_inplace(self);
  check_no_internal_overlap(self);
  check_result_fits(clamp_dtype(self, lo, hi), self);
  if (autograd::any_requires_grad({&self})) return commit_inplace(self, clamp(inplace_source(self), lo, hi));
  const double inf = std::numeric_limits<double>::infinity();
  const DType dt = self->dtype();
  backend(self->device()).unary(UnaryOp::Clamp, self, self, bound(lo, -inf, dt), bound(hi, inf, dt));
  self->bump_version();
  return self;
}

Tensor clamp_tensors(const Tensor& a, const Tensor& lo, const Tensor& hi) {
  FT_CHECK(lo || hi, RuntimeError, "torch.clamp: At least one of 'min' or 'max' must not be None");
  // A bound takes over only where it strictly wins, so at a tie the
  // gradient goes to the input, as PyTorch's.
  // A NaN bound wins everywhere (the result is NaN), as in PyTorch.
  const auto wins = [](const Tensor& beaten, const Tensor& bound) {
    return is_floating(bound->dtype()) ? binary(BinaryOp::LogicalOr, beaten, unary(UnaryOp::IsNan, bound)) : beaten;
  };
  const uint64_t since = autograd::next_sequence_nr();
  Tensor r = a;
  if (lo) r = where(wins(binary(BinaryOp::Lt, r, lo), lo), lo, r);
  if (hi) r = where(wins(binary(BinaryOp::Gt, r, hi), hi), hi, r);
  autograd::name_recorded(r, "ClampBackward0", since);
  return r;
}

Tensor div_rounded(const Tensor& a, const Tensor& b, bool floor) {
  if (!is_floating(result_type(a, b))) return floor ? binary(BinaryOp::FloorDiv, a, b) : div_trunc(a, b);
  // Piecewise constant: its gradient is 0 (PyTorch's DivBackward2), not floor_divide's refusal.
  Tensor out;
  {
    autograd::GradModeGuard no_grad(false);
    out = floor ? binary(BinaryOp::FloorDiv, a, b) : div_trunc(a, b);
  }
  if (autograd::any_requires_grad({&a, &b})) {
    autograd::record(out, "DivBackward2", {&a, &b}, {},
                     [sa = a->shape(), sb = b->shape(), ta = a->dtype(), tb = b->dtype()](
                         const Tensor& g, const SavedTensors&, auto& needs) {
                       Tensor ga, gb;
                       if (needs[0]) ga = zeros(sa, ta, g->device());
                       if (needs[1]) gb = zeros(sb, tb, g->device());
                       return std::vector<Tensor>{ga, gb};
                     });
  }
  return out;
}

Tensor div_trunc(const Tensor& a, const Tensor& b) {
  if (is_floating(result_type(a, b))) return unary(UnaryOp::Trunc, binary(BinaryOp::Div, a, b));
  FT_CHECK(result_type(a, b) != DType::Bool, NotImplementedError, "\"div_trunc_cpu\" not implemented for 'Bool'");
  // Integers exactly: the floor quotient (ZeroDivisionError for 0), one more
  // where the true quotient is negative and inexact.
  // Both in the result dtype first: uint8 // -2 divides by 254, as PyTorch.
  const DType rt = result_type(a, b);
  const Tensor ca = cast_to(a, rt), cb = cast_to(b, rt);
  Tensor q = binary(BinaryOp::FloorDiv, ca, cb);
  const Tensor zero = wrap_scalar(Scalar::from_int(0));
  Tensor inexact = binary(BinaryOp::Ne, mul(q, cb), ca);
  Tensor negative = binary(BinaryOp::Ne, binary(BinaryOp::Lt, ca, zero), binary(BinaryOp::Lt, cb, zero));
  return where(binary(BinaryOp::LogicalAnd, inexact, negative), binary(BinaryOp::Add, q, wrap_scalar(Scalar::from_int(1))), q);
}

Tensor bitwise_not(const Tensor& t) {
  if (t->dtype() == DType::Bool) return unary(UnaryOp::LogicalNot, t);
  FT_CHECK(!is_floating(t->dtype()), NotImplementedError, "\"bitwise_not_cpu\" not implemented for '",
           dtype_scalar_name(t->dtype()), "'");
  return binary(BinaryOp::BitXor, t, scalar_tensor(Scalar::from_int(-1), t->dtype(), t->device()));  // x ^ -1
}

// --- where -------------------------------------------------------------------

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  FT_CHECK(cond->dtype() == DType::Bool, RuntimeError, "where expected condition to be a boolean tensor, but got a tensor with dtype ", dtype_scalar_name(cond->dtype()));
  check_same_device(a, b, "where");
  check_same_device(cond, a, "where");
  const DType dt = result_type(a, b);
  // A Python number must fit the result dtype (where(c, int32_tensor, 2**40) overflows), as PyTorch.
  for (const Tensor* x : {&a, &b})
    if ((*x)->is_wrapped_number) check_scalar_fits(item(*x), dt);
  const Shape shape = broadcast_shapes(cond->shape(), broadcast_shapes(a->shape(), b->shape()));
  const Device dev = op_device(a, b);
  Tensor out = empty_for_operands(shape, dt, dev, {&cond, &a, &b});
  backend(dev).where(out, expand_to(cond, shape), expand_to(cast_to(a, dt), shape), expand_to(cast_to(b, dt), shape));
  if (is_floating(dt) && autograd::any_requires_grad({&a, &b})) {
    const InputMeta ma(a), mb(b);
    autograd::record(out, "WhereBackward0", {&a, &b}, {{cond}},
                     [ma, mb](const Tensor& g, const SavedTensors& s, auto& needs) {
                       Tensor zero = wrap_scalar(Scalar::from_int(0));
                       const Tensor c = s[0];
                       return std::vector<Tensor>{needs[0] ? to_input(where(c, g, zero), ma) : Tensor(),
                                                  needs[1] ? to_input(where(c, zero, g), mb) : Tensor()};
                     });
  }
  return out;
}

}  // namespace ft::ops
