// Tests of stack interning (stack_table.h).
#include "stack_table.h"

#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "internal_alloc.h"

namespace leaktrack {
namespace {

TEST(StackTableTest, InternsEqualStacksOnceAndReadsThemBack) {
  constexpr uint64_t kCap = 256;
  void* mem = MapMemory(StackTable::MemoryNeeded(kCap));
  StackTable t;
  t.Init(mem, kCap);
  const uint64_t a[] = {0x1000, 0x2000, 0x3000};
  const uint64_t b[] = {0x1000, 0x2000, 0x3001};
  const int64_t ia = t.Intern(a, 3);
  const int64_t ib = t.Intern(b, 3);
  ASSERT_GE(ia, 0);
  ASSERT_GE(ib, 0);
  EXPECT_NE(ia, ib);
  EXPECT_EQ(t.Intern(a, 3), ia);
  EXPECT_NE(t.Intern(a, 2), ia);  // a prefix is a different stack
  const uint64_t* frames;
  int depth;
  ASSERT_TRUE(t.Get(static_cast<uint64_t>(ib), &frames, &depth));
  ASSERT_EQ(depth, 3);
  EXPECT_EQ(frames[2], 0x3001u);
  EXPECT_GE(t.Intern(a, 0), 0);  // an empty stack is a valid key
  UnmapMemory(mem, StackTable::MemoryNeeded(kCap));
}

TEST(StackTableTest, FullTableReturnsMinusOne) {
  constexpr uint64_t kCap = 256;
  void* mem = MapMemory(StackTable::MemoryNeeded(kCap));
  StackTable t;
  t.Init(mem, kCap);
  int failures = 0;
  for (uint64_t i = 0; i < 2 * kCap; ++i) {
    const uint64_t frame[] = {i * 8 + 1};
    failures += t.Intern(frame, 1) < 0;
  }
  EXPECT_GE(failures, static_cast<int>(kCap));
  UnmapMemory(mem, StackTable::MemoryNeeded(kCap));
}

TEST(StackTableTest, ConcurrentInternIsConsistent) {
  constexpr uint64_t kCap = 1 << 12;
  void* mem = MapMemory(StackTable::MemoryNeeded(kCap));
  StackTable t;
  t.Init(mem, kCap);
  // Threads intern overlapping stacks; every id must read back as the stack that was interned.
  std::vector<std::thread> threads;
  for (int th = 0; th < 4; ++th) {
    threads.emplace_back([&t] {
      for (uint64_t i = 0; i < 1000; ++i) {
        const uint64_t frames[] = {i, i + 1, i * 3, 77};
        const int64_t id = t.Intern(frames, 4);
        ASSERT_GE(id, 0);
        const uint64_t* got;
        int depth;
        ASSERT_TRUE(t.Get(static_cast<uint64_t>(id), &got, &depth));
        ASSERT_EQ(depth, 4);
        ASSERT_EQ(got[2], i * 3);
      }
    });
  }
  for (auto& th : threads) th.join();
  UnmapMemory(mem, StackTable::MemoryNeeded(kCap));
}

// A table of kCap slots in mapped memory, with an evict hook that records what it saw.
class EvictingTable {
 public:
  static constexpr uint64_t kCap = 256;
  EvictingTable() : mem_(MapMemory(StackTable::MemoryNeeded(kCap))) {
    table.Init(mem_, kCap, &EvictingTable::OnEvict, this);
  }
  ~EvictingTable() { UnmapMemory(mem_, StackTable::MemoryNeeded(kCap)); }

  StackTable table;
  std::atomic<uint64_t> hook_calls{0};
  std::atomic<int> held[kCap] = {};  // the test's own count of the pins it holds, per id
  std::atomic<uint64_t> evicted_while_held{0};

