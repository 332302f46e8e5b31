#!/usr/bin/env python3
"""Recomputes every metric of a `winclip eval --save-maps` run from its files alone, independently of the
C++ code: the maps in OUT/maps, the scores in OUT/scores.csv and the dataset's own mask files, resized as
docs/eval.md says. Standard library and numpy only, and other methods than the C++ sweep: AUROC from
average ranks (Mann-Whitney), the curves from cumulative sums at the last index of each tied group, regions
by breadth-first search.

Usage: eval_recompute.py OUT  ->  prints JSON {"categories": {name: {seed: {metric: value}}},
                                                "mask_mismatches": [...]} on stdout.
"""
import csv
import json
import struct
import sys
import zlib
from collections import deque
from pathlib import Path

import numpy as np

FPR_LIMIT = 0.3


def read_png(path):
    """8- or 16-bit grey/RGB/RGBA, non-interlaced PNG -> array [H, W, C] (16-bit kept as is)."""
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert interlace == 0 and depth in (8, 16) and colour in (0, 2, 4, 6), (path, header)
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    bpp = channels * depth // 8
    stride = width * bpp
    raw = zlib.decompress(idat)
    rows = np.zeros((height, stride), dtype=np.int64)
    previous = np.zeros(stride, dtype=np.int64)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = np.frombuffer(raw, dtype=np.uint8, count=stride, offset=y * (stride + 1) + 1).astype(np.int64)
        out = np.zeros(stride, dtype=np.int64)
        for x in range(stride):
            a = out[x - bpp] if x >= bpp else 0
            b = previous[x]
            c = previous[x - bpp] if x >= bpp else 0
            if kind == 0:
                predictor = 0
            elif kind == 1:
                predictor = a
            elif kind == 2:
                predictor = b
            elif kind == 3:
                predictor = (a + b) // 2
            else:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                predictor = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            out[x] = (line[x] + predictor) & 0xFF
        rows[y] = out
        previous = out
    samples = rows.reshape(height, width * channels * depth // 8)
    if depth == 16:
        samples = samples[:, 0::2] * 256 + samples[:, 1::2]
    return samples.reshape(height, width, channels)


def nearest_indices(size_in, size_out):
    """torch interpolate(mode="nearest") in float32: min(floor(dst * float32(in / out)), in - 1)."""
    scale = np.float32(size_in) / np.float32(size_out)
    return np.minimum(np.floor(np.arange(size_out, dtype=np.float32) * scale).astype(np.int64), size_in - 1)


def ground_truth(path, size):
    """Squash geometry: a pixel is anomalous when any colour channel is nonzero (alpha ignored)."""
    pixels = read_png(path)
    colour = pixels[:, :, :3] if pixels.shape[2] >= 3 else pixels[:, :, :1]
    anomalous = (colour != 0).any(axis=2)
    rows = nearest_indices(anomalous.shape[0], size)
    cols = nearest_indices(anomalous.shape[1], size)
    return anomalous[rows][:, cols].astype(np.uint8)


def regions(mask):
    """8-connected components of a 0/1 mask by breadth-first search: labels (0 = normal) and their count."""
    labels = np.zeros(mask.shape, dtype=np.int64)
    count = 0
    height, width = mask.shape
    for y0, x0 in zip(*np.nonzero(mask)):
        if labels[y0, x0]:
            continue
        count += 1
        labels[y0, x0] = count
        queue = deque([(y0, x0)])
        while queue:
            y, x = queue.popleft()
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    v, u = y + dy, x + dx
                    if 0 <= v < height and 0 <= u < width and mask[v, u] and not labels[v, u]:
                        labels[v, u] = count
                        queue.append((v, u))
    return labels, count


def curve(scores, weights):
    """Descending distinct thresholds: the cumulative sums of each weight column at the last index of
    every tied group (predicted anomalous when score >= threshold)."""
    order = np.argsort(-scores.astype(np.float64), kind="stable")
    sorted_scores = scores[order]
    group_ends = np.append(np.nonzero(np.diff(sorted_scores))[0], len(sorted_scores) - 1)
    return [np.cumsum(w[order])[group_ends] for w in weights]


def auroc(scores, labels):
    positives, negatives = labels.sum(), (1 - labels).sum()
    if positives == 0 or negatives == 0:
        return None
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    starts = np.cumsum(counts) - counts
    ranks = (starts + (counts + 1) / 2.0)[inverse]  # average rank of each tie group, 1-based
    return float((ranks[labels == 1].sum() - positives * (positives + 1) / 2.0) / (positives * negatives))


def precision_recall(scores, labels, aupr):
    positives = labels.sum()
    if positives == 0:
        return None, None
    tp, fp = curve(scores, [labels.astype(np.float64), 1.0 - labels])
    precision = tp / (tp + fp)
    recall = tp / positives
    previous_recall = np.concatenate([[0.0], recall[:-1]])
    if aupr == "step":
        area = float(np.sum((recall - previous_recall) * precision))
    else:  # trapezoid over sklearn's curve, which starts at (recall 0, precision 1)
        previous_precision = np.concatenate([[1.0], precision[:-1]])
        area = float(np.sum((recall - previous_recall) * (precision + previous_precision) / 2.0))
    f1 = np.where(precision + recall > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-300), 0.0)
    return area, float(f1.max())


