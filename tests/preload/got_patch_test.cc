// Tests for got_patch.h on libraries built for it (got_patch_target.c), never on the test
// binary's own slots. Each test loads its own copy: a rewritten slot stays rewritten.
#include "got_patch.h"

#include <sys/mman.h>
#include <unistd.h>

#include <dlfcn.h>
#include <link.h>
#include <string.h>

#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "proc_maps.h"

extern "C" __attribute__((visibility("default"), noinline)) void* GotPatchProbe(void) {
  return reinterpret_cast<void*>(1);
}

namespace leaktrack {
namespace {

int g_counted_mallocs = 0;
void* CountingMalloc(size_t n) {
  g_counted_mallocs++;
  return malloc(n);
}
void CountingFree(void* p) { free(p); }
void* OtherProbe() { return reinterpret_cast<void*>(2); }

struct Library {
  void* handle = nullptr;
  uintptr_t base = 0;
  const ElfW(Phdr)* phdr = nullptr;
  int phnum = 0;
  void* (*alloc)(size_t) = nullptr;
  void* (*free_address)() = nullptr;
  void* (*probe)() = nullptr;
};

int FindLibrary(struct dl_phdr_info* info, size_t, void* arg) {
  Library* lib = static_cast<Library*>(arg);
  Dl_info where;
  if (dladdr(reinterpret_cast<void*>(lib->alloc), &where) == 0) return 0;
  if (reinterpret_cast<uintptr_t>(where.dli_fbase) < info->dlpi_addr) return 0;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    const uintptr_t a = reinterpret_cast<uintptr_t>(lib->alloc);
    if (ph.p_type == PT_LOAD && a >= info->dlpi_addr + ph.p_vaddr &&
        a < info->dlpi_addr + ph.p_vaddr + ph.p_memsz) {
      lib->base = info->dlpi_addr;
      lib->phdr = info->dlpi_phdr;
      lib->phnum = info->dlpi_phnum;
      return 1;
    }
  }
  return 0;
}

Library Load(const char* path, int binding = RTLD_NOW) {
  Library lib;
  lib.handle = dlopen(path, binding | RTLD_LOCAL);
  EXPECT_NE(lib.handle, nullptr) << dlerror();
  if (lib.handle == nullptr) return lib;
  lib.alloc = reinterpret_cast<void* (*)(size_t)>(dlsym(lib.handle, "GotTargetAlloc"));
  lib.free_address = reinterpret_cast<void* (*)()>(dlsym(lib.handle, "GotTargetFreeAddress"));
  lib.probe = reinterpret_cast<void* (*)()>(dlsym(lib.handle, "GotTargetProbe"));
  dl_iterate_phdr(&FindLibrary, &lib);
  EXPECT_NE(lib.phdr, nullptr);
  return lib;
}

// The permissions of the library's mappings, in /proc/self/maps order ("r--p r-xp ...").
std::string Permissions(const char* path) {
  std::ifstream maps("/proc/self/maps");
  std::string line, perms;
  while (std::getline(maps, line)) {
    if (line.find(path) == std::string::npos) continue;
    const size_t space = line.find(' ');
    perms += line.substr(space + 1, 4) + " ";
  }
  return perms;
}

// malloc and free to the counting ones, expecting the slots to hold `expected`'s answer for
// each name (the real functions by default, as the loader bound them).
struct Redirects {
  GotRedirect r[2];
};
Redirects ToCounting(bool expect_real) {
  const void* other = reinterpret_cast<void*>(&OtherProbe);
  return {{{"malloc", reinterpret_cast<void*>(&CountingMalloc),
            {expect_real ? dlsym(RTLD_DEFAULT, "malloc") : other, nullptr}},
           {"free", reinterpret_cast<void*>(&CountingFree),
            {expect_real ? dlsym(RTLD_DEFAULT, "free") : other, nullptr}}}};
}

// One pass over `lib` with ToCounting(expect_real), outside the loader's lock.
GotPatchCounts PatchOnce(const Library& lib, bool expect_real) {
  const Redirects redirects = ToCounting(expect_real);
  GotPatchCounts counts;
  PatchObjectGot(lib.base, lib.phdr, lib.phnum, redirects.r, 2, /*loader_locked=*/false, &counts);
  return counts;
}

// How many of the library's mallocs CountingMalloc saw for one call of GotTargetAlloc.
int CountedMallocsOfOneCall(const Library& lib) {
  const int before = g_counted_mallocs;
  free(lib.alloc(16));
  return g_counted_mallocs - before;
}

TEST(GotPatchTest, RedirectsCallsAndTakenAddressesThroughReadOnlyGot) {
  Library lib = Load(LT_GOT_TARGET_NOW_A);
  ASSERT_NE(lib.phdr, nullptr);
  const std::string perms_before = Permissions(LT_GOT_TARGET_NOW_A);
  ASSERT_NE(perms_before.find("r--p"), std::string::npos) << "no RELRO: " << perms_before;
  const GotPatchCounts counts = PatchOnce(lib, true);
  EXPECT_EQ(counts.patched, 2);  // malloc's JUMP_SLOT and free's GLOB_DAT
  EXPECT_EQ(counts.objects, 1);
  EXPECT_EQ(counts.foreign, 0);
  EXPECT_EQ(counts.protect_failed, 0);
  EXPECT_EQ(CountedMallocsOfOneCall(lib), 1);
  EXPECT_EQ(lib.free_address(), reinterpret_cast<void*>(&CountingFree));
  // The RELRO pages are read-only again, as the loader left them.
  EXPECT_EQ(Permissions(LT_GOT_TARGET_NOW_A), perms_before);

  const GotPatchCounts again = PatchOnce(lib, true);
  EXPECT_EQ(again.patched, 0);
  EXPECT_EQ(again.already, 2);
}

TEST(GotPatchTest, LeavesSlotsThatHoldSomethingUnexpected) {
  Library lib = Load(LT_GOT_TARGET_NOW_B);
  ASSERT_NE(lib.phdr, nullptr);
  // The slots hold the real functions where we expect another one: as if another tool had
  // rewritten them before us.
  const GotPatchCounts counts = PatchOnce(lib, false);
  EXPECT_EQ(counts.patched, 0);
  EXPECT_EQ(counts.foreign, 2);
  EXPECT_EQ(CountedMallocsOfOneCall(lib), 0);
  EXPECT_EQ(lib.free_address(), dlsym(RTLD_DEFAULT, "free"));
}

TEST(GotPatchTest, RewritesAnUnresolvedLazySlot) {
  Library lib = Load(LT_GOT_TARGET_LAZY, RTLD_LAZY);
  ASSERT_NE(lib.phdr, nullptr);
  // GotTargetAlloc has not run: malloc's JUMP_SLOT still points at the library's own PLT stub,
  // which is rewritten although no `expected` names it. free's GLOB_DAT was bound at load, to a
  // function `expected` does not name.
  const GotPatchCounts counts = PatchOnce(lib, false);
  EXPECT_EQ(counts.patched, 1);
  EXPECT_EQ(counts.foreign, 1);
  EXPECT_EQ(CountedMallocsOfOneCall(lib), 1);
}

TEST(GotPatchTest, PatchLoadedObjectsSkipsTheGivenObject) {
  Library lib = Load(LT_GOT_TARGET_NOW_C);
  ASSERT_NE(lib.phdr, nullptr);
  ASSERT_EQ(lib.probe(), reinterpret_cast<void*>(1));
  const GotRedirect redirect = {"GotPatchProbe", reinterpret_cast<void*>(&OtherProbe),
                                {reinterpret_cast<void*>(&GotPatchProbe), nullptr}};
  PatchLoadedObjects(&redirect, 1, reinterpret_cast<void*>(lib.alloc), false);
  EXPECT_EQ(lib.probe(), reinterpret_cast<void*>(1)) << "the skipped object was rewritten";
  const GotPatchCounts counts = PatchLoadedObjects(&redirect, 1, nullptr, false);
  EXPECT_GE(counts.patched, 1);
  EXPECT_EQ(lib.probe(), reinterpret_cast<void*>(2));
}

// The pages ld.so makes read-only after relocation, as got_patch.cc computes them.
void RelroRange(const Library& lib, uintptr_t* start, uintptr_t* end) {
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  *start = *end = 0;
  for (int i = 0; i < lib.phnum; i++) {
    if (lib.phdr[i].p_type != PT_GNU_RELRO) continue;
    *start = (lib.base + lib.phdr[i].p_vaddr) & ~(page - 1);
    *end = (lib.base + lib.phdr[i].p_vaddr + lib.phdr[i].p_memsz) & ~(page - 1);
  }
}

TEST(GotPatchTest, WaitsUntilTheLoaderHasSealedRelro) {
  Library lib = Load(LT_GOT_TARGET_NOW_D);
  ASSERT_NE(lib.phdr, nullptr);
  uintptr_t start, end;
  RelroRange(lib, &start, &end);
  ASSERT_LT(start, end);
  // As while ld.so still relocates the object: its RELRO pages are writable.
  ASSERT_EQ(mprotect(reinterpret_cast<void*>(start), end - start, PROT_READ | PROT_WRITE), 0);
  EXPECT_EQ(PatchOnce(lib, true).unsealed, 1);
  EXPECT_EQ(lib.free_address(), dlsym(RTLD_DEFAULT, "free")) << "rewritten while unsealed";
  // Sealed: the next pass does the work.
  ASSERT_EQ(mprotect(reinterpret_cast<void*>(start), end - start, PROT_READ), 0);
  const GotPatchCounts later = PatchOnce(lib, true);
  EXPECT_EQ(later.unsealed, 0);
  EXPECT_EQ(later.patched, 2);
  EXPECT_EQ(lib.free_address(), reinterpret_cast<void*>(&CountingFree));
}

TEST(GotPatchTest, AddressWritableReadsThePagesProtection) {
  static char writable_page[1];
  static const char read_only[] = "constant";
  EXPECT_EQ(AddressWritable(reinterpret_cast<uintptr_t>(writable_page)), 1);
  EXPECT_EQ(AddressWritable(reinterpret_cast<uintptr_t>(read_only)), 0);
  EXPECT_EQ(AddressWritable(8), -1);  // never mapped
}

}  // namespace
}  // namespace leaktrack
