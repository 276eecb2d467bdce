# framework/http sources
target_sources(e2e_framework PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/detail/curl_easy.cpp
  ${CMAKE_CURRENT_LIST_DIR}/http_client.cpp
  ${CMAKE_CURRENT_LIST_DIR}/json_rpc_client.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sse_parser.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sse_client.cpp)
