# framework/artifacts: per-run and per-test folders, redaction, the GoogleTest listener.
target_sources(e2e_framework PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/redactor.cpp
  ${CMAKE_CURRENT_LIST_DIR}/redact_tree.cpp
  ${CMAKE_CURRENT_LIST_DIR}/log_writer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/artifacts.cpp
  ${CMAKE_CURRENT_LIST_DIR}/listener.cpp)
