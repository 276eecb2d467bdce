# framework/env: environment files (JSON with ${VAR} expansion), a typed reader, selection.
target_sources(e2e_framework PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/env_file.cpp
  ${CMAKE_CURRENT_LIST_DIR}/env_reader.cpp
  ${CMAKE_CURRENT_LIST_DIR}/selection.cpp)
# Where NAME.json is looked up when BNET_E2E_ENV_DIR is not set: the source tree (found at run
# time, e2e::projectSourceDir), then the installed copy (cmake/Install.cmake installs
# environments/ there; the same path in every clone, so it may be compiled in).
set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/selection.cpp PROPERTIES COMPILE_DEFINITIONS
  "BNET_E2E_INSTALLED_ENV_DIR=\"${CMAKE_INSTALL_FULL_DATADIR}/bnet-e2e/environments\"")
