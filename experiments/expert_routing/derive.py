#!/usr/bin/env python3
"""Derive models/data/experts/gpt-oss-20b.csv, the measured expert popularity
of gpt-oss-20b, from the per-layer expert selection frequencies published by
AmanPriyanshu/GPT-OSS-MoE-ExpertFingerprinting (Apache-2.0).

Each of its summary files data/<dataset>/<subject>/<status>.json holds, for
sample_count prompts, the mean numbers of reasoning and answer tokens
(num_think_tokens, num_answer_tokens) and, per layer and expert, the fraction
of those tokens that selected the expert (count_frequency; the fractions of a
layer sum to top_k = 4). The share of expert e in layer l is the token-weighted
sum of count_frequency over every file, normalised per layer.

usage: derive.py PATH/TO/GPT-OSS-MoE-ExpertFingerprinting [OUT.csv]
(a git clone; the committed file was made from commit 72b368f)"""
import json
import subprocess
import sys

LAYERS, EXPERTS = 24, 32


def main():
    repo = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) > 2 else "models/data/experts/gpt-oss-20b.csv"
    names = subprocess.run(["git", "-C", repo, "ls-tree", "-r", "--name-only", "HEAD", "data"],
                           capture_output=True, text=True, check=True).stdout.split("\n")
    names = [n for n in names if n.endswith(".json") and not n.endswith("_examples.json")
             and not n.endswith("map.json")]
    acc = [[0.0] * EXPERTS for _ in range(LAYERS)]
    prompts = tokens = 0.0
    for n in names:
        d = json.loads(subprocess.run(["git", "-C", repo, "show", "HEAD:" + n],
                                      capture_output=True, text=True, check=True).stdout)
        samples = d.get("sample_count", 0)
        prompts += samples
        for part, count in (("think_expert_analytics", "num_think_tokens"),
                            ("answer_expert_analytics", "num_answer_tokens")):
            if part not in d or count not in d:
                continue
            w = samples * d[count]
            tokens += w
            for layer in range(LAYERS):
                for expert, m in d[part].get("layer_%d" % layer, {}).items():
                    acc[layer][int(expert)] += w * m["count_frequency"]
    with open(out, "w") as f:
        f.write("# source: measured: per-layer expert selection frequencies of openai/gpt-oss-20b "
                "generating reasoning and answer tokens over %d prompts (GPQA, MMLU, MMLU-Pro, "
                "SORRY-Bench, Tulu-3 persona IF, Polyglot-or-Not; %.1f M tokens), "
                "AmanPriyanshu/GPT-OSS-MoE-ExpertFingerprinting (Apache-2.0) data/*/*/*.json "
                "count_frequency @72b368f\n" % (prompts, tokens / 1e6))
        f.write("# derivation: share = sum over the %d summary files of count_frequency x "
                "sample_count x num_{think,answer}_tokens, normalised per layer "
                "(experiments/expert_routing/derive.py)\n" % len(names))
        f.write("# model: gpt-oss-20b, 24 layers x 32 experts, top-4; decode tokens of one prompt "
                "are correlated, tokens of independent sequences are taken as independent\n")
        f.write("layer,expert,share\n")
        for layer in range(LAYERS):
            total = sum(acc[layer])
            for expert in range(EXPERTS):
                f.write("%d,%d,%.6f\n" % (layer, expert, acc[layer][expert] / total))


if __name__ == "__main__":
    main()
