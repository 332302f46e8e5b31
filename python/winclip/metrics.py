"""The metrics of `winclip eval` (docs/eval.md): exact over all thresholds, ties as sklearn; None where the data
cannot define a metric (e.g. AUROC without anomalous samples).

image_auroc(labels, scores), image_ap(labels, scores), f1_max(labels, scores): labels 0/1 per image.
pixel_auroc(masks, maps), pixel_f1_max(masks, maps), aupro(masks, maps, fpr_limit=0.3): one [H, W] mask (nonzero
= anomalous) and map per image, as lists or [N, H, W] arrays.
"""
from ._winclip.metrics import aupro, f1_max, image_ap, image_auroc, pixel_auroc, pixel_f1_max

__all__ = ["image_auroc", "image_ap", "f1_max", "pixel_auroc", "pixel_f1_max", "aupro"]
