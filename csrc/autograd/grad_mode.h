// Grad mode: whether ops record the graph. Thread-local, as in PyTorch.
#pragma once

namespace ft::autograd {

bool is_grad_enabled();
void set_grad_enabled(bool enabled);

// RAII guard: sets grad mode for a scope and restores it after.
class GradModeGuard {
 public:
  explicit GradModeGuard(bool enabled) : prev_(is_grad_enabled()) { set_grad_enabled(enabled); }
  ~GradModeGuard() { set_grad_enabled(prev_); }
  GradModeGuard(const GradModeGuard&) = delete;
  GradModeGuard& operator=(const GradModeGuard&) = delete;

 private:
  bool prev_;
};

}  // namespace ft::autograd
