// Run by environment_test as a child process (not registered with CTest): prints which
// environment the shared main selected and what Environment::current() loaded.
#include <iostream>

#include <gtest/gtest.h>

#include "fixtures/environment/environment.hpp"
#include "framework/env/selection.hpp"

TEST(Probe, PrintsTheSelectedEnvironment) {
  auto selection = e2e::selectedEnvironment();
  const auto& env = bnet::Environment::current();
  std::cout << "selected=" << selection.name_or_path << " source=" << selection.source << " name=" << env.name
            << " file=" << env.file.string() << std::endl;
}
