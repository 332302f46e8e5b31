"""WinCLIP / WinCLIP+ zero- and few-shot visual anomaly detection, over libwinclip.

    import winclip
    model = winclip.load_model("tests/data/model")
    det = winclip.Detector(model, class_name="bottle")
    det.add_references(["good/000.png"])          # optional: WinCLIP+
    print(det.detect(["photo.png"])[0].score)

Errors: ValueError for bad arguments, OSError for files, winclip.Error for the rest, each with the library's
message naming the file or field. The engine runs without the GIL.
"""
from ._winclip import Detection, Detector, Error, Model, load_model, read_image, write_npy
from . import metrics

__all__ = ["Detection", "Detector", "Error", "Model", "load_model", "read_image", "write_npy", "metrics"]
