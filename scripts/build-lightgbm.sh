#!/usr/bin/env bash
# Builds LightGBM's command-line program (`lightgbm`) from a v4.6.0 source tree, for `npm run bench -- gbdt`'s
# LightGBM peer. LightGBM has no Debian package, and a source archive (`git archive`, a release tarball without
# submodules) lacks its four git submodules; three are header-only libraries that the CLI needs and Debian ships, so
# they are wired in from the system instead of fetched:
#   external_libs/eigen                     -> /usr/include/eigen3          (libeigen3-dev, 3.4)
#   external_libs/fmt/include/fmt           -> /usr/include/fmt             (libfmt-dev, used header-only)
#   external_libs/fast_double_parser/include <- fast_double_parser's own source (header-only, no Debian package)
# (external_libs/compute, Boost.Compute, is only for the OpenCL GPU build and is not needed.)
# LightGBM 4.6's CMakeLists.txt hard-codes these paths (`set(EIGEN_DIR ...external_libs/eigen)` etc.; no option or
# find_package reads a system copy), so the headers are placed where it expects them, in a scratch copy of the tree.
#
# Usage: scripts/build-lightgbm.sh LIGHTGBM_SRC FAST_DOUBLE_PARSER_SRC OUT_DIR
#   LIGHTGBM_SRC, FAST_DOUBLE_PARSER_SRC: a source directory or a .tar / .tar.gz archive of one.
#   OUT_DIR: where the `lightgbm` binary and VERSION.txt go (keep it outside the repository).
# Needs: CMake >= 3.28 (bookworm: `apt-get install -y -t bookworm-backports cmake`), g++, make,
#        `apt-get install -y libeigen3-dev libfmt-dev`. Flags are LightGBM's own release defaults (Release, -O3, OpenMP
#        on, no -march=native), so the binary is the portable one LightGBM's own packages ship.
# Environment: JOBS (default 2) parallel compile jobs; the build runs under `nice`.
set -euo pipefail

if [ "$#" -ne 3 ]; then
  sed -n '13,15p' "$0" >&2
  exit 2
fi
src=$1 fdp=$2 out=$3
jobs=${JOBS:-2}

die() {
  echo "build-lightgbm: $*" >&2
  exit 1
}

# CMake >= 3.28: LightGBM 4.6's cmake_minimum_required.
command -v cmake >/dev/null || die 'cmake not found (apt-get install -y -t bookworm-backports cmake)'
cmake_version=$(cmake --version | sed -n '1s/^cmake version //p')
[ "$(printf '%s\n3.28\n' "$cmake_version" | sort -V | head -1)" = 3.28 ] ||
  die "cmake $cmake_version is older than 3.28 (apt-get install -y -t bookworm-backports cmake)"
[ -f /usr/include/eigen3/Eigen/Dense ] || die 'Eigen headers missing (apt-get install -y libeigen3-dev)'
[ -f /usr/include/fmt/format.h ] || die 'fmt headers missing (apt-get install -y libfmt-dev)'

work=$(mktemp -d "${TMPDIR:-/tmp}/build-lightgbm.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Unpacks a directory or an archive into $2 (an archive may hold one top-level folder or the tree itself).
unpack() {
  mkdir -p "$2"
  if [ -d "$1" ]; then
    cp -a "$1/." "$2/"
  elif [ -f "$1" ]; then
    tar -xf "$1" -C "$2"
    local entries
    entries=$(ls -A "$2")
    if [ "$(printf '%s\n' "$entries" | wc -l)" -eq 1 ] && [ -d "$2/$entries" ]; then
      mv "$2/$entries" "$2.inner" && rmdir "$2" && mv "$2.inner" "$2"
    fi
  else
    die "no such source: $1"
  fi
}

unpack "$src" "$work/LightGBM"
unpack "$fdp" "$work/fast_double_parser"
tree=$work/LightGBM
[ -f "$tree/CMakeLists.txt" ] && [ -f "$tree/src/main.cpp" ] || die "$src is not a LightGBM source tree"
[ -f "$work/fast_double_parser/include/fast_double_parser.h" ] || die "$fdp is not a fast_double_parser source tree"
version=$(cat "$tree/VERSION.txt")
case "$version" in 4.6.*) ;; *) echo "build-lightgbm: warning: source is LightGBM $version, not 4.6" >&2 ;; esac

# Wire the submodules (empty folders in an archive) to the system headers and fast_double_parser's source.
ext=$tree/external_libs
rm -rf "$ext/eigen" "$ext/fmt" "$ext/fast_double_parser"
ln -s /usr/include/eigen3 "$ext/eigen"
mkdir -p "$ext/fmt/include" "$ext/fast_double_parser/include"
ln -s /usr/include/fmt "$ext/fmt/include/fmt"
cp "$work/fast_double_parser/include/fast_double_parser.h" "$ext/fast_double_parser/include/"

cmake -S "$tree" -B "$tree/build" -DCMAKE_BUILD_TYPE=Release -DUSE_OPENMP=ON -DBUILD_CLI=ON >"$work/configure.log" ||
  {
    cat "$work/configure.log" >&2
    die 'cmake configure failed'
  }
nice -n 10 cmake --build "$tree/build" --target lightgbm -j "$jobs"

mkdir -p "$out"
binary=$(find "$tree" -maxdepth 2 -type f -name lightgbm -perm -u+x | head -1)
[ -n "$binary" ] || die 'the build finished without a lightgbm binary'
install -m 0755 "$binary" "$out/lightgbm"
printf '%s\n' "$version" >"$out/VERSION.txt"
echo "build-lightgbm: LightGBM $version CLI at $out/lightgbm"
