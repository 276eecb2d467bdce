target_sources(e2e_framework PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/child_process.cpp
  ${CMAKE_CURRENT_LIST_DIR}/guardian.cpp
  ${CMAKE_CURRENT_LIST_DIR}/registry.cpp)
