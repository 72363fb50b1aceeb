// Allocations the language runtime makes for the program are charged to the program's function.
//
// A leak is a function of the program that keeps what it allocated. When that function
// allocates through its standard library (a std::vector that grows, a std::string, strdup,
// fopen, a Rust Vec or String, a HashMap that rehashes), the frame next to the allocation is the
// library's, and `go tool pprof -top` would name std::__new_allocator::allocate or
// alloc::alloc::alloc for every container of the program at once. Go's profiles never show
// runtime.mallocgc or growslice either: the allocating function is the program's. So each
// sample's leaf end is trimmed of runtime frames up to the first frame of the program. Only the
// leaf end: a frame of the program below std::thread, std::function or a libc callback stops the
// trim, so frames further up stay as they are. A stack made of runtime frames only is kept whole.
//
// Runtime frames are
//  - every frame in the C and C++ runtime libraries: libc, ld.so, libstdc++, libc++, libgcc_s;
//  - wherever compiled (templates and Rust's standard library live in the program's binary):
//    functions of C++'s std:: and __gnu_cxx::, the program's own operator new, and, for Rust
//    symbols, the std, alloc, core and hashbrown crates, their trait impls for primitive types
//    and slices, and the allocator shims (__rust_alloc, __rdl_alloc, ...).
// `leaktrack symbolize --all-frames` (and `dump --all-frames`) keep every frame.
#ifndef LEAKTRACK_SYMBOLIZER_RUNTIME_FRAMES_H_
#define LEAKTRACK_SYMBOLIZER_RUNTIME_FRAMES_H_

#include <cstddef>
#include <string>

#include "symbolizer/profile.h"

namespace leaktrack {

// True for a mapping path of the C or C++ runtime libraries.
bool IsRuntimeObject(const std::string& path);

// True for a function of the standard libraries, by its display name (demangle.h) and its
// mangled system name (which tells Rust symbols from C++ ones).
bool IsRuntimeFunction(const std::string& name, const std::string& system_name);

// Trims the leaf end of every sample of a symbolized profile as described above, and says so in
// a comment when anything changed. Locations that lose inlined runtime frames are copied, since
// other samples may share them; locations no sample uses any more are removed. Returns the
// number of samples changed; a second call changes nothing.
size_t FoldRuntimeFrames(Profile* profile);

}  // namespace leaktrack

#endif  // LEAKTRACK_SYMBOLIZER_RUNTIME_FRAMES_H_
