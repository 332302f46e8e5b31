#!/usr/bin/python3
"""The peer for `make bench`: the same CLIP vision tower and WinCLIP window inference in PyTorch (Debian's
python3-torch), written the straightforward way anomalib does it — one full pass, then every window of a
scale batched as a sequence-first batch through the standard transformer blocks (nn.MultiheadAttention) —
on the same random checkpoint, in fp32 and with bf16 autocast. Prints the same figures as `winclip bench`.

Usage: bench/torch_reference.py MODEL_DIR [--precision fp32|bf16|both] [--iterations N]
Each precision is measured with OMP_WAIT_POLICY=PASSIVE and ACTIVE (each in a fresh process, since OpenMP
reads it at start-up) and the faster is reported: a weak peer proves nothing."""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

import numpy as np


def load_safetensors(path):
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", name
        b, e = info["data_offsets"]
        out[name] = np.frombuffer(data[b:e], dtype="<f4").reshape(info["shape"])
    return out


def build(model_dir):
    import torch
    from torch import nn

    cfg = json.load(open(os.path.join(model_dir, "open_clip_config.json")))["model_cfg"]
    v = cfg["vision_cfg"]
    width, layers = v["width"], v["layers"]
    heads = width // v.get("head_width", 64)
    weights = {k: torch.from_numpy(a.copy()) for k, a in load_safetensors(os.path.join(model_dir, "open_clip_model.safetensors")).items()}

    class Block(nn.Module):
        def __init__(self, i):
            super().__init__()
            p = f"visual.transformer.resblocks.{i}."
            self.ln_1, self.ln_2 = nn.LayerNorm(width), nn.LayerNorm(width)
            self.attn = nn.MultiheadAttention(width, heads)
            self.c_fc, self.c_proj = nn.Linear(width, int(width * v.get("mlp_ratio", 4.0))), nn.Linear(int(width * v.get("mlp_ratio", 4.0)), width)
            self.gelu = nn.GELU()
            sd = {k[len(p):]: t for k, t in weights.items() if k.startswith(p)}
            sd = {k.replace("mlp.", ""): t for k, t in sd.items()}
            self.load_state_dict(sd)

        def forward(self, x):  # x: (L, N, D), sequence-first as open_clip 2.24
            h = self.ln_1(x)
            x = x + self.attn(h, h, h, need_weights=False)[0]
            return x + self.c_proj(self.gelu(self.c_fc(self.ln_2(x))))

    class Vision(nn.Module):
        def __init__(self):
            super().__init__()
            ps = v["patch_size"]
            self.conv1 = nn.Conv2d(3, width, ps, ps, bias=False)
            self.conv1.weight.data = weights["visual.conv1.weight"]
            self.class_embedding = weights["visual.class_embedding"]
            self.pos = weights["visual.positional_embedding"]
            self.ln_pre, self.ln_post = nn.LayerNorm(width), nn.LayerNorm(width)
            for name in ("ln_pre", "ln_post"):
                getattr(self, name).weight.data = weights[f"visual.{name}.weight"]
                getattr(self, name).bias.data = weights[f"visual.{name}.bias"]
            self.blocks = nn.ModuleList(Block(i) for i in range(layers))
            self.proj = weights["visual.proj"]

        def embed(self, img):
            x = self.conv1(img).flatten(2).transpose(1, 2)
            cls = self.class_embedding.expand(x.shape[0], 1, -1)
            return torch.cat([cls, x], dim=1) + self.pos

        def run(self, tokens):  # (N, L, D) → projected class token, all tokens after ln_post
            x = self.ln_pre(tokens).permute(1, 0, 2)
            for b in self.blocks:
                x = b(x)
            x = self.ln_post(x.permute(1, 0, 2))
            return x[:, 0] @ self.proj, x

    return Vision().eval(), v


