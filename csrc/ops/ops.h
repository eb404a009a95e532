// The C++ API of every op. Each op is defined once, in the file named beside
// its group: checks, output shape and dtype, the kernel call through
// backend(), and the backward formula.
#pragma once

#include <optional>
#include <utility>
#include <vector>

#include "autograd/node.h"
#include "core/backend.h"
#include "core/tensor.h"

namespace ft::ops {

// --- helpers.cpp: broadcasting, promotion, sum_to -------------------------
Shape broadcast_shapes(const Shape& a, const Shape& b);
// PyTorch's result_type: dimensioned tensors outrank 0-d ones, which outrank
// Python numbers, unless a lower rank brings a higher category.
DType result_type(const Tensor& a, const Tensor& b);
// PyTorch's can_cast: no float to integer, nothing but bool to bool.
bool can_cast(DType from, DType to);
void check_same_device(const Tensor& a, const Tensor& b, const char* op);
// A view of t broadcast to shape (stride 0 on new or size-1 dims).
Tensor expand_to(const Tensor& t, const Shape& shape);
// t in dtype dt (t itself when it already is).
Tensor cast_to(const Tensor& t, DType dt);
// Sums grad over the dims that broadcasting added or stretched, to `shape`.
Tensor sum_to(const Tensor& grad, const Shape& shape);

// --- elementwise.cpp -------------------------------------------------------
Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b);
// In place: self op= other (other broadcast to self). Returns self.
Tensor binary_(BinaryOp op, const Tensor& self, const Tensor& other);
Tensor unary(UnaryOp op, const Tensor& a);
// out= forms: write into an existing tensor of the result's shape (no autograd).
Tensor binary_out(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out);
Tensor unary_out(UnaryOp op, const Tensor& a, const Tensor& out);
// Everything binary_out / unary_out check but out's shape (devices, autograd, the dtype out must
// hold, overlaps), for a caller to run before it resizes out: a refused call leaves out as it was.
// Returns the dtype the op computes in.
DType check_binary_out(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out);
DType check_unary_out(UnaryOp op, const Tensor& a, const Tensor& out);
Tensor unary_(UnaryOp op, const Tensor& self);
Tensor clamp(const Tensor& a, std::optional<Scalar> min, std::optional<Scalar> max);
Tensor clamp_(const Tensor& self, std::optional<Scalar> min, std::optional<Scalar> max);
// Tensor bounds (either may be undefined): elementwise, broadcast, promoted.
Tensor clamp_tensors(const Tensor& a, const Tensor& min, const Tensor& max);
// a / b rounded toward zero (div(rounding_mode='trunc')): exact for integers.
Tensor div_trunc(const Tensor& a, const Tensor& b);
// div(rounding_mode='floor' | 'trunc'): floor_divide / div_trunc with a zero gradient.
Tensor div_rounded(const Tensor& a, const Tensor& b, bool floor);
// ~x: logical not of bool, every bit flipped of integers.
Tensor bitwise_not(const Tensor& t);
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
inline Tensor add(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Add, a, b); }
inline Tensor sub(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Sub, a, b); }
inline Tensor mul(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Mul, a, b); }
inline Tensor div(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Div, a, b); }
Tensor mul_scalar(const Tensor& a, double s);
Tensor add_scalar(const Tensor& a, double s);

