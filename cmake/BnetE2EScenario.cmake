# bnet_e2e_add_scenario(<target> SOURCES <file>... [LABELS <label>...] [TIMEOUT <s>] [LIBS <lib>...])
# Builds a GoogleTest binary of scenario tests linked with the framework and fixtures,
# and registers each test with CTest under the given labels (default: e2e).
include(GoogleTest)
function(bnet_e2e_add_scenario target)
  cmake_parse_arguments(S "" "TIMEOUT" "SOURCES;LABELS;LIBS" ${ARGN})
  if(NOT S_SOURCES)
    message(FATAL_ERROR "bnet_e2e_add_scenario(${target}): SOURCES is required")
  endif()
  if(NOT S_LABELS)
    set(S_LABELS e2e)
  endif()
  if(NOT S_TIMEOUT)
    set(S_TIMEOUT 1800)
  endif()
  add_executable(${target} ${S_SOURCES})
  target_compile_features(${target} PRIVATE cxx_std_20)
  target_link_libraries(${target} PRIVATE bnet_e2e::fixtures bnet_e2e::framework bnet_e2e::test_main ${S_LIBS})
  gtest_discover_tests(${target} DISCOVERY_TIMEOUT 60 NO_PRETTY_VALUES TEST_LIST ${target}_TESTS)
  # Properties from a second include file: gtest_discover_tests would flatten list values
  # (two labels). GTEST_SKIP() shows as "Skipped" in ctest: the test main exits 77 when none
  # failed and some were skipped, and writes the GoogleTest XML into the run folder for
  # `bnet-e2e summary` (BNET_E2E_GTEST_XML).
  set(props_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_properties.cmake")
  file(WRITE "${props_file}"
    "foreach(t IN LISTS ${target}_TESTS)\n"
    "  set_tests_properties(\"\${t}\" PROPERTIES LABELS [==[${S_LABELS}]==] TIMEOUT ${S_TIMEOUT}\n"
    "    SKIP_RETURN_CODE 77 ENVIRONMENT BNET_E2E_GTEST_XML=1)\n"
    "endforeach()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${props_file}")
endfunction()
