"""Train one neural student (a small decoder-only transformer) on a cell's token ids and export
it as an ONNX model directory that @tracemark/lm's ONNX adapter loads.

    /usr/bin/python3 experiments/neural-students/train.py <cell name> [--steps N] [--threads 1] [--budget S]

Training is reproducible and pause-safe: the learning-rate schedule and the stopping point follow
the fixed --steps count only (batches are drawn from the seeded torch RNG), so a process that is
paused (SIGSTOP/SIGCONT) or slowed by other work on the shared cores trains the same model. --budget
is a generous wall-clock safety cap; metrics.json records whether it cut training short
(stoppedBy), the wall seconds and the process CPU seconds (which a pause does not count).

Reads work/cells/<cell>.json (the training mix written by prepare.ts), work/heldout.json and
work/tokenizer/; writes work/students/<cell>/ (config.json, generation_config.json,
tokenizer.json, tokenizer_config.json, onnx/model.onnx) and work/students/<cell>/metrics.json.

The vocabulary is restricted to the o200k ids seen at least --min-count times in training
(plus <|endoftext|>, the document separator) and one <rare> class for the other ids seen in
training (the output layer over the full vocabulary is what costs CPU time; the KN teacher's
samples have a long tail of once-seen tokens). The exported graph maps o200k ids in and out:
it reads o200k ids (rare and unseen ids read as <rare>) and returns logits over the whole o200k
vocabulary: a rare id gets the <rare> logit minus ln(number of rare ids), i.e. the class's
probability spread evenly over its ids, and ids never seen in training -1e4 (zero probability
after softmax).
"""
import argparse
import json
import math
import os
import shutil
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
WORK = os.path.join(HERE, "work")
CONTEXT = 32
UNSEEN_LOGIT = -1e4


class Block(nn.Module):
    def __init__(self, d, heads, dropout):
        super().__init__()
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))
        self.heads = heads
        self.drop = nn.Dropout(dropout)

    def forward(self, x, mask):
        # mask: [B, 1, S, S] additive (0 visible, -1e9 hidden); written out (no fused attention) so it exports to plain ONNX ops
        B, S, D = x.shape
        h, hd = self.heads, D // self.heads
        q, k, v = self.qkv(self.ln1(x)).split(D, dim=-1)
        q = q.view(B, S, h, hd).transpose(1, 2)
        k = k.view(B, S, h, hd).transpose(1, 2)
        v = v.view(B, S, h, hd).transpose(1, 2)
        att = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(hd) + mask
        att = self.drop(torch.softmax(att, dim=-1))
        y = torch.matmul(att, v).transpose(1, 2).reshape(B, S, D)
        x = x + self.drop(self.proj(y))
        return x + self.drop(self.mlp(self.ln2(x)))


class Output(nn.Module):
    """Log-probabilities over the K+1 classes, factorised by frequency (an adaptive softmax written
    out so it exports as plain MatMul/LogSoftmax/Concat): the `cut[0]` most frequent classes and one
    token per tail cluster in the head; each tail cluster through a narrow projection (`dims`).
    The output layer over the whole vocabulary is what costs the CPU time; this one is ~8x cheaper."""

    def __init__(self, d, freq_order, cut=(1000, 4000), dims=(32, 8)):
        super().__init__()
        n = len(freq_order)
        bounds = sorted({0, n} | {min(c, n) for c in cut})
        self.sizes = [b - a for a, b in zip(bounds, bounds[1:])]
        self.head = nn.Linear(d, self.sizes[0] + len(self.sizes) - 1, bias=False)
        self.tails = nn.ModuleList([nn.Sequential(nn.Linear(d, dims[min(i, len(dims) - 1)], bias=False), nn.Linear(dims[min(i, len(dims) - 1)], size, bias=False)) for i, size in enumerate(self.sizes[1:])])
        rank = torch.empty(n, dtype=torch.long)
        rank[freq_order] = torch.arange(n)
        self.register_buffer("rank", rank)  # class → its position in frequency order

    def forward(self, h):
        head = F.log_softmax(self.head(h), dim=-1)
        h0 = self.sizes[0]
        parts = [head[..., :h0]]
        for i, t in enumerate(self.tails):
            parts.append(F.log_softmax(t(h), dim=-1) + head[..., h0 + i : h0 + i + 1])
        return torch.cat(parts, dim=-1)[..., self.rank]


