#include "core/tensor.h"

#include <algorithm>
#include <mutex>
#include <vector>

#include "core/backend.h"

namespace ft {

namespace {
DType g_default_dtype = DType::Float32;
Backend* (*g_backends[2])(int) = {nullptr, nullptr};
}  // namespace

DType default_dtype() { return g_default_dtype; }
void set_default_dtype(DType t) {
  FT_CHECK(is_floating(t), TypeError, "only floating-point types are supported as the default type");
  g_default_dtype = t;
}

void register_backend(DeviceType type, Backend* (*get)(int)) { g_backends[static_cast<int>(type)] = get; }

Backend& backend(const Device& device) {
  auto get = g_backends[static_cast<int>(device.type)];
  FT_CHECK(get != nullptr, AssertionError,
           "Torch not compiled with CUDA enabled: fasttensor was built without CUDA support (device '",
           device.str(), "')");
  return *get(device.index);
}

bool TensorImpl::is_contiguous() const {
  if (numel() == 0) return true;  // as PyTorch: no element is out of place
  int64_t expected = 1;
  for (int i = dim() - 1; i >= 0; --i) {
    if (shape_[i] == 1) continue;  // stride of a size-1 dim does not matter
    if (strides_[i] != expected) return false;
    expected *= shape_[i];
  }
  return true;
}

Tensor empty(const Shape& shape, DType dtype, Device device) {
  for (int i = 0; i < shape.size(); ++i)
    FT_CHECK(shape[i] >= 0, RuntimeError, "Trying to create tensor with negative dimension ", shape[i], ": ",
             shape.str());
  // The byte count, refused when it overflows (a wrapped count would give a
  // too-small buffer).
  int64_t nbytes = static_cast<int64_t>(itemsize(dtype));
  for (int i = 0; i < shape.size(); ++i)
    FT_CHECK(!__builtin_mul_overflow(nbytes, shape[i], &nbytes), RuntimeError,
             "Storage size calculation overflowed with sizes=", shape.str());
  auto storage = std::make_shared<Storage>(static_cast<size_t>(nbytes), device);
  return std::make_shared<TensorImpl>(std::move(storage), dtype, shape, contiguous_strides(shape), 0);
}

Tensor make_view(const Tensor& t, const Shape& shape, const Shape& strides, int64_t offset) {
  return std::make_shared<TensorImpl>(t->storage(), t->dtype(), shape, strides, offset);
}

bool is_non_overlapping_and_dense(const Tensor& t) {
  std::vector<int> dims;
  for (int i = 0; i < t->dim(); ++i)
    if (t->shape()[i] > 1) dims.push_back(i);  // size 0 or 1: any stride is dense
  std::sort(dims.begin(), dims.end(), [&](int a, int b) { return t->strides()[a] < t->strides()[b]; });
  int64_t expected = 1;
  for (int d : dims) {
    if (t->strides()[d] != expected) return false;
    expected *= t->shape()[d];
  }
  return true;
}

namespace {
// Dense strides for `size` whose dim order in memory follows the operands'
// strides (each aligned to `size`, 0 where it broadcasts): PyTorch's
// TensorIterator rule, also its infer_dense_strides for one operand. Dims are
// sorted innermost-first by a stable insertion sort; the first operand with
// unequal non-zero strides decides a pair, equal strides put the smaller size
// inner.
Shape dense_strides_following(const Shape& size, const std::vector<Shape>& strides) {
  const int n = size.size();
  std::vector<int> perm(static_cast<size_t>(n));  // perm[0]: the innermost dim
  for (int i = 0; i < n; ++i) perm[size_t(i)] = n - 1 - i;
  auto should_swap = [&](int d0, int d1) {
    for (const Shape& st : strides) {
      if (st[d0] == 0 || st[d1] == 0) continue;
      if (st[d0] != st[d1]) return st[d0] < st[d1] ? -1 : 1;
      if (size[d0] > size[d1]) return 1;
    }
    return 0;
  };
  for (int i = 1; i < n; ++i) {
    int d1 = i;
    for (int d0 = i - 1; d0 >= 0; --d0) {
      const int c = should_swap(perm[size_t(d0)], perm[size_t(d1)]);
      if (c > 0) {
        std::swap(perm[size_t(d0)], perm[size_t(d1)]);
        d1 = d0;
      } else if (c < 0) {
        break;
      }
    }
  }
  Shape out = Shape::filled(n, 1);
  int64_t next = 1;
  for (int d : perm) {
    out[d] = next;
    if (size[d] > 1) next *= size[d];
  }
  return out;
}

Tensor empty_with_strides(const Shape& shape, const Shape& strides, DType dtype, Device device) {
  if (strides == contiguous_strides(shape)) return empty(shape, dtype, device);
  int64_t numel = 1;
  for (int i = 0; i < shape.size(); ++i) numel *= shape[i];
  return make_view(empty(Shape{numel}, dtype, device), shape, strides, 0);
}
}  // namespace

Tensor empty_like(const Tensor& t, DType dtype, Device device) {
  const Shape strides =
      is_non_overlapping_and_dense(t) ? t->strides() : dense_strides_following(t->shape(), {t->strides()});
  return empty_with_strides(t->shape(), strides, dtype, device);
}

Tensor empty_for_operands(const Shape& shape, DType dtype, Device device, std::initializer_list<const Tensor*> inputs) {
  // Row-major strides on every dim (size-1 and empty ones too): the output is
  // contiguous. One pass per input, no allocation: this is every op's path.
  auto row_major = [](const TensorImpl& t) {
    int64_t expected = 1;
    for (int i = t.dim() - 1; i >= 0; --i) {
      if (t.strides()[i] != expected) return false;
      expected *= std::max<int64_t>(t.shape()[i], 1);
    }
    return true;
  };
  bool all_row_major = true;
  for (const Tensor* t : inputs) all_row_major = all_row_major && row_major(**t);
  if (all_row_major) return empty(shape, dtype, device);
  std::vector<Shape> aligned;
  const int n = shape.size();
  for (const Tensor* t : inputs) {
    const int k = (*t)->dim();
    Shape st = Shape::filled(n, 0);
    for (int i = 0; i < k; ++i) {
      const int d = n - k + i;
      st[d] = (*t)->shape()[i] == 1 && shape[d] != 1 ? 0 : (*t)->strides()[i];
    }
    aligned.push_back(st);
  }
  return empty_with_strides(shape, dense_strides_following(shape, aligned), dtype, device);
}

Tensor scalar_tensor(const Scalar& s, DType dtype, Device device) {
  Tensor t = empty(Shape{}, dtype, device);
  if (device.is_cpu()) {
    FT_DISPATCH_ALL_TYPES(dtype, "scalar_tensor", [&] { *t->data_as<scalar_t>() = s.to<scalar_t>(); });
  } else {
    backend(device).fill(t, s);
  }
  return t;
}

Tensor wrap_scalar(const Scalar& s, Device device) {
  // Python floats stay double until the kernel casts them to the compute
  // dtype; result_type counts them as the default float dtype.
  Tensor t = scalar_tensor(s, s.is_floating() ? DType::Float64 : s.natural_dtype(), device);
  t->is_wrapped_number = true;
  return t;
}

Scalar item(const Tensor& t) {
  FT_CHECK(t->numel() == 1, RuntimeError, "a Tensor with ", t->numel(),
           " elements cannot be converted to Scalar");
  Tensor src = t;
  alignas(8) unsigned char buf[8];
  const void* p = t->data();
  if (!t->device().is_cpu()) {
    Tensor one = make_view(t, Shape{}, Shape{}, t->offset());
    backend(t->device()).copy_to_host(buf, one);
    p = buf;
  }
  return FT_DISPATCH_ALL_TYPES(t->dtype(), "item", [&] {
    scalar_t v;
    std::memcpy(&v, p, sizeof v);
    if constexpr (std::is_floating_point_v<scalar_t>) return Scalar::from_double(v);
    else if constexpr (std::is_same_v<scalar_t, bool>) return Scalar::from_bool(v);
    else return Scalar::from_int(static_cast<int64_t>(v));
  });
}

std::string legacy_type_name(const Tensor& t) {
  const bool cuda = t->device().is_cuda();
  if (t->dtype() == DType::Bool) return cuda ? "CUDABoolType" : "CPUBoolType";
  return std::string(cuda ? "torch.cuda." : "torch.") + dtype_scalar_name(t->dtype()) + "Tensor";
}

}  // namespace ft
