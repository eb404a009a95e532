// The CUDA caching allocator and its statistics (fasttensor.cuda.memory_allocated ...).
#pragma once

#include <cstddef>

#include "core/storage.h"

namespace ft::cuda {

// The allocator of device `index` (blocks stay cached when freed).
Allocator& device_allocator(int index);

size_t memory_allocated(int index);
size_t max_memory_allocated(int index);
size_t memory_reserved(int index);
void reset_peak_memory_stats(int index);
// Gives every cached block of every device back to the driver.
void empty_cache();

}  // namespace ft::cuda
