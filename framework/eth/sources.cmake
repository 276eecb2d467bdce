# framework/eth sources
target_sources(e2e_framework PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/accounts.cpp
  ${CMAKE_CURRENT_LIST_DIR}/errors.cpp
  ${CMAKE_CURRENT_LIST_DIR}/hex.cpp
  ${CMAKE_CURRENT_LIST_DIR}/keccak.cpp
  ${CMAKE_CURRENT_LIST_DIR}/personal_sign.cpp
  ${CMAKE_CURRENT_LIST_DIR}/request_signature.cpp
  ${CMAKE_CURRENT_LIST_DIR}/rlp.cpp
  ${CMAKE_CURRENT_LIST_DIR}/secp256k1.cpp
  ${CMAKE_CURRENT_LIST_DIR}/transaction.cpp
  ${CMAKE_CURRENT_LIST_DIR}/types.cpp
  ${CMAKE_CURRENT_LIST_DIR}/u256.cpp)