// --- tensor.cpp: copies, conversions, fills --------------------------------
Tensor contiguous(const Tensor& a);
// A contiguous copy (recorded as CloneBackward0).
Tensor clone(const Tensor& a);
// Tensor.clone(): the copy keeps a's layout when a is dense (PyTorch's preserve_format).
Tensor clone_preserving(const Tensor& a);
Tensor to_dtype(const Tensor& a, DType dt);
Tensor to_device(const Tensor& a, const Device& d);
// dst[...] = src broadcast to dst's shape (dtype converted). Returns dst.
Tensor copy_(const Tensor& dst, const Tensor& src);
// g placed into zeros of shape `outer` at the region (shape, strides, offset) of a contiguous tensor:
// a view's gradient laid onto its base. Differentiable (its backward reads the region back), so
// gradients through views stay differentiable under create_graph.
Tensor embed_region(const Tensor& g, const Shape& outer, const Shape& shape, const Shape& strides, int64_t offset);
// An in-place op written as its out-of-place result copied into self: self's
// node takes the result's name (sin_ leaves SinBackward0, as PyTorch's, not
// CopyBackwards; into a view, CopySlices as PyTorch's). Returns self.
Tensor copy_result_(const Tensor& self, const Tensor& result);
Tensor fill_(const Tensor& self, const Scalar& v);
// fill_ recorded under the given backward name (fill_ from a 0-d tensor: FillBackward3).
Tensor fill_named(const Tensor& self, const Scalar& v, const char* name);
Tensor zero_(const Tensor& self);
Tensor detach(const Tensor& a);
// Raises for an in-place op on a leaf that requires grad (outside no_grad),
// or on a view of one.
void check_inplace(const Tensor& self);
// The in-place op under autograd: r was computed out of place from self;
// self takes r's values and history. When self is a view, its base's history
// becomes "old base with this region replaced by r" (PyTorch's CopySlices).
Tensor commit_inplace(const Tensor& self, const Tensor& r);
// masked_fill with a 0-d tensor value: cast to a's dtype (as PyTorch) and differentiable.
Tensor masked_fill(const Tensor& a, const Tensor& mask, const Tensor& value);
// PyTorch's refusals of writes whose result would depend on element order:
// an output with several elements at one address (an expanded view), and an
// input that partly overlaps the output (x[1:] += x[:-1], x += x.t()).
void check_no_internal_overlap(const Tensor& out);
// Whether t has several elements at one address (a stride 0 over a dim of size > 1): PyTorch's
// MemOverlap::Yes, for which masked_fill_, index_fill_ and index_put_ warn and write anyway.
bool has_internal_overlap(const Tensor& t);
// An in-place result of dtype `result` must fit self (no float into an integer
// tensor, only bool into bool): PyTorch's "result type ... can't be cast".
void check_inplace_result(DType result, const Tensor& self);
// A number stored into a tensor of dtype dt (full, fill_, masked_fill, x[i] = v)
// must fit it, as PyTorch: 300 into uint8 or NaN into int64 raise.
void check_scalar_fits(const Scalar& v, DType dt);
// PyTorch's refusal to write out while reading in from part of its memory (in at out's exact
// layout is allowed: elementwise in place); check_no_overlap refuses that too (cat's rule).
void check_no_partial_overlap(const Tensor& out, const Tensor& in);
void check_no_overlap(const Tensor& out, const Tensor& in);
// self's values, copied, carrying self's autograd history: the input an
// in-place op computes from, so its backward may save it while self changes.
Tensor inplace_source(const Tensor& self);
// self := values (fill_, zero_, the random fills) where self's old values do
// not matter: under autograd its history gets a zero gradient (node `name`).
Tensor commit_overwrite(const Tensor& self, const Tensor& values, const char* name);

// --- creation.cpp ----------------------------------------------------------
Tensor zeros(const Shape& shape, DType dt, const Device& d = Device{});
Tensor ones(const Shape& shape, DType dt, const Device& d = Device{});
Tensor full(const Shape& shape, const Scalar& v, DType dt, const Device& d = Device{});
// full() in like's layout when that is dense (empty_like).
Tensor full_like(const Tensor& like, const Scalar& v, DType dt, const Device& d);
Tensor arange(const Scalar& start, const Scalar& end, const Scalar& step, std::optional<DType> dt,
              const Device& d = Device{});
Tensor linspace(const Scalar& start, const Scalar& end, int64_t steps, DType dt, const Device& d = Device{});
Tensor eye(int64_t n, int64_t m, DType dt, const Device& d = Device{});

