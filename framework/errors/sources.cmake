target_sources(e2e_framework PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/unavailable.cpp)
