# Thin wrapper over CMake, which is the source of truth. Every target installs the Debian
# packages it needs first (scripts/install-deps.sh is a no-op when they are present).
BUILD   ?= build
JOBS    ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps test torture-full demo bench check-asan check-tsan fuzz install clean

all: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLEAKTRACK_BUILD_TESTS=OFF \
	  -DLEAKTRACK_BUILD_BENCH=ON -DLEAKTRACK_BUILD_EXAMPLES=ON $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

deps:
	@bash scripts/install-deps.sh

# Builds everything (with test-only fault injection compiled in) and runs every test.
test:
	@bash scripts/install-deps.sh --services
	cmake -S . -B $(BUILD)-test -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLEAKTRACK_FAULT_INJECTION=ON $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD)-test -j $(JOBS)
	cd $(BUILD)-test && ctest --output-on-failure -j $(JOBS) --timeout 600

# The torture matrix at TORTURE.md's full loads (make test runs it CI-sized; this takes ~12 min on 2 cores).
torture-full:
	@bash scripts/install-deps.sh --services
	cmake -S . -B $(BUILD)-full -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLEAKTRACK_FAULT_INJECTION=ON -DLEAKTRACK_TORTURE_FULL=ON $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD)-full -j $(JOBS)
	cd $(BUILD)-full && ctest --output-on-failure -j $(JOBS) -L '^torture$$'

# The leak hunt, end to end (see README).
demo: all
	bash examples/run_demo.sh $(BUILD)

bench: all
	@bash scripts/install-deps.sh --bench
	bash bench/run.sh $(BUILD)

check-asan: deps
	cmake -S . -B $(BUILD)-asan -DCMAKE_BUILD_TYPE=Debug -DLEAKTRACK_SANITIZE=address -DLEAKTRACK_BUILD_BENCH=OFF -DLEAKTRACK_BUILD_EXAMPLES=OFF >/dev/null
	cmake --build $(BUILD)-asan -j $(JOBS)
	cd $(BUILD)-asan && ctest --output-on-failure -L unit -j $(JOBS)

check-tsan: deps
	cmake -S . -B $(BUILD)-tsan -DCMAKE_BUILD_TYPE=Debug -DLEAKTRACK_SANITIZE=thread -DLEAKTRACK_BUILD_BENCH=OFF -DLEAKTRACK_BUILD_EXAMPLES=OFF >/dev/null
	cmake --build $(BUILD)-tsan -j $(JOBS)
	cd $(BUILD)-tsan && ctest --output-on-failure -L unit -j $(JOBS)

install: all
	cmake --install $(BUILD) --prefix $(or $(PREFIX),/usr/local)

clean:
	rm -rf $(BUILD) $(BUILD)-test $(BUILD)-full $(BUILD)-asan $(BUILD)-tsan
