# framework/fs: reading a file whole and writing one atomically with a given mode.
target_sources(e2e_framework PRIVATE ${CMAKE_CURRENT_LIST_DIR}/fs.cpp)