def window_index(grid, k):
    idx = np.arange(grid * grid).reshape(grid, grid)
    return [[0] + [1 + p for p in idx[r:r + k, c:c + k].reshape(-1)] for r in range(grid - k + 1) for c in range(grid - k + 1)]


def measure(model_dir, precision, iterations, scales=(2, 3)):
    import torch

    torch.set_num_threads(os.cpu_count())
    model, v = build(model_dir)
    grid = v["image_size"] // v["patch_size"]
    windows = {k: torch.tensor(window_index(grid, k)) for k in scales}
    img = torch.randn(1, 3, v["image_size"], v["image_size"])
    ref_bank = torch.nn.functional.normalize(torch.randn(225, v["width"]), dim=-1)

    def once(shots):
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            t = model.embed(img)
            image_emb, tokens = model.run(t)
            for k, idx in windows.items():
                win = t[0][idx]  # (n_windows, 1+k², D)
                model.run(win)
            if shots:
                patches = torch.nn.functional.normalize(tokens[0, 1:].float(), dim=-1)
                (1 - patches @ ref_bank.T).min(dim=1)

    out = {}
    for shots in (0, 1):
        once(shots)
        times = []
        for _ in range(iterations):
            t0 = time.perf_counter()
            once(shots)
            times.append(time.perf_counter() - t0)
        out["one_shot" if shots else "zero_shot"] = statistics.median(times)
    out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def image_gflop(model_dir, scales=(2, 3)):
    v = json.load(open(os.path.join(model_dir, "open_clip_config.json")))["model_cfg"]["vision_cfg"]
    w, g, m = v["width"], v["image_size"] // v["patch_size"], v["width"] * v.get("mlp_ratio", 4.0)
    lengths = [1 + g * g] + [1 + k * k for k in scales for _ in range((g - k + 1) ** 2)]
    flops = 2.0 * g * g * 3 * v["patch_size"] ** 2 * w
    for n in lengths:
        flops += v["layers"] * (2.0 * n * (4 * w * w + 2 * w * m) + 4.0 * n * n * w)
    return flops / 1e9


def warn_if_reference_blas():
    """torch's fp32 matmuls go through the system BLAS; Debian's default (netlib) one is ~50x slower than
    OpenBLAS, and a peer measured on it would flatter us."""
    import torch
    a = torch.randn(512, 512)
    a @ a
    t0 = time.perf_counter()
    a @ a
    rate = 2 * 512 ** 3 / (time.perf_counter() - t0) / 1e9
    if rate < 20:
        print(f"warning: torch fp32 matmul runs at {rate:.1f} GFLOP/s: the reference BLAS is in use; "
              "apt-get install libopenblas0-pthread (scripts/setup --bench does)", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--precision", default="both", choices=["fp32", "bf16", "both"])
    ap.add_argument("--iterations", type=int, default=3)
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        print(json.dumps(measure(a.model, a.precision, a.iterations)))
        return
    gflop = image_gflop(a.model)
    warn_if_reference_blas()
    for precision in (["fp32", "bf16"] if a.precision == "both" else [a.precision]):
        best = None
        for policy in ("PASSIVE", "ACTIVE"):
            env = dict(os.environ, OMP_WAIT_POLICY=policy)
            run = subprocess.run([sys.executable, __file__, a.model, "--precision", precision, "--iterations",
                                  str(a.iterations), "--worker"], env=env, capture_output=True, text=True, check=True)
            r = json.loads(run.stdout.strip().splitlines()[-1])
            r["policy"] = policy
            if best is None or r["zero_shot"] < best["zero_shot"]:
                best = r
        print(f"torch {precision:5s} zero-shot {best['zero_shot']:.3f} s/image  one-shot {best['one_shot']:.3f} s/image  "
              f"{gflop / best['zero_shot']:.1f} GFLOP/s  peak RSS {best['peak_rss_mib']:.0f} MiB  "
              f"(OMP_WAIT_POLICY={best['policy']})")


if __name__ == "__main__":
    main()
