#!/usr/bin/env bash
# Regenerates test/fixtures/audio/wake/: wake phrases and near-misses spoken by espeak-ng voice
# variants that scripts/train-wake holds out of training (isHeldOut), each with 1 s of quiet
# before and 0.6 s after, in the pipeline format (16 kHz mono s16). Needs espeak-ng and sox.
set -euo pipefail
out=${1:-test/fixtures/audio/wake}
mkdir -p "$out"
say() { # name voice speed pitch text
  espeak-ng -v "cmn-latn-pinyin+$2" -s "$3" -p "$4" --stdout "$5" |
    sox -R -q -t wav - -r 16000 -c 1 -b 16 -e signed-integer "$out/$1.wav" pad 1.0 0.6
}
say pos-tianmao-m4     m4     170 40 "天猫精灵"
say pos-tianmao-f5     f5     200 70 "天猫精灵"
say pos-nihao-travis   travis 150 30 "你好天猫"
say pos-nihao-belinda  belinda 190 80 "你好天猫"
say neg-shangcheng-m8  m8     170 50 "天猫商城"
say neg-nihaoya-f1     f1     180 60 "你好呀"
say neg-xiaojingling-john john 160 45 "小精灵"
ls -la "$out"