def aupro(scores, region_of_pixel, region_sizes):
    negatives = (region_of_pixel == 0).sum()
    if len(region_sizes) == 0 or negatives == 0:
        return None
    overlap = np.zeros(len(scores))
    anomalous = region_of_pixel > 0
    overlap[anomalous] = 1.0 / region_sizes[region_of_pixel[anomalous] - 1] / len(region_sizes)
    pro, fp = curve(scores, [overlap, (~anomalous).astype(np.float64)])
    fpr = np.concatenate([[0.0], fp / negatives])
    pro = np.concatenate([[0.0], pro])
    end = np.searchsorted(fpr, FPR_LIMIT, side="right")  # points with fpr <= limit: fpr[:end]
    area = float(np.sum((fpr[1:end] - fpr[:end - 1]) * (pro[1:end] + pro[:end - 1]) / 2.0))
    if end < len(fpr) and fpr[end - 1] < FPR_LIMIT:
        cut = pro[end - 1] + (pro[end] - pro[end - 1]) * (FPR_LIMIT - fpr[end - 1]) / (fpr[end] - fpr[end - 1])
        area += (FPR_LIMIT - fpr[end - 1]) * (pro[end - 1] + cut) / 2.0
    return area / FPR_LIMIT


def mask_files(settings):
    """Image path -> its mask file, from the dataset's own layout."""
    root = Path(settings["root"])
    masks = {}
    if settings["dataset"] == "visa":
        with open(root / "split_csv" / "1cls.csv", newline="") as f:
            for row in csv.DictReader(f):
                if row["split"] == "test" and row["label"] == "anomaly":
                    masks[str(root / row["image"])] = root / row["mask"]
    return masks


def mask_file(image, category, known):
    if image in known:
        return known[image]
    path = Path(image)  # MVTec: <class>/test/<defect>/<stem>.png -> <class>/ground_truth/<defect>/<stem>_mask.png
    return path.parents[2] / "ground_truth" / path.parent.name / (path.stem + "_mask.png")


def main():
    out = Path(sys.argv[1])
    metrics = json.loads((out / "metrics.json").read_text())
    settings = metrics["settings"]
    with open(out / "scores.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    known_masks = mask_files(settings)
    result, mismatches, truth_cache = {}, [], {}
    for category in metrics["categories"]:
        result[category] = {}
        for seed in metrics["seeds"]:
            mine = [r for r in rows if r["category"] == category and r["seed"] == str(seed)]
            labels = np.array([int(r["label"]) for r in mine])
            scores = np.array([np.float32(r["score"]) for r in mine], dtype=np.float32)
            maps, pixel_regions, sizes = [], [], []
            for r in mine:
                image = Path(r["image"])
                key = f"{image.parent.name}/{image.stem}"
                score_map = np.load(out / "maps" / category / str(seed) / (key + ".npy"))
                assert score_map.dtype == np.float32, key
                size = score_map.shape[0]
                if key not in truth_cache:
                    truth = (ground_truth(mask_file(r["image"], category, known_masks), size) if r["label"] == "1"
                             else np.zeros((size, size), dtype=np.uint8))
                    saved = read_png(out / "masks" / category / (key + ".png"))[:, :, 0]
                    if not np.array_equal(saved != 0, truth != 0):
                        mismatches.append(f"{category}/{key}")
                    truth_cache[key] = regions(truth)
                labels_of_pixels, count = truth_cache[key]
                shifted = np.where(labels_of_pixels > 0, labels_of_pixels + len(sizes), 0)
                sizes.extend(np.bincount(labels_of_pixels.ravel(), minlength=count + 1)[1:].tolist())
                maps.append(score_map.ravel())
                pixel_regions.append(shifted.ravel())
            pixel_scores = np.concatenate(maps)
            region_of_pixel = np.concatenate(pixel_regions)
            pixel_labels = (region_of_pixel > 0).astype(np.int64)
            image_ap, image_f1 = precision_recall(scores, labels, settings["aupr"])
            _, pixel_f1 = precision_recall(pixel_scores, pixel_labels, "step")
            result[category][str(seed)] = {
                "image_auroc": auroc(scores, labels), "image_ap": image_ap, "image_f1max": image_f1,
                "pixel_auroc": auroc(pixel_scores, pixel_labels),
                "pixel_aupro": aupro(pixel_scores, region_of_pixel, np.array(sizes, dtype=np.float64)),
                "pixel_f1max": pixel_f1}
        truth_cache.clear()
    json.dump({"categories": result, "mask_mismatches": mismatches}, sys.stdout)


if __name__ == "__main__":
    main()