// --- view.cpp: views share storage; backward maps the gradient back -------
Tensor view(const Tensor& a, const std::vector<int64_t>& shape);
Tensor reshape(const Tensor& a, const std::vector<int64_t>& shape);
Tensor transpose(const Tensor& a, int64_t d0, int64_t d1);
Tensor t(const Tensor& a);
// x.mT / x.mH / x.adjoint() (name "mT", "mH", "adjoint()"): the last two dims swapped; x.H (name "H"): 2-D only.
Tensor matrix_transpose(const Tensor& a, const std::string& name);
// A new tensor object over the same data (x[...] returns one).
Tensor alias(const Tensor& a);
Tensor permute(const Tensor& a, const std::vector<int64_t>& dims);
Tensor expand(const Tensor& a, const std::vector<int64_t>& shape);
// The offset-th diagonal over dim1 and dim2 as the last dim: a strided view.
Tensor diagonal(const Tensor& a, int64_t offset, int64_t dim1, int64_t dim2);
// Tensor.view(dtype): the same bytes as another dtype of the same size.
Tensor view_as_dtype(const Tensor& a, DType dt);
// Tensor.unfold(dim, size, step): the windows along dim as a view (last dim: a window).
Tensor unfold(const Tensor& a, int64_t dim, int64_t size, int64_t step);
// all: every size-1 dim (squeeze()); else those of dims that have size 1 (none for an empty list).
Tensor squeeze(const Tensor& a, const std::vector<int64_t>& dims, bool all = false);
Tensor unsqueeze(const Tensor& a, int64_t dim);
Tensor flatten(const Tensor& a, int64_t start, int64_t end);
// a[..., start:end:step, ...] along dim (start/end already clamped by caller or not: clamped here).
Tensor slice(const Tensor& a, int64_t dim, std::optional<int64_t> start, std::optional<int64_t> end, int64_t step);
Tensor narrow(const Tensor& a, int64_t dim, int64_t start, int64_t length);
Tensor select(const Tensor& a, int64_t dim, int64_t index);
std::vector<Tensor> split(const Tensor& a, int64_t split_size, int64_t dim);
std::vector<Tensor> split_with_sizes(const Tensor& a, const std::vector<int64_t>& sizes, int64_t dim);
std::vector<Tensor> chunk(const Tensor& a, int64_t chunks, int64_t dim);
std::vector<Tensor> unbind(const Tensor& a, int64_t dim);
// Coordinate grids of 0-d/1-D tensors, as expanded views; indexing "ij" or "xy".
std::vector<Tensor> meshgrid(const std::vector<Tensor>& ts, const std::string& indexing);
// Turns -1 into the inferred size and checks the element count.
Shape infer_shape(const std::vector<int64_t>& shape, int64_t numel);

// --- join.cpp ---------------------------------------------------------------
Tensor cat(const std::vector<Tensor>& ts, int64_t dim);
Tensor stack(const std::vector<Tensor>& ts, int64_t dim);
// a tiled repeats[i] times along dim i (extra leading repeats add dims): a copy.
Tensor repeat(const Tensor& a, const std::vector<int64_t>& repeats);

// --- reduce.cpp --------------------------------------------------------------
// dims empty: all dims.
Tensor sum(const Tensor& a, const std::vector<int64_t>& dims, bool keepdim, std::optional<DType> dt = {});
Tensor mean(const Tensor& a, const std::vector<int64_t>& dims, bool keepdim, std::optional<DType> dt = {});
// dt: the result's dtype (the input cast to it first); by default int64 for integers.
Tensor prod(const Tensor& a, std::optional<int64_t> dim, bool keepdim, std::optional<DType> dt = std::nullopt);
Tensor amax(const Tensor& a, const std::vector<int64_t>& dims, bool keepdim);
Tensor amin(const Tensor& a, const std::vector<int64_t>& dims, bool keepdim);
// max() / min() of everything: amax / amin over all dims, but (as PyTorch's MaxBackward1) a NaN
// result's gradient goes to the NaNs, where amax's is NaN.
Tensor max_all(const Tensor& a);
Tensor min_all(const Tensor& a);
// max(dim) / min(dim): (values, indices).
std::pair<Tensor, Tensor> max_dim(const Tensor& a, int64_t dim, bool keepdim);
std::pair<Tensor, Tensor> min_dim(const Tensor& a, int64_t dim, bool keepdim);
Tensor argmax(const Tensor& a, std::optional<int64_t> dim, bool keepdim);
Tensor argmin(const Tensor& a, std::optional<int64_t> dim, bool keepdim);
Tensor all(const Tensor& a, const std::vector<int64_t>& dims, bool keepdim);
Tensor any(const Tensor& a, const std::vector<int64_t>& dims, bool keepdim);
Tensor var(const Tensor& a, const std::vector<int64_t>& dims, double correction, bool keepdim);
Tensor std(const Tensor& a, const std::vector<int64_t>& dims, double correction, bool keepdim);
Tensor cumsum(const Tensor& a, int64_t dim, std::optional<DType> dt = {});
Tensor norm(const Tensor& a, double p, const std::vector<int64_t>& dims, bool keepdim);

