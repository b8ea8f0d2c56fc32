#!/usr/bin/env bash
# Regenerates agent/audio/demo-household.wav: a short synthetic household scene (speech with
# pauses, some of it the wake phrase) spoken by espeak-ng's Mandarin pinyin voice, resampled to
# the pipeline format (16 kHz mono s16). Needs espeak-ng and sox (Debian packages).
# The plain cmn/zh voices are broken on Debian; cmn-latn-pinyin reads Hanzi correctly.
set -euo pipefail
out=${1:-agent/audio/demo-household.wav}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
lines=(
  "今天晚上吃什么"
  "天猫精灵, 明天早上七点叫我起床"
  "好的, 我去买点菜"
  "你好天猫, 播放一首轻音乐"
  "孩子们, 该写作业了"
)
i=0
for line in "${lines[@]}"; do
  pitch=$((30 + (i * 13) % 50)); speed=$((140 + (i * 17) % 60))
  espeak-ng -v cmn-latn-pinyin -p "$pitch" -s "$speed" -w "$tmp/raw$i.wav" "$line"
  sox -R "$tmp/raw$i.wav" -r 16000 -c 1 -b 16 -e signed-integer "$tmp/s$i.wav" pad 0 1.2
  i=$((i + 1))
done
sox -R "$tmp"/s*.wav -r 16000 -c 1 -b 16 -e signed-integer "$out" pad 0.5 0
sox --i "$out"