class Student(nn.Module):
    """Token ids in the restricted vocabulary 0..K (K = <rare>) → log-probabilities over 0..K."""

    def __init__(self, K, d, layers, heads, dropout, freq_order):
        super().__init__()
        self.K = K
        self.emb = nn.Embedding(K + 1, d)
        self.out = Output(d, freq_order)
        self.pos = nn.Embedding(CONTEXT, d)
        self.blocks = nn.ModuleList([Block(d, heads, dropout) for _ in range(layers)])
        self.ln = nn.LayerNorm(d)
        self.drop = nn.Dropout(dropout)
        nn.init.normal_(self.emb.weight, std=0.02)
        nn.init.normal_(self.pos.weight, std=0.02)

    def hidden(self, ids, key_mask=None):
        B, S = ids.shape
        pos = torch.arange(S, device=ids.device)
        x = self.drop(self.emb(ids) + self.pos(pos)[None])
        causal = torch.ones(S, S, dtype=torch.bool, device=ids.device).tril()
        visible = causal[None, None]
        if key_mask is not None:
            visible = visible & key_mask[:, None, None, :]
        mask = torch.zeros(visible.shape, dtype=x.dtype).masked_fill(~visible, -1e9)
        for b in self.blocks:
            x = b(x, mask)
        return self.ln(x)

    def logits(self, h):
        return self.out(h)


class Exported(nn.Module):
    """o200k ids in, the last position's logits over the full o200k vocabulary out: [B, 1, V]."""

    def __init__(self, student, in_map, out_map, out_offset):
        super().__init__()
        self.student = student
        self.register_buffer("in_map", in_map)  # [V] → 0..K (K: <rare>, also for unseen ids)
        self.register_buffer("out_map", out_map)  # [V] → 0..K+1 (K+1: the -1e4 column of unseen ids)
        self.register_buffer("out_offset", out_offset)  # [V]: -ln(rare ids) for rare ids, else 0

    def forward(self, input_ids, attention_mask):
        ids = self.in_map[input_ids][:, -CONTEXT:]
        key_mask = attention_mask[:, -CONTEXT:] > 0
        h = self.student.hidden(ids, key_mask)[:, -1:, :]
        small = self.student.logits(h)  # [B, 1, K+1]
        pad = torch.full_like(small[..., :1], UNSEEN_LOGIT)
        return torch.cat([small, pad], dim=-1)[..., self.out_map] + self.out_offset


def stream(docs, eos, small):
    """Documents joined by <|endoftext|>, in restricted ids (K = len(small): <rare>)."""
    out = []
    for d in docs:
        out.append(eos)
        out.extend(d)
    return torch.tensor([small.get(t, len(small)) for t in out], dtype=torch.long)


@torch.no_grad()
def perplexity(model, docs, eos, small, K, n_rare):
    """Perplexity of the exported distribution over o200k ids on the first 12k tokens of docs (windows of CONTEXT):
    a rare target costs -ln p(<rare>) + ln(n_rare); targets never seen in training have probability 0 and are
    counted apart (their share is returned)."""
    model.eval()
    flat = []
    for d in docs:
        flat.append(eos)
        flat.extend(d)
    flat = flat[:12_000]
    x_all = torch.tensor([small.get(t, K) for t in flat], dtype=torch.long)
    seen = torch.tensor([t in small or t in RARE for t in flat])
    nll, n, unseen = 0.0, 0, 0
    for start in range(0, len(flat) - 1, CONTEXT):
        x = x_all[start : start + CONTEXT][None]
        y = x_all[start + 1 : start + CONTEXT + 1]
        ok = seen[start + 1 : start + CONTEXT + 1]
        x = x[:, : len(y)]
        lp = F.log_softmax(model.logits(model.hidden(x)), dim=-1)[0].gather(1, y[:, None])[:, 0]
        lp = lp - (y == K).float() * math.log(max(n_rare, 1))
        unseen += int((~ok).sum())
        nll -= float(lp[ok].sum())
        n += int(ok.sum())
    model.train()
    return math.exp(nll / max(n, 1)), unseen / max(n + unseen, 1)


