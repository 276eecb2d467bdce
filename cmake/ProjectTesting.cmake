# bnet_e2e_add_test(NAME <target> SOURCES ... [LIBS ...] LABELS ... [TIMEOUT s] [RESOURCE_LOCK ...])
# One GoogleTest executable, its tests discovered individually and labelled.
function(bnet_e2e_add_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS;RESOURCE_LOCK;ENVIRONMENT" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} bnet_e2e::test_main GTest::gmock bnet_e2e_warnings)
  # GTEST_SKIP() shows as "Skipped" in ctest (with the reason in the output), not "Passed".
  set(props LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT} SKIP_REGULAR_EXPRESSION "\\[  SKIPPED \\]")
  if(T_RESOURCE_LOCK)
    list(APPEND props RESOURCE_LOCK "${T_RESOURCE_LOCK}")
  endif()
  list(APPEND T_ENVIRONMENT "BNET_E2E_SOURCE_DIR=${PROJECT_SOURCE_DIR}" "BNET_E2E_BINARY_DIR=${PROJECT_BINARY_DIR}")
  # A list-valued property must keep its semicolons escaped through gtest_discover_tests.
  string(REPLACE ";" "\\;" env_escaped "${T_ENVIRONMENT}")
  list(APPEND props ENVIRONMENT "${env_escaped}")
  gtest_discover_tests(${T_NAME}
    DISCOVERY_TIMEOUT 60
    PROPERTIES ${props})
endfunction()