// --- linalg.cpp ---------------------------------------------------------------
Tensor matmul(const Tensor& a, const Tensor& b);
Tensor mm(const Tensor& a, const Tensor& b);
Tensor mv(const Tensor& a, const Tensor& v);
Tensor dot(const Tensor& a, const Tensor& b);
Tensor bmm(const Tensor& a, const Tensor& b);
// x @ w.T + b (nn.functional.linear), b may be undefined.
Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b);

// --- softmax.cpp --------------------------------------------------------------
Tensor softmax(const Tensor& a, int64_t dim, std::optional<DType> dt = {});
Tensor log_softmax(const Tensor& a, int64_t dim, std::optional<DType> dt = {});

// --- loss.cpp -----------------------------------------------------------------
enum class Reduction { None, Mean, Sum };
Reduction parse_reduction(const std::string& s);
Tensor cross_entropy(const Tensor& input, const Tensor& target, Reduction r, int64_t ignore_index = -100);
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction r);

// --- index.cpp ----------------------------------------------------------------
struct IndexItem {
  enum class Kind : uint8_t { Int, Slice, None, Ellipsis, Tensor, Bool } kind = Kind::Int;
  int64_t i = 0;  // Int
  std::optional<int64_t> start, stop;  // Slice
  int64_t step = 1;
  ft::Tensor t;  // Tensor (int64 or bool)
  bool b = false;  // Bool
};
Tensor index(const Tensor& self, const std::vector<IndexItem>& items);
// self[items] = value (value broadcast to the indexed shape). Returns self.
Tensor index_put_(const Tensor& self, const std::vector<IndexItem>& items, const Tensor& value);
Tensor nonzero(const Tensor& a);
Tensor masked_fill(const Tensor& a, const Tensor& mask, const Scalar& v);
// a's slices along dim at idx (int32/int64, 0-d or 1-D, entries in [0, size)).
Tensor index_select(const Tensor& a, int64_t dim, const Tensor& idx);
// out[...][i][...] = a[...][idx[...][i][...]][...] along dim; idx has a's number of dims.
Tensor gather(const Tensor& a, int64_t dim, const Tensor& idx);
// Stable sorts along dim (NaN largest): (values, indices); argsort: the indices.
std::pair<Tensor, Tensor> sort(const Tensor& a, int64_t dim, bool descending);
Tensor argsort(const Tensor& a, int64_t dim, bool descending);
// The k largest (or smallest) along dim, sorted: (values, indices).
std::pair<Tensor, Tensor> topk(const Tensor& a, int64_t k, int64_t dim, bool largest, bool sorted);

// --- random.cpp ---------------------------------------------------------------
Tensor rand(const Shape& shape, DType dt, const Device& d, Generator* g = nullptr);
Tensor randn(const Shape& shape, DType dt, const Device& d, Generator* g = nullptr);
Tensor randint(int64_t low, int64_t high, const Shape& shape, DType dt, const Device& d, Generator* g = nullptr);
Tensor randperm(int64_t n, DType dt, const Device& d, Generator* g = nullptr);
Tensor uniform_(const Tensor& self, double low, double high, Generator* g = nullptr);
Tensor normal_(const Tensor& self, double mean, double std, Generator* g = nullptr);
// self := draws of a distribution (PyTorch's on the CPU; from uniform draws elsewhere).
Tensor random_distribution_(const Tensor& self, RandomDistribution kind, double a, double b, Generator* g = nullptr);
// self := integers uniform in [low, high) (random_(from, to)); high = INT64_MIN
// means 2^63, and with low = INT64_MIN too the whole int64 range.
Tensor random_(const Tensor& self, int64_t low, int64_t high, Generator* g = nullptr);
Tensor dropout(const Tensor& a, double p, bool training);
// Poisson counts of mean rate (float rate; rate's shape and dtype, contiguous).
Tensor poisson(const Tensor& rate, Generator* g = nullptr);
// Binomial(count, prob) draws (floating count and prob of one dtype, broadcast).
Tensor binomial(const Tensor& count, const Tensor& prob, Generator* g = nullptr);

// --- optim.cpp: fused parameter updates (no autograd) -------------------------
// sgd_step over a list (momentum_bufs[i] null without momentum): runs of
// parameters on one device with one dtype go to the backend together.
void sgd_steps(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
               const std::vector<Tensor>& momentum_bufs, double lr, double momentum, double dampening,
               double weight_decay, bool nesterov, const std::vector<bool>& first);
void adam_step(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq, double lr,
               double beta1, double beta2, double eps, double weight_decay, bool decoupled, int64_t step);

}  // namespace ft::ops
