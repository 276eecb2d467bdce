// Test helper: reserves N ports, prints them one per line, holds them until stdin closes.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include "framework/net/ports.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: port_holder N\n";
    return 2;
  }
  try {
    auto ports = e2e::reservePorts(static_cast<std::size_t>(std::stoul(argv[1])));
    for (const auto& p : ports) std::cout << p.port() << '\n';
    std::cout.flush();
    std::string line;
    while (std::getline(std::cin, line)) {
    }
  } catch (const std::exception& e) {
    std::cerr << "port_holder: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
