#!/usr/bin/env bash
# Regenerates the C++ verifier header from schema/schema.fbs with the flatc on PATH
# (Debian's flatbuffers-compiler 2.0.8). With --check, regenerates into a temporary folder and
# fails if the committed header differs: the schema and the header must not drift apart.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
target="$here/../Sources/CTFLiteVerifier/schema_generated.h"
command -v flatc >/dev/null || { echo "flatc not found: apt-get install flatbuffers-compiler" >&2; exit 1; }
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
flatc --cpp --no-includes -o "$tmp" "$here/schema.fbs"
# flatc --no-includes leaves out flatbuffers.h; the verifier source includes it first.
if [[ "${1:-}" == "--check" ]]; then
  if cmp -s "$tmp/schema_generated.h" "$target"; then echo "schema_generated.h is in sync with schema.fbs"; exit 0; fi
  echo "Sources/CTFLiteVerifier/schema_generated.h is out of sync with schema/schema.fbs: run schema/generate.sh" >&2
  exit 1
fi
cp "$tmp/schema_generated.h" "$target"
echo "wrote $target ($(flatc --version))"
