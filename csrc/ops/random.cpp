// Random numbers: one counter-based generator (Philox on every device), so a
// seed gives the same stream whatever the thread count.
#include <mutex>

#include "ops/ops.h"

namespace ft::ops {

uint64_t Generator::advance(uint64_t n_values) {
  const uint64_t first = offset;
  offset += (n_values + 3) / 4;  // four values per Philox counter
  return first;
}

Generator& default_generator() {
  static Generator g;
  return g;
}

void manual_seed(uint64_t seed) {
  default_generator().seed = seed;
  default_generator().offset = 0;
}

namespace {
Generator& pick(Generator* g) { return g ? *g : default_generator(); }
}  // namespace

Tensor uniform_(const Tensor& self, double low, double high, Generator* g) {
  check_inplace(self);
  FT_CHECK(is_floating(self->dtype()), NotImplementedError, "\"check_uniform_bounds\" not implemented for '",
           dtype_scalar_name(self->dtype()), "'");
  FT_CHECK(low <= high, RuntimeError, "uniform_ expects to return a [from, to) range, but found from=", low,
           " > to=", high);
  Generator& gen = pick(g);
  const bool graph = autograd::any_requires_grad({&self});
  Tensor dst = self->is_contiguous() && !graph ? self : empty(self->shape(), self->dtype(), self->device());
  backend(self->device()).random_uniform(dst, low, high, gen.seed, gen.advance(self->numel()));
  if (graph) return commit_overwrite(self, dst, "UniformBackward0");
  if (dst != self) backend(self->device()).copy(self, dst);
  self->bump_version();
  return self;
}

Tensor normal_(const Tensor& self, double mean, double std, Generator* g) {
  check_inplace(self);
  FT_CHECK(is_floating(self->dtype()), NotImplementedError, "\"normal_kernel_cpu\" not implemented for '",
           dtype_scalar_name(self->dtype()), "'");
  FT_CHECK(std >= 0, RuntimeError, "normal expects std >= 0.0, but found std ", std);
  Generator& gen = pick(g);
  const bool graph = autograd::any_requires_grad({&self});
  Tensor dst = self->is_contiguous() && !graph ? self : empty(self->shape(), self->dtype(), self->device());
  backend(self->device()).random_normal(dst, mean, std, gen.seed, gen.advance(self->numel()));
  if (graph) return commit_overwrite(self, dst, "NormalBackward0");
  if (dst != self) backend(self->device()).copy(self, dst);
  self->bump_version();
  return self;
}

Tensor rand(const Shape& shape, DType dt, const Device& d, Generator* g) {
  return uniform_(empty(shape, dt, d), 0.0, 1.0, g);
}

Tensor randn(const Shape& shape, DType dt, const Device& d, Generator* g) {
  return normal_(empty(shape, dt, d), 0.0, 1.0, g);
}

Tensor randint(int64_t low, int64_t high, const Shape& shape, DType dt, const Device& d, Generator* g) {
  FT_CHECK(low < high, RuntimeError, "random_ expects 'from' to be less than 'to', but got from=", low,
           " >= to=", high);
  Tensor t = empty(shape, dt, d);
  Generator& gen = pick(g);
  backend(d).random_int(t, low, high, gen.seed, gen.advance(t->numel()));
  return t;
}

Tensor randperm(int64_t n, DType dt, const Device& d, Generator* g) {
  FT_CHECK(n >= 0, RuntimeError, "n must be non-negative, got", n);
  // Sort random keys: argsort is not an op yet, so shuffle on the host with
  // Fisher-Yates driven by our generator's integers.
  Tensor keys = empty(Shape{n}, DType::Int64, Device{});
  Generator& gen = pick(g);
  backend(Device{}).random_int(keys, 0, int64_t(1) << 62, gen.seed, gen.advance(n));
  Tensor perm = arange(Scalar::from_int(0), Scalar::from_int(n), Scalar::from_int(1), DType::Int64, Device{});
  int64_t* p = perm->data_as<int64_t>();
  const int64_t* k = keys->data_as<int64_t>();
  for (int64_t i = n - 1; i > 0; --i) std::swap(p[i], p[k[i] % (i + 1)]);
  return to_device(to_dtype(perm, dt), d);
}

Tensor dropout(const Tensor& a, double p, bool training) {
  FT_CHECK(p >= 0 && p <= 1, ValueError, "dropout probability has to be between 0 and 1, but got ", p);
  if (!training || p == 0) return a;
  if (p == 1) return mul(a, zeros(a->shape(), a->dtype(), a->device()));
  Tensor keep = rand(a->shape(), a->dtype(), a->device());
  Tensor mask = binary(BinaryOp::Ge, keep, wrap_scalar(Scalar::from_double(p)));
  return mul(a, mul_scalar(to_dtype(mask, a->dtype()), 1.0 / (1.0 - p)));
}

}  // namespace ft::ops
