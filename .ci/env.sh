# The CI build and the sanitizer settings, in one place (sourced by .ci/run and .ci/fuzz.sh).
# CI builds ONE tree, build-ci: clang with ASan + UBSan and libFuzzer's coverage
# (-DBNET_E2E_FUZZ=ON), which the self-test, the main job and the fuzzers all use.
# Environment: BNET_E2E_CI_BUILD_DIR (default <checkout>/build-ci).
# shellcheck shell=bash
ci_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export BNET_E2E_CI_BUILD_DIR=${BNET_E2E_CI_BUILD_DIR:-$ci_root/build-ci}
# Read by tools/setup.sh when it configures a new build folder (words without spaces). No
# benchmarks (CI runs none); line tables only (-g1) and lld: the compile and, above all, the
# links of some 50 sanitized programs cost much less, and reports keep file:line.
export BNET_E2E_CI_CMAKE_ARGS="-DCMAKE_CXX_COMPILER=clang++ -DBNET_E2E_FUZZ=ON -DBNET_E2E_BUILD_BENCH=OFF -DBNET_E2E_LINE_TABLES_ONLY=ON -DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld -DCMAKE_SHARED_LINKER_FLAGS=-fuse-ld=lld"
# ccache hits across clones in other folders (CI builds a fresh clone): paths relative to it.
export CCACHE_BASEDIR=$ci_root CCACHE_NOHASHDIR=true
# Every report is fatal (the process aborts, its test fails); leaks are checked at exit.
# The suppressions file names only third-party code, each entry with its reason.
export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1:print_stacktrace=1:detect_stack_use_after_return=1:check_initialization_order=1
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
export LSAN_OPTIONS=suppressions=$ci_root/.ci/lsan.supp:print_suppressions=0
if [ -x /usr/lib/llvm-14/bin/llvm-symbolizer ]; then
  export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
fi
