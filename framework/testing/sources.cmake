add_library(e2e_test_main STATIC ${CMAKE_CURRENT_LIST_DIR}/main.cpp ${CMAKE_CURRENT_LIST_DIR}/skip_unavailable.cpp)
add_library(bnet_e2e::test_main ALIAS e2e_test_main)
set_target_properties(e2e_test_main PROPERTIES OUTPUT_NAME bnet-e2e-test-main EXPORT_NAME test_main)
target_link_libraries(e2e_test_main PUBLIC e2e_framework GTest::gtest PRIVATE bnet_e2e_warnings)
