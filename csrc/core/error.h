// Errors: each C++ exception class becomes the Python exception PyTorch raises
// for the same mistake (the bindings translate them).
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace ft {

struct RuntimeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct IndexError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct TypeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct ValueError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct NotImplementedError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// PyTorch's AssertionError for "Torch not compiled with CUDA enabled".
struct AssertionError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Concatenates anything streamable: str("shape ", s, " vs ", t).
template <class... Args>
std::string str(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}

}  // namespace ft

// FT_CHECK(cond, ErrorType, message parts...)
#define FT_CHECK(COND, ERR, ...)                       \
  do {                                                 \
    if (!(COND)) throw ::ft::ERR(::ft::str(__VA_ARGS__)); \
  } while (0)
