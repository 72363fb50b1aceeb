// See heap_profile.h.
#include "heap_profile.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "departed_resolver.h"
#include "own_memory.h"
#include "proc_maps.h"
#include "proto_writer.h"
#include "raw_log.h"
#include "sampler.h"

namespace leaktrack {
namespace {

// profile.proto field numbers (PPROF.md §1).
enum ProfileField {
  kSampleType = 1, kSample = 2, kMapping = 3, kLocation = 4, kFunction = 5, kStringTable = 6,
  kTimeNanos = 9,
  kDurationNanos = 10, kPeriodType = 11, kPeriod = 12, kComment = 13,
};

constexpr int kMaxStrings = 4096;

// Interns strings by linear search: a profile has a few dozen distinct strings (sample type
// names, mapping paths, build IDs, comments), so anything cleverer would be wasted.
class StringTable {
 public:
  explicit StringTable(Arena* arena) : strings_(arena->AllocArray<const char*>(kMaxStrings)) {
    if (strings_ != nullptr) strings_[count_++] = "";  // string_table[0] must be ""
  }
  int64_t Intern(const char* s) {
    if (strings_ == nullptr) return 0;
    for (int i = 0; i < count_; ++i)
      if (strcmp(strings_[i], s) == 0) return i;
    if (count_ == kMaxStrings) return 0;
    strings_[count_] = s;
    return count_++;
  }
  void Write(ProtoWriter* w) const {
    for (int i = 0; i < count_; ++i) w->String(kStringTable, strings_[i]);
  }
  bool ok() const { return strings_ != nullptr; }

 private:
  const char** strings_;
  int count_ = 0;
};

// Open-addressing map from (frame address, departed mapping id) to Location id (1-based,
// dense). The mapping is 0 for addresses the live mappings resolve; an address of a library
// that was unloaded before the dump gets the departed mapping it ran in, so one address can have
// several Locations, each naming its own Mapping (departed_resolver.h).
class LocationIndex {
 public:
  bool Init(Arena* arena, uint64_t max_addresses) {
    cap_ = 16;
    while (cap_ < max_addresses * 2) cap_ <<= 1;
    keys_ = arena->AllocArray<uint64_t>(cap_);
    key_maps_ = arena->AllocArray<uint32_t>(cap_);
    ids_ = arena->AllocArray<uint32_t>(cap_);
    order_ = arena->AllocArray<uint64_t>(max_addresses + 1);
    order_maps_ = arena->AllocArray<uint32_t>(max_addresses + 1);
    max_ = max_addresses;
    return keys_ != nullptr && key_maps_ != nullptr && ids_ != nullptr && order_ != nullptr &&
           order_maps_ != nullptr;
  }
  // Number of these (address, mapping) pairs not in the index yet.
  uint64_t CountMissing(const uint64_t* addresses, const uint32_t* maps, int n) const {
    uint64_t missing = 0;
    for (int i = 0; i < n; ++i) missing += Find(addresses[i], maps[i]) == 0;
    return missing;
  }
  uint32_t Find(uint64_t address, uint32_t map) const {
    const uint64_t i = Slot(address + 1, map);
    return keys_[i] != 0 ? ids_[i] : 0;
  }
  // Returns the id, adding the pair if new; 0 if full (callers check CountMissing first).
  uint32_t Id(uint64_t address, uint32_t map) {
    const uint64_t key = address + 1;  // 0 marks an empty slot; address ~0 never occurs
    const uint64_t i = Slot(key, map);
    if (keys_[i] != 0) return ids_[i];
    if (count_ == max_) return 0;
    keys_[i] = key;
    key_maps_[i] = map;
    order_[count_] = address;
    order_maps_[count_] = map;
    ids_[i] = static_cast<uint32_t>(++count_);
    return ids_[i];
  }
  uint64_t count() const { return count_; }
  uint64_t address(uint64_t index) const { return order_[index]; }
  uint32_t mapping(uint64_t index) const { return order_maps_[index]; }

