#!/usr/bin/env bash
# Developer loop: build _core in place (python/fastinfer/_core*.so) so that
# `PYTHONPATH=python pytest` runs against the working tree without reinstalling.
# Usage: tools/dev_build.sh [Release|Debug|Sanitize]
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-Release}
extra=()
build_type=$mode
if [ "$mode" = Sanitize ]; then extra=(-DFASTINFER_SANITIZE=ON); build_type=RelWithDebInfo; fi
build=build/dev-$mode
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" \
  -DSKBUILD_PROJECT_NAME=fastinfer -DSKBUILD_PROJECT_VERSION=0.1.0 \
  -Dpybind11_DIR="$(python -c 'import pybind11; print(pybind11.get_cmake_dir())')" \
  -DPython_EXECUTABLE="$(command -v python)" "${extra[@]}" >/dev/null
cmake --build "$build"
# Copy then rename: overwriting the loaded .so in place would SIGBUS a process running it.
for so in "$build"/_core*.so; do
  cp "$so" "python/fastinfer/.$(basename "$so").tmp"
  mv -f "python/fastinfer/.$(basename "$so").tmp" "python/fastinfer/$(basename "$so")"
done