 private:
  static void OnEvict(uint64_t id, void* self) {
    auto* t = static_cast<EvictingTable*>(self);
    t->hook_calls.fetch_add(1);
    if (id >= kCap || t->held[id].load() != 0) t->evicted_while_held.fetch_add(1);
  }
  void* mem_;
};

// Stack number i of a universe of distinct stacks, 1..24 frames deep.
int StackOf(uint64_t i, uint64_t* frames) {
  const int depth = 1 + static_cast<int>(i % 24);
  for (int k = 0; k < depth; ++k) frames[k] = 0x400000 + i * 64 + static_cast<uint64_t>(k);
  return depth;
}

bool ReadsBack(const StackTable& t, int64_t id, const uint64_t* frames, int depth) {
  const uint64_t* got;
  int got_depth;
  if (id < 0 || !t.Get(static_cast<uint64_t>(id), &got, &got_depth) || got_depth != depth)
    return false;
  for (int k = 0; k < depth; ++k)
    if (got[k] != frames[k]) return false;
  return true;
}

// Interns stacks first .. first + n - 1, each unpinned at once (its block freed at once), and
// returns how many found no room. Each one interned must read back as itself.
int Churn(StackTable* t, uint64_t first, uint64_t n) {
  uint64_t frames[32];
  int refused = 0;
  for (uint64_t i = first; i < first + n; ++i) {
    const int depth = StackOf(i, frames);
    const int64_t id = t->Intern(frames, depth);
    if (id < 0) {
      ++refused;
      continue;
    }
    EXPECT_TRUE(ReadsBack(*t, id, frames, depth)) << "stack " << i;
    t->Unpin(static_cast<uint64_t>(id));
  }
  return refused;
}

TEST(StackTableTest, UnpinnedStacksMakeRoomForNewOnes) {
  EvictingTable e;
  // Ten times the capacity: every one fits.
  EXPECT_EQ(Churn(&e.table, 0, 10 * EvictingTable::kCap), 0);
  EXPECT_GE(e.table.evictions(), 9 * EvictingTable::kCap - EvictingTable::kCap / 2);
  EXPECT_EQ(e.hook_calls.load(), e.table.evictions());
  // Evicted slots keep their room: the pool did not grow past its size.
  EXPECT_LE(e.table.frames_used(), EvictingTable::kCap * StackTable::kFramesPerStack);
}

TEST(StackTableTest, PinnedStacksAreNeverEvicted) {
  EvictingTable e;
  uint64_t frames[32];
  std::vector<int64_t> pinned;
  // Pin every other stack until the table refuses; unpin the rest.
  for (uint64_t i = 0; i < 4 * EvictingTable::kCap; ++i) {
    const int depth = StackOf(i, frames);
    const int64_t id = e.table.Intern(frames, depth);
    if (id < 0) continue;
    if (i % 2 == 0) {
      pinned.push_back(static_cast<int64_t>(i));
      e.held[id].fetch_add(1);
    } else {
      e.table.Unpin(static_cast<uint64_t>(id));
    }
  }
  EXPECT_EQ(e.evicted_while_held.load(), 0u);
  // Every pinned stack is still where Intern put it: interning it again finds the same frames.
  for (int64_t i : pinned) {
    const int depth = StackOf(static_cast<uint64_t>(i), frames);
    const int64_t id = e.table.Intern(frames, depth);
    ASSERT_GE(id, 0);
    EXPECT_EQ(e.held[id].load(), 1) << "stack " << i << " moved or was duplicated";
    EXPECT_TRUE(ReadsBack(e.table, id, frames, depth));
  }
}

TEST(StackTableTest, PausedEvictionRefusesNewStacks) {
  EvictingTable e;
  Churn(&e.table, 0, 2 * EvictingTable::kCap);
  const uint64_t evictions = e.table.evictions();
  e.table.PauseEviction(true);
  EXPECT_GT(Churn(&e.table, 1000000, EvictingTable::kCap), 0);
  EXPECT_EQ(e.table.evictions(), evictions);
  e.table.PauseEviction(false);
  EXPECT_EQ(Churn(&e.table, 2000000, 1), 0);
}

// A fork child inherits whatever another thread's Intern had half done at the fork. Here: a
// stack an evictor had marked (nobody could read or evict it any more), and a slot an evictor
// had taken and not yet refilled (lost for good). RepairAfterFork puts both right.
TEST(StackTableTest, RepairAfterForkUndoesWhatAVanishedInternLeft) {
  EvictingTable e;
  uint64_t fa[32], fb[32];
  const int da = StackOf(1, fa), db = StackOf(2, fb);
  const int64_t a = e.table.Intern(fa, da), b = e.table.Intern(fb, db);
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  e.table.Unpin(static_cast<uint64_t>(a));
  e.table.Unpin(static_cast<uint64_t>(b));
  e.table.AbandonForTesting(static_cast<uint64_t>(a), /*claimed=*/false);
  e.table.AbandonForTesting(static_cast<uint64_t>(b), /*claimed=*/true);
  EXPECT_FALSE(ReadsBack(e.table, a, fa, da));  // marked: the dump would skip it
  const uint64_t hooks = e.hook_calls.load();
  e.table.RepairAfterFork();
  EXPECT_TRUE(ReadsBack(e.table, a, fa, da));  // the marked stack is as it was
  EXPECT_EQ(e.hook_calls.load(), hooks + 1);   // b's counts folded: its evictor may not have
  e.table.RepairAfterFork();                   // nothing in flight now: no second pass
  EXPECT_EQ(e.hook_calls.load(), hooks + 1);
  // b's slot is vacant, and a full table takes it for a new stack (left claimed, it never
  // would be: only published stacks are evicted, only vacant slots reclaimed).
  EXPECT_EQ(Churn(&e.table, 1000, 10 * EvictingTable::kCap), 0);
  const uint64_t* frames;
  int depth;
  EXPECT_TRUE(e.table.Get(static_cast<uint64_t>(b), &frames, &depth));
}

// Threads intern stacks from a universe 16 times the table, hold some pins for a while and drop
// others at once, while another thread plays the dump, pausing and resuming eviction. A pinned
// id must read back as its stack for as long as the pin is held, the hook must never see an id
// with a pin, and nothing the dump reads may change while eviction is paused.
TEST(StackTableTest, ConcurrentPinsAndEvictionsAgree) {
  EvictingTable e;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> wrong{0}, interned{0};
  std::vector<std::thread> threads;
  for (int th = 0; th < 4; ++th) {
    threads.emplace_back([&, th] {
      std::mt19937_64 rng(static_cast<uint64_t>(th));
      struct Held {
        int64_t id;
        uint64_t stack;
      };
      std::vector<Held> held;
      uint64_t frames[32];
      for (int n = 0; n < 20000; ++n) {
        const uint64_t stack = rng() % (16 * EvictingTable::kCap);
        const int depth = StackOf(stack, frames);
        const int64_t id = e.table.Intern(frames, depth);
        if (id < 0) continue;
        interned.fetch_add(1, std::memory_order_relaxed);
        e.held[id].fetch_add(1);
        if (!ReadsBack(e.table, id, frames, depth)) wrong.fetch_add(1);
        held.push_back({id, stack});
        // Keep up to 8 pins (live blocks), dropping a random one beyond that.
        if (held.size() > 8) {
          const size_t k = rng() % held.size();
          const int d = StackOf(held[k].stack, frames);
          if (!ReadsBack(e.table, held[k].id, frames, d)) wrong.fetch_add(1);
          e.held[held[k].id].fetch_sub(1);
          e.table.Unpin(static_cast<uint64_t>(held[k].id));
          held[k] = held.back();
          held.pop_back();
        }
      }
      for (const Held& h : held) {
        e.held[h.id].fetch_sub(1);
        e.table.Unpin(static_cast<uint64_t>(h.id));
      }
    });
  }
  // Plays the dump: while eviction is paused, every stack it can read stays as it read it.
  std::atomic<uint64_t> dump_changed{0}, dump_unreadable{0}, dump_reads{0};
  std::thread dumper([&] {
    std::vector<std::vector<uint64_t>> seen(EvictingTable::kCap);
    while (!stop.load()) {
      e.table.PauseEviction(true);
      for (uint64_t id = 0; id < EvictingTable::kCap; ++id) {
        const uint64_t* frames;
        int depth;
        seen[id].clear();
        if (e.table.Get(id, &frames, &depth)) seen[id].assign(frames, frames + depth);
      }
      std::this_thread::yield();
      for (uint64_t id = 0; id < EvictingTable::kCap; ++id) {
        if (seen[id].empty()) continue;
        const uint64_t* frames;
        int depth;
        dump_reads.fetch_add(1, std::memory_order_relaxed);
        if (!e.table.Get(id, &frames, &depth))
          dump_unreadable.fetch_add(1);
        else if (std::vector<uint64_t>(frames, frames + depth) != seen[id])
          dump_changed.fetch_add(1);
      }
      e.table.PauseEviction(false);
      std::this_thread::yield();
    }
  });
  for (auto& t : threads) t.join();
  stop = true;
  dumper.join();
  EXPECT_EQ(wrong.load(), 0u);
  EXPECT_EQ(dump_changed.load(), 0u) << "of " << dump_reads.load() << " stacks read twice";
  // A stack the dump read once may be unreadable the second time only if an evictor was
  // descheduled between marking its slot and seeing the pause (Get waits for the unmark a
  // bounded while): seen 0 times in 120 runs on 2 loaded cores; 1% is the hard bound.
  EXPECT_GT(dump_reads.load(), 0u);
  EXPECT_LE(dump_unreadable.load() * 100, dump_reads.load());
  EXPECT_EQ(e.evicted_while_held.load(), 0u);
  // The table turned over several times (each stack is 1 of 16 * kCap; while the dumper has
  // eviction paused, a new stack finds no room, so no tighter bound holds on a loaded machine).
  EXPECT_GT(e.table.evictions(), 4 * EvictingTable::kCap);
  EXPECT_GT(interned.load(), 8 * EvictingTable::kCap);
}

}  // namespace
}  // namespace leaktrack
