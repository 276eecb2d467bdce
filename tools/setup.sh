#!/usr/bin/env bash
# Installs what buildernet-e2e needs on Debian 12 (idempotent), then configures and builds.
# This script owns the package list. Usage: tools/setup.sh [--no-build] [--build-dir DIR]
# Environment: BNET_E2E_CACHE (default ~/.cache/bnet-e2e) holds the npm packages and the
# twin image; BNET_E2E_BUILD_DIR (default ./build); BNET_E2E_CMAKE_ARGS (extra -D flags);
# BNET_E2E_ALLOW_SKIPS=1 lets setup go on when the twin image cannot be built (it fails
# otherwise) and lets the runs' tests skip where a prerequisite is missing.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
build_dir=${BNET_E2E_BUILD_DIR:-$root/build}
do_build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) do_build=0 ;;
    --build-dir) build_dir=$2; shift ;;
    *) echo "setup.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done
cache=${BNET_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bnet-e2e}
mkdir -p "$cache"

packages=(
  # toolchain
  g++ cmake ninja-build ccache pkg-config git
  # the CI build (.ci/env.sh): clang with libFuzzer and the sanitizer runtimes, lld
  clang libclang-rt-14-dev lld-14
  # libraries
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  libcurl4-openssl-dev nlohmann-json3-dev libfmt-dev libboost1.81-dev
  libssh-dev libsecp256k1-dev libcrypto++-dev libcli11-dev libcpp-httplib-dev libyaml-cpp-dev libtinyxml2-dev libcpptoml-dev libvalijson-dev libssl-dev zlib1g-dev libbrotli-dev libcrypt-dev
  # real things the tests drive
  qemu-system-x86 qemu-utils debootstrap e2fsprogs cpio zstd swtpm ovmf
  openssh-server openssh-client curl ca-certificates procps iproute2
  # the report test loads the HTML report in headless Chromium
  chromium
  # bench/ scripts (GNU time -v, JSON and arithmetic in bash)
  time jq bc
)
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# anvil (a real Ethereum execution client) from npm, pinned.
anvil_version=1.7.1
npm_dir=$cache/npm
if [ ! -x "$npm_dir/node_modules/.bin/anvil" ] || \
   ! grep -q "\"version\": \"$anvil_version\"" "$npm_dir/node_modules/@foundry-rs/anvil-linux-amd64/package.json" 2>/dev/null; then
  echo "setup: installing anvil $anvil_version from npm into $npm_dir"
  mkdir -p "$npm_dir"
  npm install --silent --no-audit --no-fund --prefix "$npm_dir" "@foundry-rs/anvil-linux-amd64@$anvil_version" >/dev/null
fi

# ethers (an independent Ethereum implementation the eth tests check framework/eth against), pinned.
ethers_version=6.17.0
if ! grep -q "\"version\": \"$ethers_version\"" "$npm_dir/node_modules/ethers/package.json" 2>/dev/null; then
  echo "setup: installing ethers $ethers_version from npm into $npm_dir"
  mkdir -p "$npm_dir"
  npm install --silent --no-audit --no-fund --prefix "$npm_dir" "ethers@$ethers_version" >/dev/null
fi

# The twin VM image (Debian bookworm via debootstrap), cached under $cache/twin/<recipe hash>;
# rebuilt only when tools/twin-image/ changes. The local environment must run here, so an
# image that cannot be built (e.g. no Debian mirror) ends setup with the reason, unless the
# user allows its tests to skip instead (BNET_E2E_ALLOW_SKIPS=1).
allow_skips=${BNET_E2E_ALLOW_SKIPS:-0}
case "$allow_skips" in
  0 | "" | 1) ;;
  *) echo "setup: BNET_E2E_ALLOW_SKIPS='$allow_skips': use 1 (skips allowed) or 0" >&2; exit 2 ;;
esac
[ "$allow_skips" = 1 ] && echo "setup: BNET_E2E_ALLOW_SKIPS=1: tests may skip where a prerequisite is missing"
if twin_dir=$(BNET_E2E_CACHE=$cache "$root/tools/twin-image/ensure.sh"); then
  echo "setup: twin image $twin_dir"
elif [ "$allow_skips" = 1 ]; then
  echo "setup: WARNING: the twin image could not be built (reason above); BNET_E2E_ALLOW_SKIPS=1, so the tests that need it will skip" >&2
else
  echo "setup: FAILED: the twin image could not be built (reason above: tools/twin-image/ensure.sh);" \
    "the local environment and the tests labelled vm need it. Fix the cause, or set BNET_E2E_ALLOW_SKIPS=1" \
    "to let those tests skip." >&2
  exit 1
fi

[ "$do_build" = 1 ] || exit 0

launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
# Paths relative to the checkout, so a fresh clone elsewhere (CI) hits the same cache.
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=true
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  # shellcheck disable=SC2086
  cmake -S "$root" -B "$build_dir" -G Ninja "${launcher[@]}" ${BNET_E2E_CMAKE_ARGS:-} >/dev/null
fi
echo "setup: building in $build_dir"
cmake --build "$build_dir" -- -j"$(nproc)"
