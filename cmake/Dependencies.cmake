# Every dependency comes from a Debian 12 package (tools/setup.sh owns the list).
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(GTest REQUIRED)
find_package(CURL REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(fmt REQUIRED)
# Boost.Process v2 is header-only in 1.81 (with BOOST_PROCESS_USE_STD_FS it needs no
# Boost.Filesystem); Boost.Asio comes with it.
find_package(Boost 1.81 REQUIRED CONFIG COMPONENTS headers)
pkg_check_modules(LIBSSH REQUIRED IMPORTED_TARGET libssh)
pkg_check_modules(SECP256K1 REQUIRED IMPORTED_TARGET libsecp256k1)
pkg_check_modules(CRYPTOPP REQUIRED IMPORTED_TARGET libcrypto++)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
pkg_check_modules(YAMLCPP REQUIRED IMPORTED_TARGET yaml-cpp)
pkg_check_modules(TINYXML2 REQUIRED IMPORTED_TARGET tinyxml2)
find_package(CLI11 REQUIRED)
find_package(benchmark QUIET)
# Header-only, in the default include path: valijson (JSON Schema checks of the builder
# configuration); found here so that a missing package fails at configure time.
find_path(VALIJSON_INCLUDE_DIR valijson/validator.hpp REQUIRED)
