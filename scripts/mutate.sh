#!/usr/bin/env bash
# Mutation testing of the pure-Python core with mutmut (slow: NOT run by CI).  Each module is
# mutated on its own, with only its own fast tests (the table below), in a copy of the code
# under mutants/<module>/ made when its run starts.  Results: one line per run appended to
# mutants/summary.tsv, the surviving mutants in mutants/<module>/survivors.txt and their diffs
# in survivors.diff.  docs/TESTING.md has the numbers and the equivalent survivors.
#   bash scripts/mutate.sh                          # every module, every mutant
#   bash scripts/mutate.sh decimate schedules       # some modules
#   bash scripts/mutate.sh --sample 300 --seed 1 figures   # a seeded random sample of mutants
#   bash scripts/mutate.sh --max-children 2 parse   # workers (default 1: the CPUs are shared)
#   bash scripts/mutate.sh --resume parse           # re-test the last run's survivors with the
#                                                   # current tests (same code snapshot)
# Modules: urlstate decimate schedules optimizer parse differentiate evaluate surface figures
# (parse..surface are the four files of surfaces/formula/).  The Numba kernels
# (optimizers/kernel.py, surfaces/formula/_compiled.py) are not mutated: the golden fixtures
# cover them (tests/test_golden.py, tests/test_modern_optimizers.py).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
source scripts/_venv.sh
pip_install requirements-dev.txt
PY="$ROOT/$VENV/bin/python"
MUTMUT="$ROOT/$VENV/bin/mutmut"

ALL="urlstate decimate schedules optimizer parse differentiate evaluate surface figures"
SAMPLE=0
SEED=0
CHILDREN=1
RESUME=0
MODULES=()
while [ $# -gt 0 ]; do
  case "$1" in
    --sample) SAMPLE="$2"; shift 2 ;;
    --seed) SEED="$2"; shift 2 ;;
    --max-children) CHILDREN="$2"; shift 2 ;;
    --resume) RESUME=1; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) MODULES+=("$1"); shift ;;
  esac
done
[ ${#MODULES[@]} -gt 0 ] || read -r -a MODULES <<<"$ALL"

# module -> the file it mutates, and the fast tests that pin its behaviour (no browser, no slow)
module_file() {
  case "$1" in
    urlstate) echo lab/urlstate.py ;;
    decimate) echo optimizers/decimate.py ;;
    schedules) echo optimizers/schedules.py ;;
    optimizer) echo optimizers/optimizer.py ;;
    parse|differentiate|evaluate|surface) echo "surfaces/formula/$1.py" ;;
    figures) echo lab/figures.py ;;
    *) echo "unknown module $1 (modules: $ALL)" >&2; return 2 ;;
  esac
}
module_tests() {
  case "$1" in
    urlstate)  # and the Basins page's link tables (its random-link test is too slow here)
      echo tests/test_urlstate_values.py tests/test_mut_urlstate.py \
        tests/test_basins.py::test_basins_link_gives_these_settings_and_warnings \
        tests/test_basins.py::test_custom_surface_links_round_trip ;;
    decimate) echo tests/test_decimate_values.py tests/test_decimate.py tests/test_mut_decimate.py ;;
    schedules) echo tests/test_schedules.py tests/test_mut_schedules.py ;;
    optimizer)  # (the engine's tests run optimizers, slowly; these pin the class by value)
      echo tests/test_mut_optimizer.py tests/test_mut_urlstate.py tests/test_urlstate_values.py ;;
    parse|differentiate|evaluate|surface)  # without the four random-formula properties (20 s)
      echo tests/test_formula_refusals.py tests/test_formula.py tests/test_formula_program.py \
        tests/test_mut_formula.py \
        --deselect=tests/test_formula.py::test_gradient_matches_finite_differences \
        --deselect=tests/test_formula.py::test_mutated_expressions_raise_only_formula_error \
        --deselect=tests/test_formula.py::test_random_text_raises_only_formula_error \
        --deselect=tests/test_formula.py::test_grammar_expressions_parse_and_print_back ;;
    figures) echo tests/test_figures.py tests/test_mut_figures.py ;;
  esac
}

