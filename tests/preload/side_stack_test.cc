// Side stacks (preload/side_stack.h): the unwind runs off the program's stack, unwinds back onto
// it, and a full pool degrades to running in place.
#include "side_stack.h"

#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <pthread.h>

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "thread_state.h"
#include "unwind.h"

namespace leaktrack {
namespace {

struct Observed {
  uintptr_t frame = 0;
  uintptr_t side_stack = 0;
  bool on_side_stack = false;
  void* pcs[64] = {};
  int depth = 0;
};

void Observe(void* arg) {
  auto* o = static_cast<Observed*>(arg);
  o->frame = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  o->side_stack = tls_state.side_stack;
  o->on_side_stack = IsOnThreadsSideStack(tls_state, o->frame);
  o->depth = unw_backtrace(o->pcs, 64);
}

__attribute__((noinline)) void CallerOnProgramStack(Observed* o) {
  RunOnSideStack(&Observe, o);
  asm volatile("" ::: "memory");  // keep the call from becoming a tail call
}

TEST(SideStack, RunsOffTheProgramStackAndUnwindsBackOntoIt) {
  InitUnwinder();  // maps the pool
  Observed o;
  const auto here = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  CallerOnProgramStack(&o);
  ASSERT_NE(o.side_stack, 0u) << "the pool should have a free stack";
  EXPECT_TRUE(o.on_side_stack);
  EXPECT_TRUE(o.frame - o.side_stack < kSideStackSize);
  EXPECT_FALSE(here - o.side_stack < kSideStackSize);
  EXPECT_EQ(tls_state.side_stack, 0u) << "returned after the call";
  // The walk crosses the trampoline: CallerOnProgramStack and this test body are found.
  const auto caller = reinterpret_cast<uintptr_t>(&CallerOnProgramStack);
  bool found_caller = false;
  for (int i = 0; i < o.depth; ++i) {
    const auto pc = reinterpret_cast<uintptr_t>(o.pcs[i]);
    if (pc > caller && pc < caller + 256) found_caller = true;
  }
  EXPECT_TRUE(found_caller) << "unwound " << o.depth << " frames without reaching the caller";
  EXPECT_GE(o.depth, 5);
}

TEST(SideStack, GuardIsNotStaleForNestedCallsOnTheSideStack) {
  InitUnwinder();
  struct Check {
    bool stale = true;
  } check;
  ScopedGuard guard;
  RunOnSideStack(
      [](void* arg) {
        static_cast<Check*>(arg)->stale = GuardIsStale(
            tls_state, reinterpret_cast<uintptr_t>(__builtin_frame_address(0)));
      },
      &check);
  EXPECT_FALSE(check.stale);
}

TEST(SideStack, FullPoolRunsInPlace) {
  InitUnwinder();
  // More threads than stacks, all inside RunOnSideStack at once: the pool has 32.
  constexpr int kThreads = 40;
  pthread_barrier_t all_inside;
  pthread_barrier_init(&all_inside, nullptr, kThreads);
  std::atomic<int> on_side{0}, in_place{0};
  struct Arg {
    pthread_barrier_t* barrier;
    std::atomic<int>* on_side;
    std::atomic<int>* in_place;
  } arg{&all_inside, &on_side, &in_place};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&arg] {
      RunOnSideStack(
          [](void* p) {
            auto* a = static_cast<Arg*>(p);
            (tls_state.side_stack != 0 ? a->on_side : a->in_place)->fetch_add(1);
            pthread_barrier_wait(a->barrier);
          },
          &arg);
    });
  }
  for (auto& t : threads) t.join();
  pthread_barrier_destroy(&all_inside);
  EXPECT_EQ(on_side.load(), 32);
  EXPECT_EQ(in_place.load(), kThreads - 32);
  // Every stack came back: a new call gets one.
  Observed o;
  CallerOnProgramStack(&o);
  EXPECT_NE(o.side_stack, 0u);
}

}  // namespace
}  // namespace leaktrack
