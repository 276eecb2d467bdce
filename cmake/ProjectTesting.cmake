# bnet_e2e_add_test(NAME <target> SOURCES ... [LIBS ...] LABELS ... [TIMEOUT s] [RESOURCE_LOCK ...]
#                   [UNLOCKED_TESTS <regex>] [ONE_PROCESS])
# One GoogleTest executable, its tests discovered individually and labelled (each runs in
# its own process). UNLOCKED_TESTS: the discovered tests whose names match the regex take
# none of the RESOURCE_LOCKs (VM tests whose guest mostly waits, such as curl's 60 s retry
# pauses: they may overlap with the VM tests that keep the CPU busy; the self-test's wall
# time is bounded by the chain of locked VM tests). ONE_PROCESS registers the whole binary as one ctest test instead, for
# binaries whose tests share an expensive setup (a booted VM) in SetUpTestSuite.
#
# No ctest entry reports a skipped or failed gtest as passed: the project's test main
# (framework/testing/main.cpp) exits 1 when a test failed and 77 when none failed and any
# was skipped (printing each skipped test and its reason), and ctest shows 77 as "Skipped"
# (SKIP_RETURN_CODE). A ONE_PROCESS entry is therefore Failed if one of its gtests failed,
# Skipped if one was skipped, Passed only if all passed; the run's summary (bnet-e2e
# summary) counts each gtest from the GoogleTest XML every test process writes into the run
# folder (BNET_E2E_GTEST_XML=1). Why an exit code and not SKIP_REGULAR_EXPRESSION on
# "[  SKIPPED ]": ctest lets that expression override the exit code, so any output quoting a
# child's skip (or a skip next to a failure in one process) turned a failed test into
# "Skipped", and a passing test that printed it into a skip. Limit: gtest_discover_tests
# (CMake 3.25, GoogleTestAddTests.cmake) gives every discovered test that expression itself,
# and ctest appends a test's SKIP_REGULAR_EXPRESSION values (no later set takes it off), so a
# discovered test whose output quotes "[  SKIPPED ]" still shows "Skipped" in ctest; the
# summary counts it from its GoogleTest XML as what it was. A discovery script of our own
# (without the expression) would close that.
function(bnet_e2e_add_test)
  cmake_parse_arguments(T "ONE_PROCESS" "NAME;TIMEOUT;UNLOCKED_TESTS" "SOURCES;LIBS;LABELS;RESOURCE_LOCK;ENVIRONMENT" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} bnet_e2e::test_main GTest::gmock bnet_e2e_warnings)
  list(APPEND T_ENVIRONMENT "BNET_E2E_SOURCE_DIR=${PROJECT_SOURCE_DIR}" "BNET_E2E_BINARY_DIR=${PROJECT_BINARY_DIR}"
    "BNET_E2E_GTEST_XML=1")
  if(T_ONE_PROCESS)
    add_test(NAME ${T_NAME} COMMAND ${T_NAME})
    set_tests_properties(${T_NAME} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
      SKIP_RETURN_CODE 77 ENVIRONMENT "${T_ENVIRONMENT}")
    if(T_RESOURCE_LOCK)
      set_tests_properties(${T_NAME} PROPERTIES RESOURCE_LOCK "${T_RESOURCE_LOCK}")
    endif()
    return()
  endif()
  gtest_discover_tests(${T_NAME}
    DISCOVERY_TIMEOUT 60
    NO_PRETTY_VALUES
    TEST_LIST ${T_NAME}_TESTS)
  # gtest_discover_tests flattens list values in its PROPERTIES (two labels, two variables
  # would become separate words), so the properties are set by a second include file that
  # ctest reads after the discovered tests, with each list kept whole in a bracket argument.
  # GTEST_SKIP() shows as "Skipped" in ctest (exit code 77; the reason is in the output).
  set(props_file "${CMAKE_CURRENT_BINARY_DIR}/${T_NAME}_properties.cmake")
  set(lock_lines "")
  if(T_RESOURCE_LOCK)
    set(lock_lines "  set_tests_properties(\"\${t}\" PROPERTIES RESOURCE_LOCK [==[${T_RESOURCE_LOCK}]==])\n")
    if(T_UNLOCKED_TESTS)
      set(lock_lines "  if(NOT \"\${t}\" MATCHES [==[${T_UNLOCKED_TESTS}]==])\n  ${lock_lines}  endif()\n")
    endif()
  endif()
  file(WRITE "${props_file}"
    "foreach(t IN LISTS ${T_NAME}_TESTS)\n"
    "  set_tests_properties(\"\${t}\" PROPERTIES LABELS [==[${T_LABELS}]==] TIMEOUT ${T_TIMEOUT}\n"
    "    SKIP_RETURN_CODE 77 ENVIRONMENT [==[${T_ENVIRONMENT}]==])\n"
    "${lock_lines}"
    "endforeach()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${props_file}")
endfunction()

# bnet_e2e_program_paths(<target> <MACRO> <program-target> [<MACRO> <program-target>...])
# Defines each MACRO in <target> as a string literal: the path of <program-target>'s file
# relative to the build tree (e.g. "bin/bnet-devnet"); the test runs
# e2e::inBuildTree(MACRO). No absolute path of the build or source tree is compiled into any
# object: it would make the compiler's input differ in every clone folder, and a fresh CI
# clone would miss ccache for each such file (docs/CI.md). Source files are found the same
# way at run time (e2e::inSourceTree("tests/ssh/recorded")).
function(bnet_e2e_program_paths target)
  set(args ${ARGN})
  while(args)
    list(POP_FRONT args macro program)
    target_compile_definitions(${target} PRIVATE
      "${macro}=\"$<PATH:RELATIVE_PATH,$<TARGET_FILE:${program}>,${PROJECT_BINARY_DIR}>\"")
    add_dependencies(${target} ${program})
  endwhile()
endfunction()
