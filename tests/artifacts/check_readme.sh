#!/usr/bin/env bash
# The first ```c block of README.md must be byte-for-byte the example file
# that examples/CMakeLists.txt builds and runs, so the README never shows
# code that does not compile.
# Usage: check_readme.sh <README.md> <examples/c/readme_example.c>
set -euo pipefail

readme=${1:?usage: check_readme.sh <README.md> <example.c>}
example=${2:?usage: check_readme.sh <README.md> <example.c>}
[[ -f $readme ]] || { echo "FAIL: $readme not found"; exit 1; }
[[ -f $example ]] || { echo "FAIL: $example not found"; exit 1; }

block=$(mktemp)
trap 'rm -f "$block"' EXIT
awk '
    !inside && /^```c[[:space:]]*$/ { inside = 1; found = 1; next }
    inside && /^```[[:space:]]*$/   { exit }
    inside                          { print }
    END { if (!found) exit 2 }
' "$readme" >"$block" || { echo "FAIL: no \`\`\`c block in $readme"; exit 1; }

if ! diff -u --label "README.md (first \`\`\`c block)" --label "$(basename "$example")" \
        "$block" "$example"; then
    echo "FAIL: the README example and $example differ (diff above); keep them identical"
    exit 1
fi
echo "OK: README's C example is $(basename "$example") ($(wc -l <"$example") lines)"
