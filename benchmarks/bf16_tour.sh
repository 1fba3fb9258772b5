#!/bin/bash
# CPU seconds of three README tour commands on one core, with an empty answer cache of their own, in one dtype.
# usage: benchmarks/bf16_tour.sh SRC_TREE OUT_DIR DTYPE REP   (appends "LABEL DTYPE REP command user system" to OUT_DIR/times.txt)
# e.g. for r in 1 2 3; do benchmarks/bf16_tour.sh . /tmp/bf16 float32 $r; benchmarks/bf16_tour.sh . /tmp/bf16 bfloat16 $r; done
SRC=$(cd "$1" && pwd); OUT=$2; DTYPE=$3; REP=$4; PYTHON=${PYTHON:-$SRC/.venv/bin/python}
W=$OUT/runs/$DTYPE-$REP; rm -rf "$W"; mkdir -p "$W/cache"
ln -s "${PLURALIGN_CACHE:-$HOME/.cache/pluralign}/models" "$W/cache/models"  # converted weights, as the suite links them
SPEC="embedded"; [ "$DTYPE" != auto ] && SPEC="embedded?dtype=$DTYPE"
cd "$W" || exit 1
run() { name=$1; shift
  /usr/bin/time -f "main $DTYPE $REP $name %U %S" -a -o "$OUT/times.txt" env PYTHONPATH="$SRC/src" PLURALIGN_CACHE="$W/cache" \
    OMP_NUM_THREADS=1 taskset -c 1 "$PYTHON" -m pluralign "$@" > "$W/$name.out" 2>&1; }
run audit audit --limit 8 --out "$W/quick" --model "$SPEC"
run compare-samplers compare-samplers --limit 4 --out "$W/cs" --model "$SPEC"
run values values "Keeping a wallet you found" --model "$SPEC"
echo "load $(cat /proc/loadavg)" >> "$OUT/times.txt"
