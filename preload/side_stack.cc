// See side_stack.h.
#include "side_stack.h"

#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>

#include "thread_state.h"

// void leaktrack_call_on_stack(void* arg, void (*fn)(void*), void* stack_top)
// Saves the caller's frame pointer, moves rsp to stack_top (16-byte aligned, so fn sees the ABI's
// alignment after the call) and calls fn(arg). The CFA is defined through rbp, which still points
// into the caller's stack, so unwinders step straight back onto it.
asm(R"(
  .text
  .p2align 4
  .globl leaktrack_call_on_stack
  .hidden leaktrack_call_on_stack
  .type leaktrack_call_on_stack, @function
leaktrack_call_on_stack:
  .cfi_startproc
  pushq %rbp
  .cfi_def_cfa_offset 16
  .cfi_offset %rbp, -16
  movq %rsp, %rbp
  .cfi_def_cfa_register %rbp
  movq %rdx, %rsp
  callq *%rsi
  movq %rbp, %rsp
  popq %rbp
  .cfi_def_cfa %rsp, 8
  retq
  .cfi_endproc
  .size leaktrack_call_on_stack, .-leaktrack_call_on_stack
)");

extern "C" void leaktrack_call_on_stack(void* arg, void (*fn)(void*), void* stack_top);

namespace leaktrack {
namespace {

constexpr int kSlots = 32;  // one bit each in g_busy
// kSlots * kSideStackSize bytes, slot i's guard page at its low end; set once.
std::atomic<char*> g_pool_published{nullptr};
std::atomic<uint32_t> g_busy{0};

int Borrow() {
  uint32_t busy = g_busy.load(std::memory_order_relaxed);
  while (busy != ~uint32_t{0}) {
    const int slot = __builtin_ctz(~busy);
    if (g_busy.compare_exchange_weak(busy, busy | (uint32_t{1} << slot),
                                     std::memory_order_acquire, std::memory_order_relaxed)) {
      return slot;
    }
  }
  return -1;
}

void Return(int slot) {
  g_busy.fetch_and(~(uint32_t{1} << slot), std::memory_order_release);
}

int SlotOf(const char* pool, uintptr_t base) {
  return static_cast<int>((base - reinterpret_cast<uintptr_t>(pool)) / kSideStackSize);
}

}  // namespace

void InitSideStacks() {
  if (g_pool_published.load(std::memory_order_acquire) != nullptr) return;
  const size_t bytes = kSlots * kSideStackSize;
  void* m = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (m == MAP_FAILED) return;
  char* pool = static_cast<char*>(m);
  const size_t page = static_cast<size_t>(getpagesize());
  for (int i = 0; i < kSlots; ++i) mprotect(pool + i * kSideStackSize, page, PROT_NONE);
  char* expected = nullptr;
  if (!g_pool_published.compare_exchange_strong(expected, pool, std::memory_order_acq_rel)) {
    munmap(m, bytes);  // another thread won the race
    return;
  }
  pthread_atfork(nullptr, nullptr, &ResetSideStacksAfterFork);
}

void RunOnSideStack(void (*fn)(void*), void* arg) {
  char* pool = g_pool_published.load(std::memory_order_acquire);
  const int slot = pool != nullptr ? Borrow() : -1;
  if (slot < 0) {
    fn(arg);
    return;
  }
  char* base = pool + slot * kSideStackSize;
  tls_state.side_stack = reinterpret_cast<uintptr_t>(base);
  leaktrack_call_on_stack(arg, fn, base + kSideStackSize);
  tls_state.side_stack = 0;
  Return(slot);
}

bool SideStackPool(const void** base, size_t* bytes) {
  *base = g_pool_published.load(std::memory_order_acquire);
  *bytes = *base != nullptr ? kSlots * kSideStackSize : 0;
  return *base != nullptr;
}

bool IsOnThreadsSideStack(const ThreadState& ts, uintptr_t frame) {
  return ts.side_stack != 0 && frame - ts.side_stack < kSideStackSize;
}

void ReleaseAbandonedSideStack(ThreadState* ts) {
  char* pool = g_pool_published.load(std::memory_order_acquire);
  if (ts->side_stack == 0 || pool == nullptr) return;
  Return(SlotOf(pool, ts->side_stack));
  ts->side_stack = 0;
}

void ResetSideStacksAfterFork() {
  // The forking thread may itself be on a side stack (fork from a handler that interrupted our
  // unwind): keep its bit.
  uint32_t keep = 0;
  char* pool = g_pool_published.load(std::memory_order_acquire);
  if (pool != nullptr && tls_state.side_stack != 0) {
    keep = uint32_t{1} << SlotOf(pool, tls_state.side_stack);
  }
  g_busy.store(keep, std::memory_order_relaxed);
}

}  // namespace leaktrack
