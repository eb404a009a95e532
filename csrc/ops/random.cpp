// Random fills. A fill draws into a contiguous buffer whose order is self's
// memory order (dims by decreasing stride), as PyTorch's CPU kernels walk a
// tensor, then copies it into self; the backend makes the numbers
// (core/generator.h).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <numeric>
#include <random>

#include "ops/ops.h"

namespace ft {

uint64_t Generator::nondeterministic_seed() {
  std::random_device rd;
  return ((uint64_t(rd()) << 32) | rd()) >> 1;
}

namespace {
// Never destroyed: worker threads may draw during interpreter shutdown.
Generator* os_seeded_generator(DeviceType type) {
  auto* gen = new Generator();
  gen->device.type = type;
  gen->manual_seed(Generator::nondeterministic_seed());
  return gen;
}
}  // namespace

Generator& default_generator() {
  static Generator* g = os_seeded_generator(DeviceType::CPU);
  return *g;
}

Generator& default_cuda_generator() {
  static Generator* g = os_seeded_generator(DeviceType::CUDA);
  return *g;
}

namespace {
template <class T> void put(std::vector<uint8_t>& out, size_t at, T v) { std::memcpy(out.data() + at, &v, sizeof(T)); }
template <class T> T take(const uint8_t* in, size_t at) {
  T v;
  std::memcpy(&v, in + at, sizeof(T));
  return v;
}
constexpr size_t kWordsAt = 24, kNormalsAt = kWordsAt + 8 * MT19937::kN;  // 5016
}  // namespace

std::vector<uint8_t> Generator::get_state() {
  std::lock_guard<std::mutex> lock(mutex);
  if (device.is_cuda()) {  // the Philox key and counter, as PyTorch's CUDA generator's 16 bytes
    std::vector<uint8_t> out(16, 0);
    put<uint64_t>(out, 0, seed);
    put<uint64_t>(out, 8, offset);
    return out;
  }
  std::vector<uint8_t> out(kStateBytes, 0);
  put<uint64_t>(out, 0, seed);
  put<int32_t>(out, 8, mt.left);
  put<int32_t>(out, 12, 1);
  put<uint64_t>(out, 16, uint64_t(mt.next));
  for (int i = 0; i < MT19937::kN; ++i) put<uint64_t>(out, kWordsAt + 8 * size_t(i), mt.state[i]);
  if (next_double_normal) {
    put<double>(out, kNormalsAt + 8, *next_double_normal);
    put<int32_t>(out, kNormalsAt + 24, 1);
  }
  if (next_float_normal) {
    put<float>(out, kLegacyStateBytes, *next_float_normal);
    out[kLegacyStateBytes + 4] = 1;
  }
  return out;
}

void Generator::set_state(const uint8_t* in, size_t size) {
  if (device.is_cuda()) {
    FT_CHECK(size == 16, RuntimeError, "RNG state is wrong size");
    std::lock_guard<std::mutex> lock(mutex);
    seed = take<uint64_t>(in, 0);
    offset = take<uint64_t>(in, 8);
    return;
  }
  FT_CHECK(size == kStateBytes || size == kLegacyStateBytes, RuntimeError,
           "Expected either a CPUGeneratorImplStateLegacy of size ", kLegacyStateBytes,
           " or a CPUGeneratorImplState of size ", kStateBytes, " but found the input RNG state size to be ", size);
  const int32_t left = take<int32_t>(in, 8);
  const uint64_t next_word = take<uint64_t>(in, 16);
  FT_CHECK(left >= 1 && left <= MT19937::kN && next_word <= uint64_t(MT19937::kN) && take<int32_t>(in, 12) != 0,
           RuntimeError, "Invalid mt19937 state");
  std::lock_guard<std::mutex> lock(mutex);
  seed = take<uint64_t>(in, 0);
  mt.left = left;
  mt.next = int(next_word);
  for (int i = 0; i < MT19937::kN; ++i) mt.state[i] = uint32_t(take<uint64_t>(in, kWordsAt + 8 * size_t(i)));
  next_double_normal.reset();
  if (take<int32_t>(in, kNormalsAt + 24)) next_double_normal = take<double>(in, kNormalsAt + 8);
  next_float_normal.reset();
  if (size == kStateBytes && in[kLegacyStateBytes + 4]) next_float_normal = take<float>(in, kLegacyStateBytes);
}

namespace ops {

namespace {
Generator& pick(Generator* g, const Device& d) {
  if (g) return *g;
  return d.is_cpu() ? default_generator() : default_cuda_generator();
}

// The dims of t from outermost to innermost in memory (stable for ties).
std::vector<int64_t> memory_order(const Tensor& t) {
  std::vector<int64_t> perm(size_t(t->dim()));
  std::iota(perm.begin(), perm.end(), 0);
  std::stable_sort(perm.begin(), perm.end(), [&](int64_t a, int64_t b) {
    return t->strides()[size_t(a)] > t->strides()[size_t(b)];
  });
  return perm;
}

// self := values drawn by fill(buffer) in self's memory order.
template <class Fill>
Tensor fill_random(const Tensor& self, const char* node_name, const Fill& fill) {
  const bool graph = autograd::any_requires_grad({&self});
  if (self->is_contiguous() && !graph) {
    fill(self);
    self->bump_version();
    return self;
  }
  const std::vector<int64_t> perm = memory_order(self);
  Shape buffer_shape;
  for (int64_t d : perm) buffer_shape.push_back(self->shape()[size_t(d)]);
  Tensor buffer = empty(buffer_shape, self->dtype(), self->device());
  fill(buffer);
  std::vector<int64_t> inverse(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) inverse[size_t(perm[i])] = int64_t(i);
  Tensor values = permute(buffer, inverse);
  if (graph) return commit_overwrite(self, values, node_name);
  backend(self->device()).copy(self, values);
  self->bump_version();
  return self;
}
}  // namespace

Tensor uniform_(const Tensor& self, double low, double high, Generator* g) {
  check_inplace(self);
  FT_CHECK(is_floating(self->dtype()), NotImplementedError, "\"check_uniform_bounds\" not implemented for '",
           dtype_scalar_name(self->dtype()), "'");
  const bool single = self->dtype() == DType::Float32;
  const double largest = single ? double(std::numeric_limits<float>::max()) : std::numeric_limits<double>::max();
  const char* c_name = single ? "float" : "double";
  FT_CHECK(low >= -largest && low <= largest, RuntimeError, "from is out of bounds for ", c_name);
  FT_CHECK(high >= -largest && high <= largest, RuntimeError, "to is out of bounds for ", c_name);
  FT_CHECK(low <= high, RuntimeError, "uniform_ expects to return a [from, to) range, but found from=", low,
           " > to=", high);
  FT_CHECK(high - low <= largest, RuntimeError, "uniform_ expects to-from <= std::numeric_limits<",
           single ? "Float" : "Double", ">::max(), but found to=", high, " and from=", low,
           " which result in to-from to exceed the limit");
  check_no_internal_overlap(self);
  Generator& gen = pick(g, self->device());
  return fill_random(self, "UniformBackward0", [&](const Tensor& dst) {
    backend(dst->device()).random_uniform(dst, low, high, gen);
  });
}

Tensor normal_(const Tensor& self, double mean, double std, Generator* g) {
  check_inplace(self);
  FT_CHECK(is_floating(self->dtype()), NotImplementedError, "\"normal_kernel_cpu\" not implemented for '",
           dtype_scalar_name(self->dtype()), "'");
  FT_CHECK(std >= 0, RuntimeError, "normal expects std >= 0.0, but found std ", std);
  check_no_internal_overlap(self);
  Generator& gen = pick(g, self->device());
  const bool blocked = self->is_contiguous() && self->numel() >= 16;
  return fill_random(self, "NormalBackward0", [&](const Tensor& dst) {
    backend(dst->device()).random_normal(dst, mean, std, blocked, gen);
  });
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
  backend(d).random_int(t, low, high, pick(g, d));
  return t;
}

// PyTorch's CPU randperm: below 2^32 / 20 elements, a Fisher-Yates pass
// from the front swapping i with i + random() % (n - i); above, the
// "inside-out" form with random64() % (i + 1).
Tensor randperm(int64_t n, DType dt, const Device& d, Generator* g) {
  FT_CHECK(n >= 0, RuntimeError, "n must be non-negative, got", n);
  FT_CHECK(dt != DType::Float32 || n <= (int64_t(1) << 24) + 1, RuntimeError,
           "n cannot be greater than 2^24+1 for Float type.");
  Tensor perm = empty(Shape{n}, DType::Int64, Device{});
  int64_t* p = perm->data_as<int64_t>();
  Generator& gen = pick(g, d);  // drawn on the host, from its MT19937 words
  {
    std::lock_guard<std::mutex> lock(gen.mutex);
    if (n < int64_t(UINT32_MAX / 20)) {
      std::iota(p, p + n, int64_t(0));
      for (int64_t i = 0; i + 1 < n; ++i) std::swap(p[i], p[i + int64_t(gen.random() % uint64_t(n - i))]);
    } else {
      for (int64_t i = 0; i < n; ++i) {
        const int64_t z = int64_t(gen.random64() % uint64_t(i + 1));
        p[i] = p[z];
        p[z] = i;
      }
    }
  }
  return to_device(to_dtype(perm, dt), d);
}

namespace {
// A distribution from uniform draws, for devices whose backend draws only
// uniform numbers (u: float64 in [0, 1)). Not PyTorch's streams.
Tensor distribution_from_uniform(const Tensor& like, RandomDistribution kind, double a, double b, Generator& g) {
  const Device d = like->device();
  Tensor u = empty(like->shape(), DType::Float64, d);
  backend(d).random_uniform(u, 0.0, 1.0, g);
  switch (kind) {
    case RandomDistribution::Bernoulli: return binary(BinaryOp::Lt, u, wrap_scalar(Scalar::from_double(a)));
    case RandomDistribution::Exponential: return mul_scalar(unary(UnaryOp::Log1p, unary(UnaryOp::Neg, u)), -1.0 / a);
    case RandomDistribution::Geometric:
      return unary(UnaryOp::Ceil, mul_scalar(unary(UnaryOp::Log, u), 1.0 / std::log1p(-a)));
    case RandomDistribution::Cauchy:
      return add_scalar(mul_scalar(unary(UnaryOp::Tan, mul_scalar(add_scalar(u, -0.5), 3.141592653589793)), b), a);
    case RandomDistribution::LogNormal: {
      Tensor z = empty(like->shape(), DType::Float64, d);
      backend(d).random_normal(z, a, b, true, g);
      return unary(UnaryOp::Exp, z);
    }
    case RandomDistribution::Bits: break;
  }
  FT_CHECK(false, RuntimeError, "random_distribution: unknown kind");
  return u;
}
}  // namespace

Tensor random_distribution_(const Tensor& self, RandomDistribution kind, double a, double b, Generator* g) {
  check_inplace(self);
  check_no_internal_overlap(self);
  Generator& gen = pick(g, self->device());
  static const char* const names[] = {"BernoulliBackward2", "ExponentialBackward0", "GeometricBackward0",
                                      "CauchyBackward0",    "LogNormalBackward0",   "RandomBackward2"};
  return fill_random(self, names[int(kind)], [&](const Tensor& dst) {
    if (dst->device().is_cpu()) {
      backend(dst->device()).random_distribution(dst, kind, a, b, gen);
    } else if (kind == RandomDistribution::Bits) {
      const int64_t top = dst->dtype() == DType::Float64 ? (int64_t(1) << 53) + 1
                          : dst->dtype() == DType::Float32 ? (int64_t(1) << 24) + 1
                          : dst->dtype() == DType::Int32   ? int64_t(1) << 31
                          : dst->dtype() == DType::UInt8   ? 256
                          : dst->dtype() == DType::Bool    ? 2
                                                           : std::numeric_limits<int64_t>::max();
      backend(dst->device()).random_int(dst, 0, top, gen);
    } else {
      backend(dst->device()).copy(dst, distribution_from_uniform(dst, kind, a, b, gen));
    }
  });
}

Tensor random_(const Tensor& self, int64_t low, int64_t high, Generator* g) {
  check_inplace(self);
  check_no_internal_overlap(self);
  // high == INT64_MIN stands for 2^63 (random_(from, None) on int64).
  FT_CHECK(low < high || high == std::numeric_limits<int64_t>::min(), RuntimeError,
           "random_ expects 'from' to be less than 'to', but got from=", low, " >= to=", high);
  Generator& gen = pick(g, self->device());
  return fill_random(self, "RandomBackward0", [&](const Tensor& dst) {
    backend(dst->device()).random_int(dst, low, high, gen);
  });
}

// PyTorch's poisson: a fresh contiguous tensor of the rates' shape and dtype,
// whose elements draw in row-major order (the order PyTorch's iterator walks
// that output; CUDA: element i of that order owns a stream), whatever the
// rates' layout. The draw is not differentiated: the rates get a zero
// gradient (PoissonBackward0).
Tensor poisson(const Tensor& rate, Generator* g) {
  FT_CHECK(is_floating(rate->dtype()), NotImplementedError, "\"poisson_", rate->device().is_cpu() ? "cpu" : "cuda",
           "\" not implemented for '", dtype_scalar_name(rate->dtype()), "'");
  Tensor out = empty(rate->shape(), rate->dtype(), rate->device());
  backend(rate->device()).random_poisson(out, contiguous(detach(rate)), pick(g, rate->device()));
  if (autograd::any_requires_grad({&rate})) {
    autograd::record(out, "PoissonBackward0", {&rate}, {},
                     [](const Tensor& grad, const autograd::SavedTensors&, auto&) {
                       return std::vector<Tensor>{zeros(grad->shape(), grad->dtype(), grad->device())};
                     });
  }
  return out;
}

// PyTorch's binomial: the output starts as zeros of count's shape, into which
// the iterator broadcasts prob; where prob's shape widens it (PyTorch resizes
// it and warns: fasttensor.binomial gives the warning) it takes the inputs'
// memory order, as any elementwise output. The elements draw in the output's
// memory order. No derivative: an input that requires grad gives a
// NotImplemented node whose backward raises, as PyTorch's.
Tensor binomial(const Tensor& count, const Tensor& prob, Generator* g) {
  FT_CHECK(is_floating(count->dtype()), ValueError, "binomial only supports floating-point dtypes for count, got: ",
           dtype_scalar_name(count->dtype()));
  FT_CHECK(is_floating(prob->dtype()), ValueError, "binomial only supports floating-point dtypes for prob, got: ",
           dtype_scalar_name(prob->dtype()));
  check_same_device(count, prob, "binomial");
  const Shape shape = broadcast_shapes(count->shape(), prob->shape());
  FT_CHECK(prob->dtype() == count->dtype(), RuntimeError, "Found dtype ", dtype_scalar_name(prob->dtype()),
           " but expected ", dtype_scalar_name(count->dtype()));
  const Device device = count->device();
  Tensor out = shape == count->shape() ? empty(shape, count->dtype(), device)
                                       : empty_for_operands(shape, count->dtype(), device, {&count, &prob});
  // out's dims outermost to innermost in memory: a permutation under which
  // out is contiguous, and the inputs are copied in that order.
  const std::vector<int64_t> perm = memory_order(out);
  auto in_draw_order = [&](const Tensor& t) { return contiguous(permute(expand_to(detach(t), shape), perm)); };
  backend(device).random_binomial(permute(out, perm), in_draw_order(count), in_draw_order(prob), pick(g, device));
  if (autograd::any_requires_grad({&count, &prob})) {
    autograd::record(out, "NotImplemented", {&count, &prob}, {},
                     [](const Tensor&, const autograd::SavedTensors&, auto&) -> std::vector<Tensor> {
                       throw RuntimeError("derivative for aten::binomial is not implemented");
                     });
  }
  return out;
}

// PyTorch's CPU dropout: noise = Bernoulli(1 - p) draws in the input's dtype,
// divided by (1 - p), times the input (its gradient: the same noise).
Tensor dropout(const Tensor& a, double p, bool training) {
  FT_CHECK(p >= 0 && p <= 1, ValueError, "dropout probability has to be between 0 and 1, but got ", p);
  if (!training || p == 0 || a->numel() == 0) return a;
  if (p == 1) return mul(a, zeros(a->shape(), a->dtype(), a->device()));
  FT_CHECK(is_floating(a->dtype()), RuntimeError, "result type Float can't be cast to the desired output type ",
           dtype_scalar_name(a->dtype()));
  Tensor noise = empty_like(a, a->dtype(), a->device());  // drawn in a's memory order
  random_distribution_(noise, RandomDistribution::Bernoulli, 1.0 - p, 0.0, nullptr);
  return mul(a, div(noise, wrap_scalar(Scalar::from_double(1.0 - p))));
}

}  // namespace ops
}  // namespace ft
