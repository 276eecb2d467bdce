#include <gtest/gtest.h>

// GoogleTest main for every test binary of the project and of its users.
int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
