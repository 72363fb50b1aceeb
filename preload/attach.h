// `leaktrack attach`: the shim loaded into a running process by dlopen instead of LD_PRELOAD.
//
// Loaded that way (RTLD_LOCAL, from a thread the CLI stopped with ptrace: tools/remote_call.h),
// the shim interposes nothing, and its constructor leaves it so: a program that dlopens the shim
// itself gets a passive library (TORTURE.md B2). The CLI then calls the exported
// leaktrack_attach(settings), which starts the profiler as a preloaded shim's constructor would
// (configured by the process's environment, where `settings` do not say otherwise) and rewrites the
// GOT slots of every loaded object that name one of our exported functions (got_patch.h), so
// that their calls come to us from then on.
//
// That pass runs without the loader's lock, so an object still being relocated is left alone
// (got_patch.h, `unsealed`). Objects loaded later, and those, are rewritten on the next sample
// after the loader's count of loads moved (a dl_iterate_phdr per sample, in attach mode only).
// Until then their calls go to the allocator untracked. (Wrapping dlopen instead would make us
// its caller, and dlopen resolves $ORIGIN and RUNPATH from its caller: the program's own loads
// could fail.)
//
// Allocations made before the attach are not seen, and their frees pass through untracked (the
// live table does not know them), so the profile holds what was allocated since and is still
// live: the growth a leak hunt looks for. Calls through a function pointer taken before the
// attach, or through ld.so's internal pointers, stay with the allocator untracked.
//
// A process started with the shim preloaded but off (LEAKTRACK_RATE=0) is started the same way:
// `leaktrack attach` dlopens the file it preloaded, which gives back the loaded copy, and its
// leaktrack_attach() starts the profiler with the settings given. Nothing needs rewriting there:
// the preloaded shim receives every call already, and only passed them on. That is how a
// service can run with leaktrack loaded at the cost of a pass-through, and be profiled on demand
// with all of a preload's reach (calls through pointers taken earlier included). What was
// allocated before is not seen, as after any attach.
//
// The results of leaktrack_attach() below zero; the CLI (tools/cmd_attach.cc) explains them.
// Plain constants: the CLI includes this header.
#pragma once

namespace leaktrack {

enum AttachResult : int {
  kAttachStartedPreloaded = 0,  // preloaded but off: started now (no slot needed rewriting)
  kAttachPreloaded = -1,        // the shim was preloaded and is on: it profiles already
  kAttachProfilerOff = -2,      // LEAKTRACK_RATE=0, secure-execution mode, or no table memory
  kAttachOwnMalloc = -3,        // the executable defines malloc: its own calls cannot be rerouted
  kAttachNothingPatched = -4,   // no object has a GOT slot for malloc
  kAttachBadSettings = -5,      // the settings do not fit in leaktrack_settings
};

// leaktrack_attach(settings) takes LEAKTRACK_* settings that win over the process's environment
// (config.h, LoadConfig: "NAME=VALUE" entries, each ending in a NUL, the list in an empty one).
// It keeps them in the exported array leaktrack_settings of this many bytes, where `leaktrack
// dump` reads them (tools/shim_settings.h): the process's environment does not show them.
constexpr int kAttachSettingsSize = 2048;

// True when this copy of the shim is not the one in the global scope: loaded with
// dlopen(RTLD_LOCAL) rather than preloaded, or a second copy (another file: the preloaded one
// was replaced on disk, by an upgrade say) beside a preloaded one, which interposes and must stay
// the only profiler. Takes the loader lock (dlsym): start-up only.
bool LoadedLocally();

// What leaktrack_attach() does, once per process: keeps the settings, starts the profiler and
// rewrites the GOT slots (or, preloaded, starts the profiler if it was off). Returns the number
// of slots rewritten, or an AttachResult; a later call returns the first one's answer (and its
// settings are ignored).
int AttachNow(const char* settings);

// True once the attach started the profiler. The lookups of "the next definition"
// then use the global scope: ours is a dlopen'd object's, which ends at libc (interpose.cc).
bool Attached();

}  // namespace leaktrack
