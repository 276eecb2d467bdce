#!/usr/bin/env bash
# Sanitizer job (issue 10): the project's own tests (labels unit and integration) built with
# AddressSanitizer + UndefinedBehaviorSanitizer (gcc) in build-asan, with every report fatal.
# VM tests (label vm) are left out: they boot QEMU under TCG and take too long when every
# program around them runs about twice as slowly. Extra arguments go to ctest.
#   .ci/sanitize.sh [ctest args]
# Environment: BNET_E2E_ASAN_BUILD_DIR (default ./build-asan).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
build_dir=${BNET_E2E_ASAN_BUILD_DIR:-$root/build-asan}
start=$(date +%s)
# ccache hits across clones in other folders (CI builds a fresh clone): paths relative to root.
export CCACHE_BASEDIR=$root CCACHE_NOHASHDIR=true

"$root/tools/setup.sh" --no-build
if [ ! -f "$build_dir/build.ninja" ]; then
  cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DBNET_E2E_SANITIZE=address,undefined -DBNET_E2E_BUILD_BENCH=OFF
fi
# Within $BNET_E2E_BUILD_BUDGET when set: exit 75 (deferred) when the build runs out of it.
"$here/budgeted-build.sh" sanitize cmake --build "$build_dir" -j"$(nproc)"
built=$(date +%s)
echo "sanitize: built in $(( built - start )) s"

# Any report ends the process with an abort (the test fails); leaks are checked at exit.
# The suppressions file names only third-party code, each entry with its reason.
export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1:print_stacktrace=1:detect_stack_use_after_return=1:check_initialization_order=1
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
export LSAN_OPTIONS=suppressions=$root/.ci/lsan.supp:print_suppressions=0
export BNET_E2E_CACHE=${BNET_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bnet-e2e}
export BNET_E2E_ARTIFACTS=${BNET_E2E_ARTIFACTS:-$build_dir/artifacts}
export BNET_E2E_RUN_ID=${BNET_E2E_RUN_ID:-sanitize-$(date -u +%Y%m%d-%H%M%S)}
status=0
(cd "$build_dir" && ctest -L 'unit|integration' -LE vm -j"$(nproc)" --output-on-failure --no-tests=error \
  --output-junit "$build_dir/sanitize-junit.xml" "$@") || status=$?
echo "sanitize: total $(( $(date +%s) - start )) s (build $(( built - start )) s); JUnit: $build_dir/sanitize-junit.xml"
exit $status
