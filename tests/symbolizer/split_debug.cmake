# Moves the DWARF of BINARY into DEBUG_ROOT/.build-id/xx/rest.debug and strips BINARY, the
# layout Debian's -dbgsym packages use under /usr/lib/debug. Run as a POST_BUILD step.
execute_process(COMMAND readelf -n ${BINARY} OUTPUT_VARIABLE notes COMMAND_ERROR_IS_FATAL ANY)
string(REGEX MATCH "Build ID: ([0-9a-f]+)" _ "${notes}")
set(id "${CMAKE_MATCH_1}")
if(NOT id)
  message(FATAL_ERROR "${BINARY} has no GNU build ID")
endif()
string(SUBSTRING "${id}" 0 2 head)
string(SUBSTRING "${id}" 2 -1 rest)
file(MAKE_DIRECTORY ${DEBUG_ROOT}/.build-id/${head})
execute_process(COMMAND objcopy --only-keep-debug ${BINARY} ${DEBUG_ROOT}/.build-id/${head}/${rest}.debug
  COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND strip --strip-all ${BINARY} COMMAND_ERROR_IS_FATAL ANY)
