#!/usr/bin/env bash
# The library as a consumer sees it: install the build into a fresh prefix, build examples/ against it twice —
# as a separate CMake project with find_package(winclip) and with pkg-config alone — run both examples on the
# test model, and check that their scores and maps equal the installed `winclip detect`'s.
# usage: check_install.sh SOURCE_DIR BUILD_DIR WORK_DIR
set -euo pipefail
SRC=$1
BUILD=$2
WORK=$3
rm -rf "$WORK"
mkdir -p "$WORK"
PREFIX=$WORK/prefix
log() { "$@" > "$WORK/step.log" 2>&1 || { cat "$WORK/step.log"; echo "FAILED: $*"; exit 1; }; }

log cmake --install "$BUILD" --prefix "$PREFIX"
[ -f "$PREFIX/include/winclip/winclip.hpp" ] || { echo "winclip.hpp not installed"; exit 1; }
[ ! -e "$PREFIX/include/winclip/checkpoint.hpp" ] || { echo "an internal header was installed"; exit 1; }
log cmake -S "$SRC/examples" -B "$WORK/examples" -DCMAKE_PREFIX_PATH="$PREFIX" -DCMAKE_BUILD_TYPE=Release
log cmake --build "$WORK/examples"
pc=$(dirname "$(find "$PREFIX" -name winclip.pc)")
# shellcheck disable=SC2046
log c++ -O1 -o "$WORK/detect_one_pkgconfig" "$SRC/examples/detect_one.cpp" \
  $(PKG_CONFIG_PATH=$pc pkg-config --cflags --libs winclip)
libdir=$(dirname "$(find "$PREFIX" -name 'libwinclip.so' | head -1)")

MODEL=$SRC/tests/data/model
TEST_IMAGE=$SRC/samples/nut_scratch.png
SECOND_IMAGE=$SRC/samples/nut_good.png
REF=$SRC/samples/ref/nut_ref_0.png
# From outside both trees, so nothing can be found by a path relative to them.
cd "$WORK"
log "$PREFIX/bin/winclip" detect --model "$MODEL" --class metal_nut --out "$WORK/zero" "$TEST_IMAGE"
log "$PREFIX/bin/winclip" detect --model "$MODEL" --class metal_nut --ref "$REF" --out "$WORK/one" "$TEST_IMAGE" \
  "$SECOND_IMAGE"
"$WORK/examples/detect_one" "$MODEL" metal_nut "$TEST_IMAGE" "$WORK/cmake.npy" > "$WORK/cmake.txt"
LD_LIBRARY_PATH=$libdir "$WORK/detect_one_pkgconfig" "$MODEL" metal_nut "$TEST_IMAGE" "$WORK/pc.npy" > "$WORK/pc.txt"
"$WORK/examples/few_shot" "$MODEL" metal_nut "$WORK/nut.bank" "$REF" -- "$TEST_IMAGE" "$SECOND_IMAGE" > "$WORK/few.txt"

/usr/bin/python3 - "$WORK" <<'PY'
import json, sys
import numpy as np
work = sys.argv[1]
zero = json.load(open(f"{work}/zero/results.json"))["images"][0]
one = json.load(open(f"{work}/one/results.json"))["images"]
cli_map = np.load(f"{work}/zero/maps/nut_scratch.npy")
problems = []
for name in ("cmake", "pc"):
    score = float(open(f"{work}/{name}.txt").read())
    if abs(score - zero["score"]) > 1e-8:
        problems.append(f"detect_one ({name}): score {score} != winclip detect's {zero['score']}")
    m = np.load(f"{work}/{name}.npy")
    if m.shape != cli_map.shape or not np.array_equal(m, cli_map):
        problems.append(f"detect_one ({name}): map differs from winclip detect's")
few = [line.split() for line in open(f"{work}/few.txt")]
if len(few) != 2:
    problems.append(f"few_shot printed {few}")
for (path, score), entry in zip(few, one):
    if abs(float(score) - entry["score"]) > 1e-8:
        problems.append(f"few_shot: {path} scored {score}, winclip detect --ref {entry['score']}")
print("\n".join(problems) or f"examples equal winclip detect: zero-shot {zero['score']:.6f}, "
      f"one-shot {one[0]['score']:.6f} / {one[1]['score']:.6f}")
sys.exit(1 if problems else 0)
PY
