#!/usr/bin/env bash
# Opens a `kmer2vec report` page in a real headless browser (Debian's chromium) and fails on
# a broken page: the DOM after loading must hold every section and chart, and a full-page
# screenshot must show them (a page that renders blank or half-empty compresses to a small
# PNG). Writes the screenshot next to the report, or to SCREENSHOT.
#
# Usage: bash tests/report/check_in_chromium.sh REPORT.html [SCREENSHOT.png]
# Environment: MIN_CHARTS (default 5: similarity, map by GC, map by k, loss curve, and the
# PMI scatter when the report has one, which makes 5; without counts pass 4).
set -euo pipefail

report=$(realpath "$1")
shot=${2:-${report%.html}.png}
min_charts=${MIN_CHARTS:-5}
fail() { echo "check_in_chromium: $report: $*" >&2; exit 1; }

browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [[ -z $browser ]]; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        apt-get install -y -q chromium >/dev/null 2>&1 \
            || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }
        browser=$(command -v chromium)
    else
        fail "no chromium: sudo apt-get install -y chromium"
    fi
fi
# No sandbox: CI runs as root, where Chromium's sandbox refuses to start.
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run
       --user-data-dir="$(mktemp -d)")

dom=$(timeout 120 "$browser" "${flags[@]}" --dump-dom "file://$report" 2>/dev/null) \
    || fail "chromium could not load the page"
for section in checks map training neighbours; do
    grep -q "id=\"$section\"" <<<"$dom" || fail "section '$section' missing from the rendered page"
done
charts=$(grep -o '<svg' <<<"$dom" | wc -l)
(( charts >= min_charts )) || fail "$charts charts rendered, expected at least $min_charts"
grep -q '</html>' <<<"$dom" || fail "the page did not finish"

timeout 120 "$browser" "${flags[@]}" --window-size=1280,4200 --screenshot="$shot" \
    "file://$report" >/dev/null 2>&1 || fail "chromium could not take a screenshot"
[[ -s $shot ]] || fail "no screenshot written"
# A blank 1280×4200 page measured 25 KB of PNG; the charts' thousands of dots are several
# hundred (406–569 KB here).
size=$(stat -c %s "$shot")
(( size > ${MIN_PNG_BYTES:-150000} )) || fail "screenshot only $size bytes: the page looks empty"
echo "check_in_chromium: $report: $charts charts, sections present, screenshot $shot ($size bytes)"
