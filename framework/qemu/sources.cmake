# framework/qemu sources: QemuMachine, Qmp, ConsoleReader
target_sources(e2e_framework PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/console_reader.cpp
  ${CMAKE_CURRENT_LIST_DIR}/qmp.cpp
  ${CMAKE_CURRENT_LIST_DIR}/qemu_machine.cpp)
