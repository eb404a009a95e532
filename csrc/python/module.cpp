// The Python module fasttensor._C: argument conversion and calls into ops.
// No op logic lives here.
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "autograd/grad_mode.h"
#include "cpu/cpuinfo.h"
#include "cpu/parallel.h"
#include "python/convert.h"

namespace ft::cpu {
void register_cpu_backend();
}
namespace ft::cuda {
void register_cuda_backend();
int device_count();
std::string device_name(int index);
size_t memory_allocated(int index);
size_t max_memory_allocated(int index);
void reset_peak_memory_stats(int index);
void empty_cache();
bool tf32_enabled();
void set_tf32_enabled(bool);
std::vector<std::string> matmul_kernels();
std::string forced_matmul_kernel();
void force_matmul_kernel(const std::string& name);
std::vector<std::string> softmax_launches();
std::string forced_softmax_launch();
void force_softmax_launch(const std::string& name);
}  // namespace ft::cuda

namespace ft::python {

namespace {
// A seed as PyTorch takes it: an int (a bool too) in [-2^63, 2^64), negative
// ones as their two's complement.
uint64_t seed_value(py::handle seed) {
  FT_CHECK(PyLong_Check(seed.ptr()), RuntimeError, "manual_seed expected a long, but got ", Py_TYPE(seed.ptr())->tp_name);
  const unsigned long long u = PyLong_AsUnsignedLongLong(seed.ptr());
  if (!PyErr_Occurred()) return uint64_t(u);
  PyErr_Clear();
  const long long v = PyLong_AsLongLong(seed.ptr());
  if (PyErr_Occurred()) {
    PyErr_Clear();
    throw ValueError("Overflow when unpacking long long");
  }
  return uint64_t(v);
}

std::unique_ptr<Generator> copy_of(Generator& g) {
  auto copy = std::make_unique<Generator>();
  copy->device = g.device;
  const std::vector<uint8_t> state = g.get_state();
  copy->set_state(state.data(), state.size());
  std::lock_guard<std::mutex> lock(g.mutex);
  copy->offset = g.offset;
  return copy;
}

Tensor state_tensor(const std::vector<uint8_t>& bytes) {
  Tensor t = empty(Shape{int64_t(bytes.size())}, DType::UInt8);
  std::memcpy(t->data_as<uint8_t>(), bytes.data(), bytes.size());
  return t;
}
}  // namespace

void bind_tensor(py::module_& m);
void bind_functions(py::module_& m);

namespace {

// Our exception classes as the Python exceptions PyTorch raises; false for any other exception.
bool set_ft_error(std::exception_ptr p) {
  try {
    std::rethrow_exception(p);
  } catch (const IndexError& e) {
    PyErr_SetString(PyExc_IndexError, e.what());
  } catch (const TypeError& e) {
    PyErr_SetString(PyExc_TypeError, e.what());
  } catch (const ValueError& e) {
    PyErr_SetString(PyExc_ValueError, e.what());
  } catch (const NotImplementedError& e) {
    PyErr_SetString(PyExc_NotImplementedError, e.what());
  } catch (const AssertionError& e) {
    PyErr_SetString(PyExc_AssertionError, e.what());
  } catch (const RuntimeError& e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
  } catch (...) {
    return false;
  }
  return true;
}

void bind_exceptions() {
  py::register_exception_translator([](std::exception_ptr p) {
    if (p && !set_ft_error(p)) std::rethrow_exception(p);  // pybind11's own translations
  });
}

// The name a type shows in Python's own messages ("'fasttensor.dtype' object
// is not callable"), which is tp_name, apart from __module__ and __name__:
// PyTorch's dtype, device, Size, finfo and iinfo show "torch.<name>" there.
// The names are kept for the life of the process, as types keep tp_name.
void set_type_name(py::handle type, const std::string& name) {
  FT_CHECK(PyType_Check(type.ptr()) && (reinterpret_cast<PyTypeObject*>(type.ptr())->tp_flags & Py_TPFLAGS_HEAPTYPE),
           TypeError, "_set_type_name expects a class");
  static std::deque<std::string>* names = new std::deque<std::string>();
  names->push_back(name);
  reinterpret_cast<PyTypeObject*>(type.ptr())->tp_name = names->back().c_str();
}

void bind_types(py::module_& m) {
  py::class_<DTypeObject>(m, "dtype")
      .def_property_readonly("is_floating_point", [](const DTypeObject& d) { return is_floating(d.value); })
      .def_property_readonly("itemsize", [](const DTypeObject& d) { return itemsize(d.value); })
      .def("__repr__", [](const DTypeObject& d) { return std::string("fasttensor.") + dtype_name(d.value); })
      .def("__reduce__", [](const DTypeObject& d) {
        return py::make_tuple(py::module_::import("fasttensor._dtype_pickle").attr("dtype_from_name"),
                              py::make_tuple(dtype_name(d.value)));
      });
  for (int i = 0; i < kNumDTypes; ++i) {
    const DType t = static_cast<DType>(i);
    m.attr(dtype_name(t)) = dtype_object(t);
  }
  m.attr("dtype").attr("__module__") = "fasttensor";
  set_type_name(m.attr("dtype"), "fasttensor.dtype");

  py::class_<Device>(m, "device")
      .def(py::init([](py::object spec, py::object index) {
             if (py::isinstance<Device>(spec)) return spec.cast<Device>();
             Device d = py::isinstance<py::str>(spec) ? parse_device(spec.cast<std::string>()) : to_device(spec);
             if (!index.is_none()) {
               FT_CHECK(d.index < 0, RuntimeError, "type (string) must not include an index because index was passed explicitly: ",
                        std::string(py::str(spec)));
               d.index = index.cast<int>();
             }
             return d;
           }),
           py::arg("type"), py::arg("index") = py::none())
      .def_property_readonly("type", [](const Device& d) { return d.is_cpu() ? "cpu" : "cuda"; })
      .def_property_readonly("index", [](const Device& d) -> py::object {
        return d.index < 0 ? py::object(py::none()) : py::object(py::int_(d.index));
      })
      .def("__str__", &Device::str)
      .def("__repr__", [](const Device& d) {
        const char* type = d.is_cpu() ? "cpu" : "cuda";
        return d.index < 0 ? str("device(type='", type, "')") : str("device(type='", type, "', index=", d.index, ")");
      })
      .def("__eq__", [](const Device& a, py::object b) {
        if (py::isinstance<Device>(b)) {
          const Device o = b.cast<Device>();
          return a.type == o.type && a.index == o.index;
        }
        return false;
      })
      .def("__hash__", [](const Device& d) { return static_cast<int>(d.type) * 1000 + d.index; })
      .def(py::pickle([](const Device& d) { return py::make_tuple(d.str()); },
                      [](py::tuple t) { return parse_device(t[0].cast<std::string>()); }));
  m.attr("device").attr("__module__") = "fasttensor";
  set_type_name(m.attr("device"), "fasttensor.device");

  py::class_<autograd::Node, std::shared_ptr<autograd::Node>>(m, "Node")
      // PyTorch's name() of the nodes it defines in C++ carries their namespace (its repr does not).
      .def("name", &autograd::qualified_name)
      .def_property_readonly("next_functions", [](const autograd::Node& n) {
        py::tuple t(n.next_edges.size());
        for (size_t i = 0; i < n.next_edges.size(); ++i)
          t[i] = py::make_tuple(n.next_edges[i].fn ? py::cast(n.next_edges[i].fn) : py::none(),
                                n.next_edges[i].input_nr);
        return t;
      })
      .def_property_readonly("variable", [](const autograd::Node& n) -> py::object {
        if (auto* acc = dynamic_cast<const autograd::AccumulateGrad*>(&n)) return py::cast(acc->variable);
        throw py::attribute_error("'" + std::string(n.name()) + "' object has no attribute 'variable'");
      })
      .def("__repr__", [](const autograd::Node& n) {
        return str("<", n.name(), " object at 0x", std::hex, reinterpret_cast<uintptr_t>(&n), ">");
      });
}

void bind_runtime(py::module_& m) {
  m.def("get_default_dtype", [] { return dtype_object(default_dtype()); });
  m.def("set_default_dtype", [](py::object d) { set_default_dtype(to_dtype(d)); });
  m.def("is_grad_enabled", &autograd::is_grad_enabled);
  m.def("set_grad_enabled", &autograd::set_grad_enabled);
  m.def("get_num_threads", &cpu::get_num_threads);
  m.def("set_num_threads", &cpu::set_num_threads);
  m.def("_simd_level", [] { return cpu::simd_level_name(cpu::simd_level()); });
  m.def("_detected_simd_level", [] { return cpu::simd_level_name(cpu::detected_simd_level()); });
  m.def("_set_simd_level", [](const std::string& name) {
    if (name == "scalar") cpu::set_simd_level(cpu::SimdLevel::Scalar);
    else if (name == "avx2") cpu::set_simd_level(cpu::SimdLevel::AVX2);
    else if (name == "avx512") cpu::set_simd_level(cpu::SimdLevel::AVX512);
    else throw ValueError("unknown SIMD level '" + name + "' (scalar, avx2 or avx512)");
  });
  m.def("_cpu_model_name", &cpu::cpu_model_name);
  m.def("_cpu_cached_bytes", &cpu_cached_bytes);
  m.def("_cpu_empty_cache", &cpu_empty_cache);
  m.attr("_SizeBase") = make_size_base_class();
  m.def("_set_size_class", &set_size_class);
  m.def("_set_type_name", &set_type_name);
  py::class_<Generator>(m, "Generator")
      .def(py::init([](py::object device) {
             auto g = std::make_unique<Generator>();
             g->device = to_device(device);
             return g;
           }),
           py::arg("device") = "cpu")
      .def_property_readonly("device", [](const Generator& g) { return device_object(g.device); })
      .def("manual_seed", [](Generator& g, py::handle seed) -> Generator& {
        const uint64_t s = seed_value(seed);
        std::lock_guard<std::mutex> lock(g.mutex);
        g.manual_seed(s);
        return g;
      }, py::return_value_policy::reference)
      .def("seed", [](Generator& g) {
        const uint64_t s = Generator::nondeterministic_seed();
        std::lock_guard<std::mutex> lock(g.mutex);
        g.manual_seed(s);
        return s;
      })
      .def("initial_seed", [](const Generator& g) { return g.seed; })
      .def("get_state", [](Generator& g) { return state_tensor(g.get_state()); })
      .def("set_state", [](Generator& g, const Tensor& state) -> Generator& {
        FT_CHECK(state->dtype() == DType::UInt8 && state->device().is_cpu(), TypeError,
                 "expected a torch.ByteTensor, but got ", state->device().is_cpu() ? "torch." : "torch.cuda.",
                 dtype_scalar_name(state->dtype()), "Tensor");
        const Tensor bytes = ops::contiguous(state);
        g.set_state(bytes->data_as<uint8_t>(), size_t(bytes->numel()));
        return g;
      }, py::return_value_policy::reference)
      .def("clone_state", [](Generator& g) { return copy_of(g); })
      .def("get_offset", [](const Generator& g) { return g.offset; })
      .def("set_offset", [](Generator& g, uint64_t offset) -> Generator& {
        g.offset = offset;
        return g;
      }, py::return_value_policy::reference)
      // copy.deepcopy and pickle: the device and the state bytes.
      .def(py::pickle(
          [](Generator& g) {
            const std::vector<uint8_t> state = g.get_state();
            return py::make_tuple(device_object(g.device),
                                  py::bytes(reinterpret_cast<const char*>(state.data()), state.size()));
          },
          [](py::tuple t) {
            auto g = std::make_unique<Generator>();
            g->device = to_device(t[0]);
            const std::string state = t[1].cast<std::string>();
            g->set_state(reinterpret_cast<const uint8_t*>(state.data()), state.size());
            return g;
          }));
  m.attr("default_generator") = py::cast(&default_generator(), py::return_value_policy::reference);
  m.attr("_cuda_default_generator") = py::cast(&default_cuda_generator(), py::return_value_policy::reference);
  m.attr("Generator").attr("__module__") = "fasttensor";

  py::module_ cuda = m.def_submodule("_cuda");
#ifdef FT_WITH_CUDA
  cuda.attr("compiled") = true;
  cuda.def("device_count", &ft::cuda::device_count);
  cuda.def("get_device_name", &ft::cuda::device_name);
  cuda.def("memory_allocated", &ft::cuda::memory_allocated);
  cuda.def("max_memory_allocated", &ft::cuda::max_memory_allocated);
  cuda.def("reset_peak_memory_stats", &ft::cuda::reset_peak_memory_stats);
  cuda.def("empty_cache", &ft::cuda::empty_cache);
  cuda.def("synchronize", [] { if (ft::cuda::device_count() > 0) backend(Device{DeviceType::CUDA, 0}).synchronize(); });
  cuda.def("get_allow_tf32", &ft::cuda::tf32_enabled);
  cuda.def("set_allow_tf32", &ft::cuda::set_tf32_enabled);
  // For the GPU benchmark's sweep and the tests: the fp32 SIMT matmul kernels.
  cuda.def("matmul_kernels", &ft::cuda::matmul_kernels);
  cuda.def("forced_matmul_kernel", &ft::cuda::forced_matmul_kernel);
  cuda.def("force_matmul_kernel", &ft::cuda::force_matmul_kernel);
  // The same for the softmax forward's launch shapes.
  cuda.def("softmax_launches", &ft::cuda::softmax_launches);
  cuda.def("forced_softmax_launch", &ft::cuda::forced_softmax_launch);
  cuda.def("force_softmax_launch", &ft::cuda::force_softmax_launch);
#else
  cuda.attr("compiled") = false;
  cuda.def("device_count", [] { return 0; });
#endif
}

}  // namespace

// pybind11's own translation of the standard exceptions, for the slots it does not wrap.
void set_python_error() noexcept {
  const std::exception_ptr p = std::current_exception();
  if (set_ft_error(p)) return;
  try {
    std::rethrow_exception(p);
  } catch (py::error_already_set& e) {
    e.restore();
  } catch (const py::builtin_exception& e) {
    e.set_error();
  } catch (const std::bad_alloc&) {
    PyErr_SetString(PyExc_MemoryError, "std::bad_alloc");
  } catch (const std::out_of_range& e) {
    PyErr_SetString(PyExc_IndexError, e.what());
  } catch (const std::overflow_error& e) {
    PyErr_SetString(PyExc_OverflowError, e.what());
  } catch (const std::invalid_argument& e) {
    PyErr_SetString(PyExc_ValueError, e.what());
  } catch (const std::domain_error& e) {
    PyErr_SetString(PyExc_ValueError, e.what());
  } catch (const std::length_error& e) {
    PyErr_SetString(PyExc_ValueError, e.what());
  } catch (const std::range_error& e) {
    PyErr_SetString(PyExc_ValueError, e.what());
  } catch (const std::exception& e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
  } catch (...) {
    PyErr_SetString(PyExc_RuntimeError, "unknown C++ exception");
  }
}

}  // namespace ft::python

PYBIND11_MODULE(_C, m) {
  using namespace ft::python;
  m.doc() = "fasttensor's C++ core: tensors, ops, autograd and kernels";
  ft::cpu::register_cpu_backend();
#ifdef FT_WITH_CUDA
  ft::cuda::register_cuda_backend();
#endif
  bind_exceptions();
  bind_types(m);
  bind_runtime(m);
  bind_tensor(m);
  bind_functions(m);
}
