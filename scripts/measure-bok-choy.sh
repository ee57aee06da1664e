#!/usr/bin/env bash
# Enrol bok choy from its first 50 field photos (name order) with the CLI, evaluate on the other 181 against every
# rice and negative photo in ../shared/data.
set -euo pipefail
D=${CROPGATE_DATA:-../shared/data}
W=$(mktemp -d)
mkdir -p "$W/enrol" "$W/rest"
i=0
for f in $(find "$D/unseen-crops/bok-choy-field" -type f \( -iname '*.jpg' -o -iname '*.jpeg' -o -iname '*.png' \) | LC_ALL=C sort); do
  if [ $i -lt 50 ]; then ln -s "$(realpath "$f")" "$W/enrol/"; else ln -s "$(realpath "$f")" "$W/rest/"; fi
  i=$((i+1))
done
npm run -s enroll -- bok-choy "$W/enrol" --display-name "bok choy leaf" --out "$W/bok-choy.json"
neg=()
for d in "$D"/negatives/*/; do neg+=(--anomaly "$d"); done
npm run -s evaluate -- --reference "$W/bok-choy.json" --normal "$W/rest" --anomaly "$D/rice-leaf" --anomaly "$D/rice-field" "${neg[@]}" --show 0 "$@"
