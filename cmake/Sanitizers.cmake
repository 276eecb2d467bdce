# Sanitizers for the project's own code.
#   -DBNET_E2E_SANITIZE=address,undefined   (any of: address, undefined, leak, thread)
# Every target this project compiles gets the flags (the third-party libraries are Debian's
# prebuilt packages and stay uninstrumented; header-only ones are compiled into our objects).
# UBSan findings are made fatal (-fno-sanitize-recover), so a report fails the test.
# CI builds one tree with -DCMAKE_CXX_COMPILER=clang++ -DBNET_E2E_FUZZ=ON (.ci/env.sh): ASan + UBSan
# + libFuzzer coverage for the tests, the tools (the twin's builder stand-in too) and the fuzzers.
set(BNET_E2E_SANITIZE "" CACHE STRING "Comma-separated sanitizers for the project's targets (e.g. address,undefined)")
option(BNET_E2E_LINE_TABLES_ONLY "Debug info reduced to line tables (-g1): enough for symbolized sanitizer reports, much less to compile, cache and link (the CI build)" OFF)
option(BNET_E2E_FUZZ "Build the libFuzzer targets under tests/fuzz (needs clang; implies address,undefined)" OFF)

if(BNET_E2E_LINE_TABLES_ONLY)
  # After CMAKE_CXX_FLAGS_<CONFIG>'s -g on the command line, so this one wins.
  add_compile_options(-g1)
endif()

if(BNET_E2E_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "BNET_E2E_FUZZ=ON needs clang (libFuzzer): configure a separate build dir with "
                        "CC=clang CXX=clang++ (compiler now: ${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER})")
  endif()
  if(BNET_E2E_SANITIZE STREQUAL "")
    set(BNET_E2E_SANITIZE "address,undefined" CACHE STRING "" FORCE)
  endif()
  # Coverage instrumentation for the code the fuzzers reach (framework, fixtures, tools); the
  # top-level CMakeLists drops it for tests/ and suites/ (bnet_e2e_without_fuzz_coverage), and
  # tests/fuzz puts it on its targets. Only the fuzz targets link libFuzzer's main.
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

# Drops the fuzzers' coverage instrumentation from the calling directory and those it adds
# after the call: code no fuzzer reaches compiles and runs without it.
function(bnet_e2e_without_fuzz_coverage)
  get_directory_property(opts COMPILE_OPTIONS)
  list(REMOVE_ITEM opts -fsanitize=fuzzer-no-link)
  set_directory_properties(PROPERTIES COMPILE_OPTIONS "${opts}")
endfunction()

if(NOT BNET_E2E_SANITIZE STREQUAL "")
  string(REPLACE "," ";" bnet_sanitizers "${BNET_E2E_SANITIZE}")
  foreach(s IN LISTS bnet_sanitizers)
    if(NOT s MATCHES "^(address|undefined|leak|thread)$")
      message(FATAL_ERROR "BNET_E2E_SANITIZE: unknown sanitizer '${s}' (known: address, undefined, leak, thread)")
    endif()
  endforeach()
  add_compile_options(-fsanitize=${BNET_E2E_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang" AND bnet_sanitizers MATCHES "undefined")
    # clang 14's -fsanitize=function cannot compile Boost.Beast's WebSocket code (framework/ws:
    # "Cannot represent a difference across sections"); every other UBSan check stays on.
    add_compile_options(-fno-sanitize=function)
  endif()
  add_link_options(-fsanitize=${BNET_E2E_SANITIZE})
  message(STATUS "Sanitizers: ${BNET_E2E_SANITIZE}")
endif()
