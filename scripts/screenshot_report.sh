#!/usr/bin/env bash
# Render a report of a sample JSONL to a PNG with headless Chromium, for the README.
#
#   scripts/screenshot_report.sh [RESULTS.jsonl] [OUT.png]
#   scripts/screenshot_report.sh --analysis [RESULTS.jsonl] [OUT.png]
#
# The first form shoots the top of the report (docs/report.png). --analysis
# shoots only the drivers and the side-by-side comparison by brand
# (docs/report_analysis.png), from a report made with --compare-by brand.
#
# Without RESULTS.jsonl, a realistic synthetic sample (Chinese and English,
# tests/helpers/synth.py, fixed seed) is used until real demo output exists:
# 500 reviews, or with --analysis 800 reviews with a brand column (品牌) and
# the needs section. Needs: the report extra (pip install -e '.[report]') and
# Chromium plus a CJK font for the page text (Debian:
# apt-get install chromium fonts-noto-cjk).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
analysis=0
if [[ "${1:-}" == "--analysis" ]]; then analysis=1; shift; fi
results="${1:-}"
if [[ $analysis == 1 ]]; then default_out="$root/docs/report_analysis.png"; else default_out="$root/docs/report.png"; fi
out="${2:-$default_out}"
python="${PYTHON:-python}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

browser=""
for candidate in chromium chromium-browser google-chrome; do
  if command -v "$candidate" >/dev/null 2>&1; then browser="$candidate"; break; fi
done
if [[ -z "$browser" ]]; then
  echo "no headless Chromium found (Debian: apt-get install chromium fonts-noto-cjk)" >&2
  exit 1
fi

if [[ -z "$results" ]]; then
  results="$work/sample.jsonl"
  PYTHONPATH="$root/tests${PYTHONPATH:+:$PYTHONPATH}" "$python" - "$results" "$analysis" <<'EOF_PY'
import sys
from helpers.synth import write_jsonl
if sys.argv[2] == "1":
    write_jsonl(sys.argv[1], 800, seed=7, brands=True)
else:
    write_jsonl(sys.argv[1], 500, seed=7)
EOF_PY
fi

"$python" - "$results" "$work/report.html" "$analysis" <<'EOF_PY'
import sys
from wom_sdk.report import TrendRule, build_report
analysis = sys.argv[3] == "1"
# 500 reviews over 12 weeks is ~40 a week; the default rule's numbers suit that.
report = build_report(sys.argv[1], title="Word-of-mouth report (sample data)",
                      trend_rule=TrendRule(), compare_by="brand" if analysis else None)
html = report.to_html()
if analysis:
    # Only the drivers and the comparison: the page's head, then those two sections.
    start, end = html.index("<section id='wom-drivers'>"), html.index("<section id='wom-products'>")
    cut = html.find("<section id='wom-needs'>", start, end)
    html = html[: html.index("<section id='wom-totals'>")] + html[start : cut if cut > 0 else end]
    html += "</div>\n</body>\n</html>\n"
with open(sys.argv[2], "w", encoding="utf-8") as fh:
    fh.write(html)
print(report, file=sys.stderr)
EOF_PY

if [[ $analysis == 1 ]]; then size=1200,3700; else size=1200,2400; fi
mkdir -p "$(dirname "$out")"
# No network, no profile state: the page is self-contained and must render offline.
"$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --disable-sync --no-first-run --hide-scrollbars \
  --user-data-dir="$work/profile" --screenshot="$out" --window-size="$size" \
  "file://$work/report.html" 2>"$work/chromium.log" || { cat "$work/chromium.log" >&2; exit 1; }
echo "wrote $out" >&2
