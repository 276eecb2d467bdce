# framework/ssh: SSH sessions (commands, SFTP, host key pinning) and the framework's key.
# libssh stays PRIVATE to e2e_framework: no public header includes it.
target_sources(e2e_framework PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/shell.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ssh_key.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ssh_session.cpp)