RARE = set()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cell")
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--budget", type=float, default=3600, help="wall-clock safety cap in seconds (not part of the schedule); recorded if it stops training")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--d", type=int, default=128)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=1e-2)
    ap.add_argument("--dropout", type=float, default=0.0)
    ap.add_argument("--min-count", type=int, default=2)
    ap.add_argument("--out", default=None, help="student directory name under work/students/ (default: the cell's name)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    cell = json.load(open(os.path.join(WORK, "cells", a.cell + ".json")))
    held = json.load(open(os.path.join(WORK, "heldout.json")))
    eos, V = held["eos"], held["vocabSize"]
    seed = 1000 + cell["seed"]
    torch.manual_seed(seed)

    counts = {}
    for d in cell["train"]:
        for t in d:
            counts[t] = counts.get(t, 0) + 1
    kept = sorted({t for t, c in counts.items() if c >= a.min_count} | {eos})
    small = {t: i for i, t in enumerate(kept)}
    K = len(kept)
    RARE.update(t for t in counts if t not in small)
    n_rare = len(RARE)
    data = stream(cell["train"], eos, small)
    class_counts = [counts.get(t, 0) for t in kept] + [sum(counts[t] for t in RARE)]
    freq_order = torch.tensor(sorted(range(K + 1), key=lambda i: -class_counts[i]), dtype=torch.long)
    model = Student(K, a.d, a.layers, a.heads, a.dropout, freq_order)
    params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.01)
    t0 = time.time()
    c0 = time.process_time()
    losses = []
    # The schedule follows the step count alone (never the clock: the lead pauses training processes while it runs
    # benchmarks, and the cores are shared), so a cell's model depends only on its data, seed and arguments:
    # warm-up over the first 100 steps, then cosine decay to 0 at --steps.
    warmup = min(100, max(1, a.steps // 20))
    def lr_at(step):
        return a.lr * min(1, (step + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * step / a.steps))
    step = 0
    stopped_by = "steps"
    while step < a.steps:
        if time.time() - t0 >= a.budget:
            stopped_by = "budget"
            break
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        starts = torch.randint(0, len(data) - CONTEXT - 1, (a.batch,))
        x = torch.stack([data[s : s + CONTEXT] for s in starts])
        y = torch.stack([data[s + 1 : s + CONTEXT + 1] for s in starts])
        loss = F.nll_loss(model.logits(model.hidden(x)).view(-1, K + 1), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
        step += 1
        if step % 50 == 1:
            print(f"{a.cell} step {step} loss {loss:.3f} ({time.time() - t0:.0f} s)", flush=True)
    train_seconds = time.time() - t0
    cpu_seconds = time.process_time() - c0
    final_loss = sum(losses[-50:]) / len(losses[-50:])
    ppl_human, unseen_human = perplexity(model, held["human"], eos, small, K, n_rare)
    ppl_harvest, unseen_harvest = perplexity(model, held["harvested"], eos, small, K, n_rare)

    out = os.path.join(WORK, "students", a.out or a.cell)
    os.makedirs(os.path.join(out, "onnx"), exist_ok=True)
    model.eval()
    in_map = torch.full((V,), K, dtype=torch.long)
    out_map = torch.full((V,), K + 1, dtype=torch.long)
    out_offset = torch.zeros(V)
    for t, i in small.items():
        in_map[t] = i
        out_map[t] = i
    for t in RARE:
        out_map[t] = K
        out_offset[t] = -math.log(n_rare)
    exp = Exported(model, in_map, out_map, out_offset).eval()
    ex_ids = torch.tensor([[eos, 5, 6, 7]], dtype=torch.long)
    torch.onnx.export(
        exp,
        (ex_ids, torch.ones_like(ex_ids)),
        os.path.join(out, "onnx", "model.onnx"),
        input_names=["input_ids", "attention_mask"],
        output_names=["logits"],
        dynamic_axes={"input_ids": {0: "batch_size", 1: "sequence_length"}, "attention_mask": {0: "batch_size", 1: "total_sequence_length"}, "logits": {0: "batch_size"}},
        opset_version=14,
    )
    for f in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(WORK, "tokenizer", f), os.path.join(out, f))
    cfg = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "vocab_size": V,
        "hidden_size": a.d,
        "num_hidden_layers": a.layers,
        "num_attention_heads": a.heads,
        "num_key_value_heads": a.heads,
        "head_dim": a.d // a.heads,
        # the graph reads the last CONTEXT tokens; longer prefixes are allowed (older tokens are dropped)
        "max_position_embeddings": 4096,
        "bos_token_id": eos,
        "eos_token_id": eos,
        "use_cache": False,
        "torch_dtype": "float32",
        "transformers.js_config": {"dtype": "fp32"},
    }
    json.dump(cfg, open(os.path.join(out, "config.json"), "w"), indent=1)
    json.dump({"bos_token_id": eos, "eos_token_id": eos, "do_sample": True, "top_k": 0}, open(os.path.join(out, "generation_config.json"), "w"), indent=1)
    metrics = {
        "cell": a.cell, "rho": cell["rho"], "seed": cell["seed"], "teacher": cell["teacher"],
        "torchSeed": seed, "harvestedTokens": cell["harvestedTokens"], "humanTokens": cell["humanTokens"],
        "servedAnswers": len(cell["served"]), "vocab": K, "rareIds": n_rare, "minCount": a.min_count, "seenIds": len(counts), "params": params,
        "layers": a.layers, "width": a.d, "heads": a.heads, "context": CONTEXT, "steps": step, "stepsPlanned": a.steps, "stoppedBy": stopped_by, "budgetSeconds": a.budget, "batch": a.batch,
        "lr": a.lr, "dropout": a.dropout, "threads": a.threads,
        "trainSeconds": round(train_seconds, 1), "cpuSeconds": round(cpu_seconds, 1), "finalTrainLoss": round(final_loss, 4),
        "heldoutHumanPpl": round(ppl_human, 2), "heldoutHumanUnseen": round(unseen_human, 4),
        "heldoutHarvestPpl": round(ppl_harvest, 2), "heldoutHarvestUnseen": round(unseen_harvest, 4),
    }
    json.dump(metrics, open(os.path.join(out, "metrics.json"), "w"), indent=1)
    print(json.dumps(metrics), flush=True)


if __name__ == "__main__":
    main()
