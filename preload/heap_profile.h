// Turns the profiler's tables into a pprof heap profile (PPROF.md recipe (a)), gzipped.
//
// The result is exactly what Go's runtime/pprof writes for a heap profile, minus symbols:
// four sample types in Go's order, values already unbiased per (stack, size) record, period_type
// space/bytes, one Mapping per executable segment (main executable first, build IDs), one
// Location per distinct address, and a numeric "bytes" label. One difference: a stack's sizes
// beyond its first few share one sample, labelled with their mean size (site_counters.h). The
// offline symbolizer adds functions and lines.
//
// Reads the tables with atomic loads only, so it is correct whatever the other threads are doing
// (a stack or tally still being written is left for the next dump). All memory comes from the
// caller's Arena; zlib is given the arena as its allocator. Async-signal-safe.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "internal_alloc.h"
#include "profiler.h"

namespace leaktrack {

struct EncodedProfile {
  const char* data = nullptr;
  size_t size = 0;
};

// How big this dump will be, from one pass over the tables. The tables may grow while we write;
// entries beyond the plan are left for the next dump, so the plan bounds every buffer.
struct DumpPlan {
  uint64_t samples = 0;        // tallies with allocations
  uint64_t frames = 0;         // sum of their stack depths
  uint64_t max_locations = 0;  // bound on distinct addresses
  size_t arena_bytes = 0;      // an Arena of this size holds the whole dump
};
DumpPlan PlanDump(const Profiler& profiler);

// Builds the gzipped profile into arena memory. False on failure (errno set: ENOMEM when the
// arena ran out of room, or the /proc error).
[[nodiscard]] bool BuildHeapProfile(const Profiler& profiler, const DumpPlan& plan, Arena* arena,
                                    EncodedProfile* out);

// The same without gzip, for tests that decode it directly.
[[nodiscard]] bool BuildRawHeapProfile(const Profiler& profiler, const DumpPlan& plan,
                                       Arena* arena, EncodedProfile* out);

// Go's scaleHeapSample (PPROF.md §5): unbiases a (count, bytes) pair of one object size.
void ScaleHeapSample(uint64_t count, uint64_t size, uint64_t rate, int64_t* out_count,
                     int64_t* out_bytes);

}  // namespace leaktrack
