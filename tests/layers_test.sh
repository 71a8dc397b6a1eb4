#!/usr/bin/env bash
# layers_test.sh -- the include direction of the source tree (docs/model.md,
# "Layers"). A file may include headers of its own folder and of folders on a
# lower layer; an include of a header on its own layer in another folder, or on
# a higher layer, fails this test with file:line.
#   layer 0  sim/              event engine and base (CSV reader, name tables)
#   layer 1  models/numerics/  bit-exact formats and functional kernels
#   layer 2  models/           hardware, kernel and LLM performance models
#   layer 3  traces/ plots/    trace formats and import; gnuplot output
#   layer 4  cli/              the command-line front end
# Tests (tests/*.h and *_test.c) may include anything below cli/ plus cli/cli.h;
# a fuzz harness tests/fuzz/fuzz_NAME.c also cli/cmd_NAME.h, the command whose
# input it parses.
set -u
cd "$(dirname "$0")/.."
layer_of() {
    case "$1" in
        sim/*) echo 0 ;;
        models/numerics/*) echo 1 ;;
        models/*) echo 2 ;;
        traces/*|plots/*) echo 3 ;;
        cli/*) echo 4 ;;
        tests/*) echo 9 ;;
        *) echo -1 ;;
    esac
}
bad=0
checked=0
while IFS= read -r f; do
    dir=$(dirname "$f")
    lf=$(layer_of "$f")
    case "$f" in *_test.c|tests/*) lf=9 ;; esac
    while IFS=: read -r line inc; do
        h=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"$inc")
        checked=$((checked + 1))
        if [ ! -f "$h" ]; then
            echo "$f:$line: include \"$h\" is not a path from the repository root"
            bad=$((bad + 1)); continue
        fi
        lh=$(layer_of "$h")
        if [ "$lh" -lt 0 ]; then
            echo "$f:$line: includes \"$h\", outside the layered folders"
            bad=$((bad + 1)); continue
        fi
        [ "$(dirname "$h")" = "$dir" ] && continue
        if [ "$lf" -eq 9 ]; then
            fuzzed=$(basename "$f" .c)
            [ "$h" = "cli/cmd_${fuzzed#fuzz_}.h" ] && [ "$dir" = tests/fuzz ] && continue
            case "$h" in cli/cli.h) continue ;; cli/*) echo "$f:$line: a test includes the front end \"$h\""; bad=$((bad + 1)) ;; esac
            continue
        fi
        if [ "$lh" -ge "$lf" ]; then
            echo "$f:$line: \"$h\" (layer $lh) is not below \"$f\" (layer $lf)"
            bad=$((bad + 1))
        fi
    done < <(grep -n '^[[:space:]]*#[[:space:]]*include "' "$f")
done < <(git ls-files '*.c' '*.h' 2>/dev/null || find sim models traces plots cli tests -name '*.[ch]')
echo "layers_test: $checked includes checked"
if [ "$bad" -ne 0 ]; then echo "layers_test: $bad upward include(s)"; exit 1; fi
