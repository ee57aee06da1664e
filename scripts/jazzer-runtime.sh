#!/usr/bin/env bash
# Prints the command prefix under which Node can load Jazzer.js's native addon, installing it if needed.
#
# @jazzer.js/fuzzer 4.0.0 ships one prebuilt Linux addon (prebuilds/fuzzer-linux-x64.node) that needs
# glibc >= 2.38 (__isoc23_strtol, __isoc23_strtoul) and libstdc++ >= GCC 13 (GLIBCXX_3.4.32). Debian 12
# has glibc 2.36 and GCC 12, so `require("@jazzer.js/fuzzer")` fails with "version `GLIBC_2.38' not
# found". The addon has no source in the npm package to rebuild from (4.0.0 builds libFuzzer from an LLVM
# checkout downloaded from GitHub; 2.1.0's source needs a patched libFuzzer fork, also from GitHub, which
# this machine cannot reach). So, where the system's C runtime is too old, Node runs under Debian 13's
# (trixie) dynamic loader, glibc and libstdc++, unpacked into a private folder: nothing on the system
# changes and Node itself is the same binary. Debian packages, pinned by version and sha256, fetched with
# apt-get against a private package list (apt verifies the archive signature as usual).
#
#   prefix="$(bash scripts/jazzer-runtime.sh)"; $prefix node ...
#
# Prints an empty line when no runtime is needed (a newer distribution).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${JAZZER_RUNTIME_DIR:-$root/.fuzz/runtime}"
node="$root/node_modules/.bin/node"

if "$node" -e 'require("@jazzer.js/fuzzer")' >/dev/null 2>&1; then
  echo ""
  exit 0
fi

lib="$dir/root/usr/lib/x86_64-linux-gnu"
if [ ! -x "$lib/ld-linux-x86-64.so.2" ]; then
  [ "$(uname -m)" = x86_64 ] || { echo "jazzer-runtime: only x86_64 is handled (got $(uname -m))" >&2; exit 1; }
  # package=version sha256
  pins=(
    "libc6=2.41-12+deb13u5 b59b0625cd1a791375d40dab23a4d5d3d0641e3d0a773501becdc3725b7f99cf"
    "libstdc++6=14.2.0-19 ab1fa05837aa7a92aae748fd07a18a35f7d18bb4a71c4724fe2bbf0e32089de0"
    "libgcc-s1=14.2.0-19 3c71917b490d1a17aed43196a2787a256ecf060526cdb20216a74bedc061b150"
  )
  apt="$dir/apt"
  mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$dir/debs"
  echo "deb http://deb.debian.org/debian trixie main" >"$apt/sources.list"
  : >"$apt/status"
  opts=(-o "Dir::Etc::sourcelist=$apt/sources.list" -o Dir::Etc::sourceparts=/nonexistent -o "Dir::State::Lists=$apt/lists"
    -o "Dir::Cache=$apt/cache" -o "Dir::State::status=$apt/status" -o APT::Sandbox::User="$(id -un)" -qq)
  echo "jazzer-runtime: fetching Debian 13 glibc/libstdc++ for Jazzer.js's addon into $dir" >&2
  apt-get "${opts[@]}" update >&2
  (cd "$dir/debs" && apt-get "${opts[@]}" download $(printf '%s\n' "${pins[@]}" | cut -d' ' -f1) >&2)
  for pin in "${pins[@]}"; do
    pkg="${pin%%=*}" sum="${pin##* }"
    deb="$(ls "$dir/debs/${pkg}"_*.deb)"
    echo "$sum  $deb" | sha256sum -c --quiet - >&2
    dpkg-deb -x "$deb" "$dir/root"
  done
  rm -rf "$apt"
fi
prefix="$lib/ld-linux-x86-64.so.2 --library-path $lib"
# Check once that the addon really loads this way, so a failure is reported here and not mid-run.
$prefix "$(readlink -f "$node")" -e 'require("@jazzer.js/fuzzer")' >&2
echo "$prefix"
