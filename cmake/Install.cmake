# Installs the libraries, headers and a CMake package so another repository can write:
#   find_package(BnetE2E REQUIRED)
#   bnet_e2e_add_scenario(my_scenarios SOURCES my_test.cpp LABELS e2e)
include(CMakePackageConfigHelpers)
set(BNET_E2E_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/BnetE2E)
set_target_properties(e2e_framework bnet_fixtures PROPERTIES
  INSTALL_RPATH "$ORIGIN/../${CMAKE_INSTALL_LIBDIR}")

# A sanitized build's libraries need the sanitizer runtime in whatever links them: the
# installed targets carry the link flag to consumers (tests/package checks it under ASan).
if(NOT BNET_E2E_SANITIZE STREQUAL "")
  target_link_options(e2e_framework INTERFACE -fsanitize=${BNET_E2E_SANITIZE})
endif()
install(TARGETS e2e_framework bnet_fixtures e2e_test_main bnet_e2e_warnings
  EXPORT BnetE2ETargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
foreach(dir framework fixtures)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir}/
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/bnet-e2e/${dir}
    FILES_MATCHING PATTERN "*.hpp")
endforeach()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/environments/
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bnet-e2e/environments)
install(EXPORT BnetE2ETargets NAMESPACE bnet_e2e:: DESTINATION ${BNET_E2E_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/BnetE2EConfig.cmake.in
  ${PROJECT_BINARY_DIR}/BnetE2EConfig.cmake INSTALL_DESTINATION ${BNET_E2E_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/BnetE2EConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/BnetE2EConfig.cmake
  ${PROJECT_BINARY_DIR}/BnetE2EConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/BnetE2EScenario.cmake
  DESTINATION ${BNET_E2E_CMAKE_DIR})
