// Redirecting a loaded object's calls by rewriting its GOT, for `leaktrack attach`.
//
// A shim loaded into a running process with dlopen is not interposed: every object already
// bound malloc & co. to the allocator's definitions, in its global offset table. Rewriting those
// slots (R_X86_64_JUMP_SLOT: calls through the PLT; R_X86_64_GLOB_DAT: the function's address
// taken in PIC code) sends the object's later calls to us, which is what LD_PRELOAD would have
// done at start-up. heaptrack_inject and ddprof do the same.
//
// A slot is rewritten only when it holds what the loader bound without us (one of the
// redirect's `expected` values) or still points into its own object (a lazy PLT stub not yet
// resolved): a slot some other tool rewrote is left alone, so we never break a chain we do not
// know. Slots in the object's RELRO range (ld.so made them read-only after relocation, with
// BIND_NOW) are made writable for the store and read-only again, as ld.so computed the range:
// its last partial page stays as it was. Each slot is one aligned 8-byte store, atomic for a
// thread calling through it at that moment.
//
// Relocation must be over before a slot in RELRO may be opened: ld.so writes those pages until
// it seals them, and pages we made read-only again under it would fault. A pass made while the
// caller holds the loader's lock (from a constructor, inside dlopen) knows no object is being
// relocated. Any other pass opens an object's RELRO only once ld.so has sealed it (read-only in
// /proc/self/maps); an object still writable there is being loaded, and is left for a later
// pass (`unsealed`).
//
// Never allocates; no locks of ours. PatchLoadedObjects holds the loader's list lock (through
// dl_iterate_phdr) while it writes, so no object is unmapped under it and two passes never
// interleave their mprotect calls. Not async-signal-safe.
#pragma once

#include <link.h>
#include <stdint.h>

namespace leaktrack {

// One name to redirect. Unused `expected` entries are null.
struct GotRedirect {
  const char* name;
  void* replacement;
  const void* expected[2];
};

struct GotPatchCounts {
  int objects = 0;          // objects that had at least one slot for a redirected name
  int patched = 0;          // slots rewritten by this pass
  int already = 0;          // slots that held the replacement already (an earlier pass)
  int foreign = 0;          // slots holding something unexpected, left alone
  int protect_failed = 0;   // slots in RELRO that mprotect refused, left alone
  int unsealed = 0;         // objects whose RELRO ld.so had not sealed yet: try again later
};

// Rewrites the slots of the object loaded at `base` with program headers `phdr`[`phnum`].
// `loader_locked`: the caller holds the loader's lock (see above).
void PatchObjectGot(uintptr_t base, const ElfW(Phdr)* phdr, int phnum,
                    const GotRedirect* redirects, int count, bool loader_locked,
                    GotPatchCounts* counts);

// PatchObjectGot on every loaded object but the one whose ELF header is at `skip` (the shim)
// and the dynamic loader's (its calls go through pointers ld.so keeps itself).
GotPatchCounts PatchLoadedObjects(const GotRedirect* redirects, int count, const void* skip,
                                  bool loader_locked);

}  // namespace leaktrack
