#!/usr/bin/env bash
# Installs the Debian 12 packages leaktrack needs to build, test, demo and benchmark.
# Idempotent: does nothing when every package is already present. Needs root for apt-get.
set -euo pipefail

packages=(
  build-essential cmake pkg-config patch
  libdw-dev libelf-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libjemalloc-dev libjemalloc2 libgoogle-perftools-dev
  golang-go protobuf-compiler clang
  curl binutils elfutils procps gdb python3 libc6-dbg libdebuginfod1
)
for arg in "$@"; do
  case "$arg" in
    --bench) packages+=(heaptrack redis-server redis-tools valgrind linux-perf libtcmalloc-minimal4) ;;
    # make test: the real services, rustc for the Rust end-to-end test, xz-utils to read
    # Debian 11's package index (e2e.old_glibc), a debuginfod server (tools_debuginfod).
    --services) packages+=(redis-server redis-tools nginx-light memcached wrk python3
                           libpython3.11-testsuite libmimalloc-dev libcap2-bin rustc xz-utils
                           debuginfod) ;;
    *) echo "install-deps: unknown option $arg (want --bench, --services)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