 private:
  // The slot holding (key, map), or the empty slot where it belongs (the table never fills:
  // at least twice the planned addresses).
  uint64_t Slot(uint64_t key, uint32_t map) const {
    for (uint64_t i = ((key ^ (static_cast<uint64_t>(map) << 40)) * 0x9E3779B97F4A7C15ull) >> 20;;
         ++i) {
      i &= cap_ - 1;
      if (keys_[i] == 0 || (keys_[i] == key && key_maps_[i] == map)) return i;
    }
  }
  uint64_t* keys_ = nullptr;
  uint32_t* key_maps_ = nullptr;
  uint32_t* ids_ = nullptr;
  uint64_t* order_ = nullptr;
  uint32_t* order_maps_ = nullptr;
  uint64_t cap_ = 0;
  uint64_t max_ = 0;
  uint64_t count_ = 0;
};

// Index of the mapping containing address (mapping ids are index + 1), or -1.
int FindMapping(const Mapping* maps, int n, uint64_t address) {
  for (int i = 0; i < n; ++i)
    if (address >= maps[i].start && address < maps[i].limit) return i;
  return -1;
}

void WriteValueType(ProtoWriter* w, int field, StringTable* st, const char* type, const char* unit,
                    char* scratch, size_t cap) {
  ProtoWriter m(scratch, cap);
  m.Int(1, st->Intern(type));
  m.Int(2, st->Intern(unit));
  w->Message(field, m);
}

// One Mapping message; live (/proc/self/maps) and unloaded (departed) libraries alike.
void WriteMapping(ProtoWriter* w, StringTable* st, int64_t id, uint64_t start, uint64_t limit,
                  uint64_t offset, const char* path, const char* build_id, char* scratch,
                  size_t cap) {
  ProtoWriter m(scratch, cap);
  m.Int(1, id);
  m.Int(2, static_cast<int64_t>(start));
  m.Int(3, static_cast<int64_t>(limit));
  m.Int(4, static_cast<int64_t>(offset));
  m.Int(5, st->Intern(path));
  if (build_id[0] != '\0') m.Int(6, st->Intern(build_id));
  w->Message(kMapping, m);
}

char* ArenaPrintf(Arena* arena, const char* fmt, uint64_t a) {
  char* s = static_cast<char*>(arena->Alloc(96, 1));
  if (s != nullptr) RawFormat(s, 96, fmt, static_cast<unsigned long>(a));
  return s;
}

// "leaktrack 0.1.0, rate=R, own memory: X MiB resident of Y MiB reserved" (own_memory.h).
char* HeaderComment(const Profiler& p, Arena* arena) {
  const OwnMemory own = MeasureOwnMemory(p);
  const auto tenths_of_mib = [](size_t bytes) {
    return static_cast<unsigned long>((bytes * 10 + (1u << 19)) >> 20);
  };
  const unsigned long resident = tenths_of_mib(own.resident);
  const unsigned long reserved = tenths_of_mib(own.reserved);
  char* s = static_cast<char*>(arena->Alloc(128, 1));
  if (s == nullptr) return nullptr;
  if (own.resident_known) {
    RawFormat(s, 128, "leaktrack 0.1.0, rate=%lu, own memory: %lu.%lu MiB resident of %lu.%lu MiB "
              "reserved", static_cast<unsigned long>(p.config.rate), resident / 10, resident % 10,
              reserved / 10, reserved % 10);
  } else {
    RawFormat(s, 128, "leaktrack 0.1.0, rate=%lu, own memory: %lu.%lu MiB reserved",
              static_cast<unsigned long>(p.config.rate), reserved / 10, reserved % 10);
  }
  return s;
}

uint64_t NowNanos(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

voidpf ZAlloc(voidpf opaque, uInt items, uInt size) {
  return static_cast<Arena*>(opaque)->Alloc(static_cast<size_t>(items) * size, 16);
}
void ZFree(voidpf, voidpf) {}  // the arena is released as a whole

}  // namespace

void ScaleHeapSample(uint64_t count, uint64_t size, uint64_t rate, int64_t* out_count,
                     int64_t* out_bytes) {
  const uint64_t bytes = count * size;
  if (count == 0 || bytes == 0 || rate <= 1) {
    *out_count = static_cast<int64_t>(count);
    *out_bytes = static_cast<int64_t>(bytes);
    return;
  }
  const double scale = SampleScale(size, rate);
  *out_count = static_cast<int64_t>(static_cast<double>(count) * scale);
  *out_bytes = static_cast<int64_t>(static_cast<double>(bytes) * scale);
}

// A tally's four values (PPROF.md §5): an exact-size tally is unbiased here, like a Go record;
// the mixed tally was unbiased sample by sample and only leaves fixed point.
void TallyValues(const SiteCounters::Tally& t, uint64_t rate, int64_t values[4]) {
  const uint64_t inuse = t.allocs >= t.frees ? t.allocs - t.frees : 0;
  if (!t.mixed) {
    ScaleHeapSample(t.allocs, t.size, rate, &values[0], &values[1]);
    ScaleHeapSample(inuse, t.size, rate, &values[2], &values[3]);
    return;
  }
  values[0] = static_cast<int64_t>(t.allocs / SiteCounters::kWeightOne);
  values[1] = static_cast<int64_t>(t.alloc_bytes);
  values[2] = static_cast<int64_t>(inuse / SiteCounters::kWeightOne);
  values[3] = static_cast<int64_t>(t.alloc_bytes >= t.free_bytes ? t.alloc_bytes - t.free_bytes : 0);
}

DumpPlan PlanDump(const Profiler& p) {
  DumpPlan plan;
  for (uint64_t id = 0; id < p.stacks.capacity(); ++id) {
    const uint64_t* frames;
    int depth;
    if (!p.stacks.Get(id, &frames, &depth)) continue;
    for (int k = 0; k < SiteCounters::kTallies; ++k) {
      SiteCounters::Tally t;
      if (!p.sites.Get(id, k, &t)) continue;
      ++plan.samples;
      plan.frames += static_cast<uint64_t>(depth);
    }
  }
  // Distinct addresses are bounded both by the frames of the samples and by the frame pool.
  const uint64_t pool = p.stacks.frames_used();
  plan.max_locations = (plan.frames < pool ? plan.frames : pool) + 1;
  uint64_t index_slots = 16;
  while (index_slots < plan.max_locations * 2) index_slots <<= 1;
  const size_t raw = (1u << 20) + plan.samples * (64 + 4 * 11 + 40) + plan.frames * 11;
  plan.arena_bytes = (16u << 20)                               // maps text, scratch, zlib, slack
                     + 2 * raw                                 // raw profile + gzip copy
                     + index_slots * 16 + plan.max_locations * 12  // location index
                     + DepartedMappings::kCapacity * (sizeof(DepartedMapping) + 16);
  return plan;
}

bool BuildRawHeapProfile(const Profiler& p, const DumpPlan& plan, Arena* arena,
                         EncodedProfile* out) {
  const uint64_t n_samples = plan.samples;
  const uint64_t n_frames = plan.frames;
  Mapping* maps = nullptr;
  const int n_maps = ReadExecutableMappings(arena, &maps);
  if (n_maps < 0) return false;

  StringTable strings(arena);
  LocationIndex locations;
  const size_t scratch_cap = 64 << 10;
  char* scratch = static_cast<char*>(arena->Alloc(scratch_cap));
  char* scratch2 = static_cast<char*>(arena->Alloc(scratch_cap));
  const size_t cap = (1u << 20) + n_samples * (64 + 4 * 11 + 40) + n_frames * 16 +
                     (static_cast<size_t>(n_maps) + p.departed.count()) * 512;
  char* buf = static_cast<char*>(arena->Alloc(cap));
  uint64_t* ids = arena->AllocArray<uint64_t>(kMaxDepth);
  uint32_t* frame_maps = arena->AllocArray<uint32_t>(kMaxDepth);
  DepartedResolver departed;
  if (!strings.ok() || scratch == nullptr || scratch2 == nullptr || buf == nullptr ||
      ids == nullptr || frame_maps == nullptr || !locations.Init(arena, plan.max_locations) ||
      !departed.Init(p.departed, arena, static_cast<uint32_t>(n_maps) + 1)) {
    return errno = ENOMEM, false;
  }
  ProtoWriter w(buf, cap);

  WriteValueType(&w, kSampleType, &strings, "alloc_objects", "count", scratch, scratch_cap);
  WriteValueType(&w, kSampleType, &strings, "alloc_space", "bytes", scratch, scratch_cap);
  WriteValueType(&w, kSampleType, &strings, "inuse_objects", "count", scratch, scratch_cap);
  WriteValueType(&w, kSampleType, &strings, "inuse_space", "bytes", scratch, scratch_cap);

  // Samples: one per tally, that is per (stack, size) and one per stack for its mixed sizes. The
  // tables may have grown since pass 1; such late entries are left for the next dump so the
  // buffer sizing holds.
  const int64_t bytes_key = strings.Intern("bytes");
  uint64_t written = 0;
  for (uint64_t id = 0; id < p.stacks.capacity() && written < n_samples; ++id) {
    const uint64_t* frames;
    int depth;
    uint32_t generation;
    if (!p.stacks.Get(id, &frames, &depth, &generation)) continue;
    bool indexed = false;
    for (int k = 0; k < SiteCounters::kTallies && written < n_samples; ++k) {
      SiteCounters::Tally t;
      if (!p.sites.Get(id, k, &t)) continue;
      if (!indexed) {
        for (int i = 0; i < depth; ++i) frame_maps[i] = departed.MappingId(frames[i], generation);
        // A stack interned after the plan may bring addresses the plan did not count: leave it
        // for the next dump rather than overflow the index. (Only *new* addresses count: most
        // frames are shared between stacks.)
        if (locations.count() + locations.CountMissing(frames, frame_maps, depth) >
            plan.max_locations)
          break;
        for (int i = 0; i < depth; ++i) ids[i] = locations.Id(frames[i], frame_maps[i]);
        indexed = true;
      }
      ++written;
      int64_t values[4];
      TallyValues(t, p.config.rate, values);
      uint64_t uvalues[4];
      for (int i = 0; i < 4; ++i) uvalues[i] = static_cast<uint64_t>(values[i]);

      ProtoWriter sample(scratch, scratch_cap);
      sample.Packed(1, ids, depth, scratch2, scratch_cap);
      sample.Packed(2, uvalues, 4, scratch2, scratch_cap);
      // The object size: pprof's label is AllocBytes / AllocObjects (PPROF.md §3), which for the
      // mixed tally is its mean size, so -tagfocus=bytes=lo:hi still finds a site whose sizes
      // all lie in the range.
      const uint64_t size =
          t.mixed ? (values[0] > 0 ? static_cast<uint64_t>(values[1] / values[0]) : 0) : t.size;
      char label_buf[64];
      ProtoWriter label(label_buf, sizeof(label_buf));
      label.Int(1, bytes_key);
      label.Int(3, static_cast<int64_t>(size));
      label.Int(4, bytes_key);  // num_unit "bytes"
      sample.Message(3, label);
      w.Message(kSample, sample);
    }
  }

  // What stacks evicted for room had allocated (stack_table.h), so that the alloc_* totals stay
  // whole: one sample on a frame of its own, named already (the symbolizer leaves a location
  // without a mapping alone), that pprof lists as "[evicted stacks]". Nothing of it is in use:
  // only stacks without a live block are evicted.
  const SiteCounters::Evicted evicted = p.sites.evicted();
  const uint64_t evicted_location = locations.count() + 1;
  if (evicted.stacks != 0) {
    const uint64_t uvalues[4] = {evicted.objects / SiteCounters::kWeightOne, evicted.bytes, 0, 0};
    ProtoWriter sample(scratch, scratch_cap);
    sample.Packed(1, &evicted_location, 1, scratch2, scratch_cap);
    sample.Packed(2, uvalues, 4, scratch2, scratch_cap);
    w.Message(kSample, sample);
  }

  // Mappings (ids 1..n in table order, so mapping[0] is the main executable).
  for (int i = 0; i < n_maps; ++i) {
    WriteMapping(&w, &strings, i + 1, maps[i].start, maps[i].limit, maps[i].offset, maps[i].path,
                 maps[i].build_id, scratch, scratch_cap);
  }
  // Then the unloaded libraries that samples ran in (ids n_maps + 1, ...). They may overlap
  // live mappings and each other: every Location names its own.
  for (uint32_t i = 0; i < departed.used(); ++i) {
    const DepartedMapping& d = departed.used_mapping(i);
    WriteMapping(&w, &strings, n_maps + 1 + static_cast<int64_t>(i), d.start, d.limit, d.offset,
                 d.path, d.build_id, scratch, scratch_cap);
  }

  // Locations.
  for (uint64_t i = 0; i < locations.count(); ++i) {
    const uint64_t address = locations.address(i);
    ProtoWriter loc(scratch, scratch_cap);
    loc.Int(1, static_cast<int64_t>(i + 1));
    const uint32_t departed_id = locations.mapping(i);
    const int mi = departed_id != 0 ? static_cast<int>(departed_id) - 1
                                    : FindMapping(maps, n_maps, address);
    if (mi >= 0) loc.Int(2, mi + 1);
    loc.Int(3, static_cast<int64_t>(address));
    w.Message(kLocation, loc);
  }
  if (evicted.stacks != 0) {
    char line_buf[16];
    ProtoWriter line(line_buf, sizeof(line_buf));
    line.Int(1, 1);  // function 1
    ProtoWriter loc(scratch, scratch_cap);
    loc.Int(1, static_cast<int64_t>(evicted_location));
    loc.Message(4, line);
    w.Message(kLocation, loc);
    const int64_t name = strings.Intern("[evicted stacks]");
    ProtoWriter fn(scratch, scratch_cap);
    fn.Int(1, 1);
    fn.Int(2, name);
    fn.Int(3, name);
    w.Message(kFunction, fn);
  }

  // Header fields and comments.
  const uint64_t now = NowNanos(CLOCK_REALTIME);
  w.Int(kTimeNanos, static_cast<int64_t>(now));
  if (p.start_ns != 0 && now > p.start_ns) w.Int(kDurationNanos, static_cast<int64_t>(now - p.start_ns));
  WriteValueType(&w, kPeriodType, &strings, "space", "bytes", scratch, scratch_cap);
  w.Int(kPeriod, static_cast<int64_t>(p.config.rate));

  const Stats& s = p.stats;
  const uint64_t dropped = s.dropped_live_full.load(std::memory_order_relaxed) +
                           s.dropped_stack_full.load(std::memory_order_relaxed);
  // Few comments: `go tool pprof -top` prints every one of them above the report.
  // What went wrong, if anything: our failures are reported here rather than to the program.
  char* problems = static_cast<char*>(arena->Alloc(320, 1));
  if (problems != nullptr) {
    RawFormat(problems, 320,
              "dropped(live/stack table full)=%lu/%lu truncated_stacks=%lu "
              "empty_stacks=%lu skipped_in_shim=%lu failed_dumps=%lu "
              "unloaded_code_untracked=%lu evicted_stacks=%lu",
              static_cast<unsigned long>(s.dropped_live_full.load(std::memory_order_relaxed)),
              static_cast<unsigned long>(s.dropped_stack_full.load(std::memory_order_relaxed)),
              static_cast<unsigned long>(s.truncated_stacks.load(std::memory_order_relaxed)),
              static_cast<unsigned long>(s.empty_stacks.load(std::memory_order_relaxed)),
              static_cast<unsigned long>(s.reentrant_calls.load(std::memory_order_relaxed)),
              static_cast<unsigned long>(s.dumps_failed.load(std::memory_order_relaxed)),
              static_cast<unsigned long>(p.departed.dropped()),
              static_cast<unsigned long>(evicted.stacks));
  }
  const char* comments[] = {
      HeaderComment(p, arena),
      ArenaPrintf(arena, "samples=%lu", s.samples.load(std::memory_order_relaxed)),
      ArenaPrintf(arena, "dropped_samples=%lu", dropped),
      problems,
      p.attached ? "attached to the running process: allocations from before are not seen"
                 : nullptr,
  };
  uint64_t comment_ids[sizeof(comments) / sizeof(comments[0])];
  int n_comments = 0;
  for (const char* c : comments)
    if (c != nullptr) comment_ids[n_comments++] = static_cast<uint64_t>(strings.Intern(c));
  w.Packed(kComment, comment_ids, n_comments, scratch, scratch_cap);

  strings.Write(&w);
  if (w.overflow() || arena->failed()) return errno = ENOMEM, false;
  out->data = w.data();
  out->size = w.size();
  return true;
}

bool BuildHeapProfile(const Profiler& p, const DumpPlan& plan, Arena* arena,
                      EncodedProfile* out) {
  EncodedProfile raw;
  if (!BuildRawHeapProfile(p, plan, arena, &raw)) return false;
  z_stream z;
  memset(&z, 0, sizeof(z));
  z.zalloc = &ZAlloc;
  z.zfree = &ZFree;
  z.opaque = arena;
  // windowBits 15 + 16: gzip framing, as pprof expects (PPROF.md §1). Level 1: a dump holds up
  // the thread that writes it, and the fastest level is 3-4x quicker for a few % more bytes.
  if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return errno = ENOMEM, false;
  const size_t bound = deflateBound(&z, raw.size);
  char* gz = static_cast<char*>(arena->Alloc(bound));
  if (gz == nullptr) {
    deflateEnd(&z);
    return errno = ENOMEM, false;
  }
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data));
  z.avail_in = static_cast<uInt>(raw.size);
  z.next_out = reinterpret_cast<Bytef*>(gz);
  z.avail_out = static_cast<uInt>(bound);
  const int rc = deflate(&z, Z_FINISH);
  const size_t size = bound - z.avail_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return errno = ENOMEM, false;
  out->data = gz;
  out->size = size;
  return true;
}

}  // namespace leaktrack
