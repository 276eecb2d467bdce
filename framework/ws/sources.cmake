# framework/ws sources
target_sources(e2e_framework PRIVATE ${CMAKE_CURRENT_LIST_DIR}/ws_json_rpc_client.cpp)
