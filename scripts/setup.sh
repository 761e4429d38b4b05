#!/usr/bin/env bash
# Install what digitize needs on a fresh Debian machine with Python 3.11:
#   scripts/setup.sh          system packages (apt) + a virtual environment in .venv with digitize
#   scripts/setup.sh --test   the same, plus what the tests need (PDFBox Preflight, pytest)
#   scripts/setup.sh --bench  the same, plus OCRmyPDF for scripts/bench_ingest.py
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
want_test=0; want_bench=0
for a in "$@"; do
  case "$a" in
    --test) want_test=1 ;;
    --bench) want_test=1; want_bench=1 ;;
    *) echo "usage: scripts/setup.sh [--test|--bench]" >&2; exit 2 ;;
  esac
done

apt_pkgs=(tesseract-ocr tesseract-ocr-vie tesseract-ocr-script-viet poppler-utils
          fonts-texgyre fonts-freefont-ttf fonts-noto-core fonts-liberation2 python3-venv)
[ "$want_test" = 1 ] && apt_pkgs+=(default-jre-headless libpdfbox2-java libactivation-java libjaxb-api-java
                                    chromium chromium-driver softhsm2)
# scripts/es.sh (the tests' Elasticsearch nodes): Maven fetches the distribution, unzip and curl
[ "$want_test" = 1 ] && apt_pkgs+=(maven unzip curl)
[ "$want_bench" = 1 ] && apt_pkgs+=(unpaper ghostscript)

missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "setup: installing ${missing[*]}" >&2
  $SUDO apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
extras=""
[ "$want_test" = 1 ] && extras="test"
[ "$want_bench" = 1 ] && extras="test,bench"
.venv/bin/python -m pip install -q --upgrade pip >&2
.venv/bin/python -m pip install -q -e ".${extras:+[$extras]}" >&2
echo "setup: ready (.venv/bin/digitize)" >&2
