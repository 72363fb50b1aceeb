// See thread_state.h.
#include "thread_state.h"

namespace leaktrack {

__thread ThreadState tls_state __attribute__((tls_model("initial-exec")));

}  // namespace leaktrack
