#!/usr/bin/env bash
# Render a report of a sample JSONL to docs/report.png with headless Chromium,
# for the README.
#
#   scripts/screenshot_report.sh [RESULTS.jsonl] [OUT.png]
#
# Without RESULTS.jsonl, a realistic synthetic sample of 500 reviews (Chinese
# and English, tests/helpers/synth.py, fixed seed) is used until real demo
# output exists. Needs: the report extra (pip install -e '.[report]') and
# Chromium plus a CJK font for the page text (Debian:
# apt-get install chromium fonts-noto-cjk).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
results="${1:-}"
out="${2:-$root/docs/report.png}"
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
  PYTHONPATH="$root/tests${PYTHONPATH:+:$PYTHONPATH}" "$python" - "$results" <<'EOF'
import sys
from helpers.synth import write_jsonl
write_jsonl(sys.argv[1], 500, seed=7)
EOF
fi

"$python" - "$results" "$work/report.html" <<'EOF'
import sys
from wom_sdk.report import TrendRule, build_report
# 500 reviews over 12 weeks is ~40 a week; the default rule's numbers suit that.
report = build_report(sys.argv[1], title="Word-of-mouth report (sample data)",
                      trend_rule=TrendRule())
report.write(sys.argv[2])
print(report, file=sys.stderr)
EOF

mkdir -p "$(dirname "$out")"
# No network, no profile state: the page is self-contained and must render offline.
"$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --disable-sync --no-first-run --hide-scrollbars \
  --user-data-dir="$work/profile" --screenshot="$out" --window-size=1200,2400 \
  "file://$work/report.html" 2>"$work/chromium.log" || { cat "$work/chromium.log" >&2; exit 1; }
echo "wrote $out" >&2
