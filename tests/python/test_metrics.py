import numpy as np
import pytest

from winclip import metrics


def test_image_metrics_by_hand():
    labels = [0, 0, 1, 1]
    scores = [0.1, 0.4, 0.35, 0.8]
    # Pairs (anomalous, normal) ranked right: (0.35>0.1), (0.8>0.1), (0.8>0.4) of 4.
    assert metrics.image_auroc(labels, scores) == pytest.approx(0.75)
    # Thresholds 0.8 (P 1, R .5), 0.4 (P .5, R .5), 0.35 (P 2/3, R 1): AP = .5*1 + .5*(2/3).
    assert metrics.image_ap(labels, scores) == pytest.approx(0.5 + 1 / 3)
    # F1 at 0.35: P 2/3, R 1 → 0.8; at 0.8: P 1, R .5 → 2/3.
    assert metrics.f1_max(labels, scores) == pytest.approx(0.8)


def test_undefined_metric_is_none_and_bad_labels_raise():
    assert metrics.image_auroc([0, 0], [0.2, 0.3]) is None
    with pytest.raises(ValueError, match="labels"):
        metrics.image_auroc([0, 2], [0.2, 0.3])
    with pytest.raises(ValueError, match="scores"):
        metrics.image_auroc([0, 1], [0.2])


def test_pixel_metrics():
    mask = np.zeros((2, 8, 8), np.uint8)
    mask[0, 2:4, 2:4] = 255
    mask[1, 5:7, 1:3] = 255
    perfect = mask.astype(np.float32) / 255
    assert metrics.pixel_auroc(mask, perfect) == pytest.approx(1.0)
    assert metrics.aupro(mask, perfect, fpr_limit=0.3) == pytest.approx(1.0)
    assert metrics.pixel_f1_max(list(mask), list(perfect)) == pytest.approx(1.0)
    inverted = 1 - perfect
    assert metrics.pixel_auroc(mask, inverted) == pytest.approx(0.0)
    assert metrics.aupro(mask.astype(bool), inverted) == pytest.approx(0.0)
    # One anomalous pixel of region 2 ranked below every normal pixel: region 2's overlap is 3/4 until FPR 1.
    half = perfect.copy()
    half[1, 6, 2] = -1.0
    assert metrics.aupro(mask, half, fpr_limit=0.3) == pytest.approx((1 + 0.75) / 2)
    with pytest.raises(ValueError, match="same shape"):
        metrics.pixel_auroc(mask, perfect[:, :4])