# one pure-Python helper per step; mutmut's own functions name the mutants as it does
select_mutants() {  # FILE SAMPLE SEED: every mutant, or a seeded random sample of them
  "$PY" - "$@" <<'PYEOF'
import random, sys
from pathlib import Path
from mutmut.mutation.file_mutation import mutate_file_contents
from mutmut.utils.format_utils import get_mutant_name
path, sample, seed = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
names = [get_mutant_name(path, n)
         for n in mutate_file_contents(str(path), path.read_text(), None, None).mutant_names]
if 0 < sample < len(names):
    names = sorted(random.Random(seed).sample(names, sample))
print("\n".join(names))
PYEOF
}
summarize() {  # FILE MODULE SECONDS RUN: a summary line; results.json, survivors.txt/.diff
  "$PY" - "$@" <<'PYEOF'
import collections, json, sys
from mutmut.mutation.diff_apply import get_diff_for_mutant
from mutmut.stats import status_by_exit_code
path, mod, seconds, run = sys.argv[1:]
codes = json.load(open(f"mutants/{path}.meta"))["exit_code_by_key"]
try:  # a resumed run re-tests the survivors only: the others keep their last verdict
    last = json.load(open("results.json"))
except FileNotFoundError:
    last = {}
codes = {n: c if c is not None else last.get(n) for n, c in codes.items()}
json.dump(codes, open("results.json", "w"), indent=0)
selected = open("selected.txt").read().split()
status = collections.Counter(status_by_exit_code[codes.get(n)] for n in selected)
known = ("killed", "survived", "timeout", "no tests", "not checked")
other = sum(v for k, v in status.items() if k not in known)
print(mod, len(codes), len(selected) - status["not checked"], status["killed"],
      status["survived"], status["timeout"], status["no tests"], other, seconds, run, sep="\t")
alive = [n for n in selected if status_by_exit_code[codes.get(n)] in ("survived", "no tests")]
with open("survivors.txt", "w") as out:
    out.writelines(n + "\n" for n in alive)
with open("survivors.diff", "w") as out:
    for n in alive:
        diff = get_diff_for_mutant(n, path=path).splitlines()[2:]  # the function's own lines
        out.write(f"# {n}: {status_by_exit_code[codes.get(n)]}\n" + "\n".join(diff) + "\n\n")
PYEOF
}

SUMMARY="$ROOT/mutants/summary.tsv"
mkdir -p "$ROOT/mutants"
[ -e "$SUMMARY" ] || printf 'module\tmutants\ttested\tkilled\tsurvived\ttimeout\tno_tests\tother\tseconds\trun\n' >"$SUMMARY"

for MOD in "${MODULES[@]}"; do
  FILE="$(module_file "$MOD")"
  TESTS=()
  for t in $(module_tests "$MOD"); do
    if [ "${t:0:2}" = "--" ] || [ -e "${t%%::*}" ]; then TESTS+=("$t"); fi
  done
  WORK="$ROOT/mutants/$MOD"
  echo "== $MOD: $FILE with ${TESTS[*]}"
  if [ "$RESUME" -eq 1 ]; then
    # the same code snapshot and mutants, the current tests: re-test the survivors only
    if [ ! -s "$WORK/survivors.txt" ]; then
      echo "nothing to re-test in $WORK" >&2
      continue
    fi
    rm -rf "$WORK/tests"
    cp -a tests "$WORK/"
    mapfile -t NAMES <"$WORK/survivors.txt"
    RUN="$(cat "$WORK/run.txt"), survivors re-tested"
  else
    rm -rf "$WORK"
    mkdir -p "$WORK"
    cp -a lab optimizers surfaces tests "$WORK/"
    select_mutants "$FILE" "$SAMPLE" "$SEED" >"$WORK/selected.txt"
    TOTAL="$(select_mutants "$FILE" 0 0 | grep -c .)"
    NAMES=()
    RUN="full"
    if [ "$SAMPLE" -gt 0 ] && [ "$SAMPLE" -lt "$TOTAL" ]; then
      mapfile -t NAMES <"$WORK/selected.txt"
      RUN="sample of $SAMPLE, seed $SEED"
    fi
    echo "$RUN" >"$WORK/run.txt"
  fi
  find "$WORK" -name __pycache__ -prune -exec rm -rf {} +
  {
    cat pyproject.toml
    printf 'only_mutate = ["%s"]\n' "$FILE"
    printf 'pytest_add_cli_args_test_selection = ['
    printf '"%s", ' "${TESTS[@]}"
    printf ']\n'
  } >"$WORK/pyproject.toml"
  cd "$WORK"
  # the [tool.mutmut] section must be the file's last one, or the keys above land elsewhere
  "$PY" -c 'import tomllib, sys; c = tomllib.load(open("pyproject.toml", "rb"))["tool"]["mutmut"]
sys.exit(0 if c.get("only_mutate") == [sys.argv[1]] else "pyproject.toml: [tool.mutmut] is not last")' "$FILE"
  START=$(date +%s)
  set +e
  "$MUTMUT" run --max-children "$CHILDREN" "${NAMES[@]}" >run.log 2>&1
  rc=$?
  set -e
  TAKEN=$(( $(date +%s) - START ))
  if [ $rc -ne 0 ]; then
    echo "mutmut failed on $MOD (exit $rc); the end of $WORK/run.log:" >&2
    tail -20 run.log >&2
    cd "$ROOT"
    continue
  fi
  summarize "$FILE" "$MOD" "$TAKEN" "$RUN" | tee -a "$SUMMARY"
  cd "$ROOT"
done
column -t -s $'\t' "$SUMMARY"
