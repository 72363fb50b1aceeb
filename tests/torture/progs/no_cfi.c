/* G2: allocations whose callers the unwinder cannot describe. Variants, each 2000 times:
 *   a  an assembly function without any CFI calls malloc through a pointer
 *   b  a call chain built without unwind tables and without frame pointers (nocfi_chain.c)
 *   c  a JIT page (mmap'd RWX, hand-written machine code) calls a C function that mallocs
 *   d  a swapcontext coroutine on a malloc'd 16 KiB stack allocates
 *   e  a coroutine whose stack has a PROT_NONE page right above its first frame allocates
 * Expected: identical output and status, no crash. */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "torture_util.h"

void* NoCfiTop(size_t n);

/* void* nocfi_call(void* (*fn)(size_t), size_t n): no .cfi_* directives on purpose. */
__asm__(".text\n"
        ".globl nocfi_call\n"
        ".type nocfi_call,@function\n"
        "nocfi_call:\n"
        "  push %rbx\n"
        "  mov %rdi, %rax\n"
        "  mov %rsi, %rdi\n"
        "  call *%rax\n"
        "  pop %rbx\n"
        "  ret\n"
        ".size nocfi_call, .-nocfi_call\n");
void* nocfi_call(void* (*fn)(size_t), size_t n);

static void* MallocThunk(size_t n) { return malloc(n); }

static long JitTarget(void) {
  void* p = malloc(123);
  TEscape(p);
  free(p);
  return 1;
}

static ucontext_t g_main_ctx, g_co_ctx;
static long g_co_result;

static void Coroutine(void) {
  for (int i = 0; i < 50; i++) {
    void* p = malloc((size_t)(i + 1) * 8);
    TEscape(p);
    free(p);
    g_co_result++;
  }
}

static long RunOnStack(void* stack, size_t size) {
  g_co_result = 0;
  getcontext(&g_co_ctx);
  g_co_ctx.uc_stack.ss_sp = stack;
  g_co_ctx.uc_stack.ss_size = size;
  g_co_ctx.uc_link = &g_main_ctx;
  makecontext(&g_co_ctx, Coroutine, 0);
  T_CHECK(swapcontext(&g_main_ctx, &g_co_ctx) == 0, "swapcontext");
  return g_co_result;
}

int main(void) {
  long ok = 0;
  for (int i = 0; i < 2000; i++) {
    void* p = nocfi_call(MallocThunk, (size_t)(i % 50) + 1);
    ok += p != NULL;
    free(p);
  }
  printf("a (asm without CFI): %ld\n", ok);
  ok = 0;
  for (int i = 0; i < 2000; i++) {
    void* p = NoCfiTop((size_t)(i % 50));
    ok += p != NULL;
    free(p);
  }
  printf("b (no unwind tables, no frame pointers): %ld\n", ok);
  unsigned char* jit = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (jit == MAP_FAILED) {
    printf("c (JIT page): mmap RWX refused\n");
  } else {
    /* sub $8,%rsp; movabs $JitTarget,%rax; call *%rax; add $8,%rsp; ret */
    unsigned char code[] = {0x48, 0x83, 0xEC, 0x08, 0x48, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0,
                            0xFF, 0xD0, 0x48, 0x83, 0xC4, 0x08, 0xC3};
    uint64_t target = (uint64_t)(uintptr_t)JitTarget;
    memcpy(code + 6, &target, 8);
    memcpy(jit, code, sizeof code);
    long (*fn)(void) = (long (*)(void))(void*)jit;
    ok = 0;
    for (int i = 0; i < 2000; i++) ok += fn();
    printf("c (JIT page): %ld\n", ok);
  }
  ok = 0;
  for (int i = 0; i < 40; i++) {
    void* stack = malloc(16384);
    ok += RunOnStack(stack, 16384);
    free(stack);
  }
  printf("d (swapcontext on 16 KiB malloc'd stack): %ld\n", ok);
  long page = sysconf(_SC_PAGESIZE);
  char* region = mmap(NULL, (size_t)page * 9, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  T_CHECK(region != MAP_FAILED, "mmap");
  T_CHECK(mprotect(region + page * 8, (size_t)page, PROT_NONE) == 0, "mprotect");
  ok = 0;
  for (int i = 0; i < 40; i++) ok += RunOnStack(region, (size_t)page * 8);
  printf("e (PROT_NONE page above the first frame): %ld\n", ok);
  TTriggerDump();
  TSleepMs(100);
  return 0;
}
