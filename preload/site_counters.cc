// See site_counters.h.
#include "site_counters.h"

#include "sample_math.h"
#include "sampler.h"

namespace leaktrack {

size_t SiteCounters::MemoryNeeded(uint64_t stacks) { return stacks * sizeof(Site); }

void SiteCounters::Init(void* memory, uint64_t stacks, uint64_t rate) {
  sites_ = static_cast<Site*>(memory);
  capacity_ = stacks;
  rate_ = rate;
  evicted_stacks_.store(0, std::memory_order_relaxed);
  evicted_objects_.store(0, std::memory_order_relaxed);
  evicted_bytes_.store(0, std::memory_order_relaxed);
}

int SiteCounters::FindSlot(Site& site, uint64_t size, bool claim) {
  const uint64_t key = size + 1;  // a sampled malloc(0) has size 0; 0 means "unclaimed"
  for (int k = 0; k < kExactSizes; ++k) {
    uint64_t seen = site.size_plus_one[k].load(std::memory_order_acquire);
    if (seen == 0) {
      if (!claim) return -1;  // slots fill in order: this size was never claimed
      // Acquire on failure, release on success: a reader of the size sees it whole. A size can
      // end up in one slot only, because every slot before this one held another size.
      if (site.size_plus_one[k].compare_exchange_strong(seen, key, std::memory_order_acq_rel,
                                                        std::memory_order_acquire)) {
        return k;
      }
    }
    if (seen == key) return k;
  }
  return -1;
}

void SiteCounters::MixedWeight(uint64_t size, uint64_t* weight, uint64_t* bytes) const {
  // Rounded once here and nowhere else, so a free subtracts exactly what its allocation added.
  const double scale = SampleScale(size, rate_);
  *weight = RoundNonNegative(scale * static_cast<double>(kWeightOne));
  *bytes = RoundNonNegative(scale * static_cast<double>(size));
}

void SiteCounters::AddAlloc(uint32_t stack, uint64_t size) {
  if (stack >= capacity_) return;
  Site& site = sites_[stack];
  if (const int k = FindSlot(site, size, /*claim=*/true); k >= 0) {
    site.allocs[k].fetch_add(1, std::memory_order_relaxed);
    return;
  }
  uint64_t weight, bytes;
  MixedWeight(size, &weight, &bytes);
  site.mixed_alloc_bytes.fetch_add(bytes, std::memory_order_relaxed);
  site.mixed_alloc_weight.fetch_add(weight, std::memory_order_relaxed);
}

// Adds `sign` (+1, or -1 to undo) frees of `size` to the stack's tally. Unsigned addition wraps,
// so adding the negated amount subtracts. Release pairs with the acquire loads of the free
// counters in Get(): a reader that sees this free also sees the allocation before it.
void SiteCounters::AdjustFrees(uint32_t stack, uint64_t size, int64_t sign) {
  if (stack >= capacity_) return;
  Site& site = sites_[stack];
  const uint64_t step = static_cast<uint64_t>(sign);
  if (const int k = FindSlot(site, size, /*claim=*/false); k >= 0) {
    site.frees[k].fetch_add(step, std::memory_order_release);
    return;
  }
  uint64_t weight, bytes;
  MixedWeight(size, &weight, &bytes);
  site.mixed_free_bytes.fetch_add(step * bytes, std::memory_order_release);
  site.mixed_free_weight.fetch_add(step * weight, std::memory_order_release);
}

void SiteCounters::Evict(uint32_t stack) {
  if (stack >= capacity_) return;
  Site& site = sites_[stack];
  // Exact tallies are unbiased per object here as the dump would (MixedWeight rounds per object,
  // the dump per tally: the two differ by less than one object's rounding per sample).
  uint64_t objects = site.mixed_alloc_weight.load(std::memory_order_relaxed);
  uint64_t bytes = site.mixed_alloc_bytes.load(std::memory_order_relaxed);
  for (int k = 0; k < kExactSizes; ++k) {
    const uint64_t key = site.size_plus_one[k].load(std::memory_order_relaxed);
    if (key == 0) break;
    const uint64_t n = site.allocs[k].load(std::memory_order_relaxed);
    uint64_t weight, size_bytes;
    MixedWeight(key - 1, &weight, &size_bytes);
    objects += n * weight;
    bytes += n * size_bytes;
  }
  evicted_objects_.fetch_add(objects, std::memory_order_relaxed);
  evicted_bytes_.fetch_add(bytes, std::memory_order_relaxed);
  evicted_stacks_.fetch_add(1, std::memory_order_relaxed);
  for (int k = 0; k < kExactSizes; ++k) {
    site.size_plus_one[k].store(0, std::memory_order_relaxed);
    site.allocs[k].store(0, std::memory_order_relaxed);
    site.frees[k].store(0, std::memory_order_relaxed);
  }
  site.mixed_alloc_weight.store(0, std::memory_order_relaxed);
  site.mixed_alloc_bytes.store(0, std::memory_order_relaxed);
  site.mixed_free_weight.store(0, std::memory_order_relaxed);
  site.mixed_free_bytes.store(0, std::memory_order_relaxed);
}

SiteCounters::Evicted SiteCounters::evicted() const {
  return Evicted{evicted_stacks_.load(std::memory_order_relaxed),
                 evicted_objects_.load(std::memory_order_relaxed),
                 evicted_bytes_.load(std::memory_order_relaxed)};
}

bool SiteCounters::Get(uint64_t stack, int index, Tally* out) const {
  if (stack >= capacity_ || index < 0 || index >= kTallies) return false;
  const Site& site = sites_[stack];
  // Frees first: a free is always preceded by its allocation, so reading frees before allocs
  // keeps allocs >= frees even while other threads update the counters.
  if (index < kExactSizes) {
    const uint64_t key = site.size_plus_one[index].load(std::memory_order_acquire);
    if (key == 0) return false;
    out->mixed = false;
    out->size = key - 1;
    out->frees = site.frees[index].load(std::memory_order_acquire);
    out->allocs = site.allocs[index].load(std::memory_order_acquire);
    out->alloc_bytes = out->free_bytes = 0;
  } else {
    out->mixed = true;
    out->size = 0;
    out->free_bytes = site.mixed_free_bytes.load(std::memory_order_acquire);
    out->frees = site.mixed_free_weight.load(std::memory_order_acquire);
    out->alloc_bytes = site.mixed_alloc_bytes.load(std::memory_order_acquire);
    out->allocs = site.mixed_alloc_weight.load(std::memory_order_acquire);
  }
  return out->allocs != 0;
}

}  // namespace leaktrack
