"""winclip on a Dask cluster (docs/cluster.md).

    from dask.distributed import Client
    from winclip.dask import detect_paths
    df = detect_paths(paths, model="/shared/models/ViT-B-16-plus-240", class_name="bottle",
                      refs=[...], maps_dir="/shared/out/maps", client=Client("tcp://scheduler:8786"))

Tasks carry paths, never pixels: every worker must see the images, the references and the model at the same
paths (shared storage). Each worker process loads the model, and each class's prototypes and references, once
and keeps them for the tasks that follow.
"""
import math
import os
import shutil
import threading

import pandas as pd

import winclip

# Per worker process: what tasks of earlier runs loaded. Keyed by everything that makes them differ.
_models = {}
_detectors = {}
_lock = threading.Lock()


def _model(path, precision, arch):
    key = (os.path.abspath(path) if os.path.exists(path) else path, precision, arch)
    with _lock:
        if key not in _models:
            _models[key] = winclip.load_model(path, precision=precision, arch=arch)
        return _models[key]


def _detector(key):
    spec = dict(key)
    # Built under the lock, so a second thread of the worker waits for it instead of loading it again; once
    # published a Detector is only read, which the library allows from several threads at once.
    with _lock:
        det = _detectors.get(key)
    if det is not None:
        return det
    model = _model(spec["model"], spec["precision"], spec["arch"])
    with _lock:
        det = _detectors.get(key)
        if det is None:
            if spec["bank"]:
                det = winclip.Detector.from_bank(model, spec["bank"], resize=spec["resize"],
                                                 scales=list(spec["scales"]), batch_size=spec["batch_size"])
            else:
                det = winclip.Detector(model, class_name=spec["class_name"], templates=spec["templates"],
                                       raw_class_name=spec["raw_class_name"], resize=spec["resize"],
                                       scales=list(spec["scales"]), batch_size=spec["batch_size"])
                if spec["refs"]:
                    det.add_references(list(spec["refs"]))
            _detectors[key] = det
        return det


def _detect_partition(key, paths, map_names, maps_dir):
    """(score, error) per path. An unreadable image gets its error, as in `winclip detect`'s results.json, and
    does not stop the others."""
    det = _detector(key)
    out = [None] * len(paths)
    images, where = [], []
    for i, path in enumerate(paths):
        try:
            images.append(winclip.read_image(path))
            where.append(i)
        except (OSError, winclip.Error, ValueError) as e:
            out[i] = (None, str(e))
    if images:
        for i, d in zip(where, det.detect(images)):
            if maps_dir is not None:
                winclip.write_npy(os.path.join(maps_dir, map_names[i] + ".npy"), d.map)
            out[i] = (d.score, None)
    return out


def _unique_stems(paths):
    # The naming of `winclip detect` (DetectionWriter::next_files): "<stem>", then "<stem>-2", ... for a stem
    # seen before, in input order, so maps_dir holds the same names as the CLI's maps/.
    used, names = set(), []
    for p in paths:
        stem = os.path.splitext(os.path.basename(os.fspath(p)))[0]
        name, n = stem, 2
        while name in used:
            name, n = f"{stem}-{n}", n + 1
        used.add(name)
        names.append(name)
    return names


def _client(client):
    if client is not None:
        return client
    from distributed import get_client
    return get_client()


def detect_paths(paths, model, class_name=None, refs=None, templates="paper", maps_dir=None, client=None, *,
                 bank=None, raw_class_name=False, resize="squash", scales=(2, 3), batch_size=2, precision="fp32",
                 arch="", partition_size=None, timeout=None):
    """Scores images on the cluster: a pandas DataFrame with one row per path in input order (path, score,
    error: None when scored; score NaN when not), and the [S, S] maps as <maps_dir>/<stem>.npy when maps_dir is given.

    partition_size: images per task (default: about four tasks per worker thread, so a worker that dies
    loses little and the last tasks balance, and at least batch_size images, so each forward pass is full)."""
    paths = [os.fspath(p) for p in paths]
    if not paths:
        raise ValueError("paths: no images to score")
    if not bank and not class_name:
        raise ValueError("class_name is required (or a bank that names its class)")
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    client = _client(client)
    spec = dict(model=os.fspath(model), precision=precision, arch=arch, class_name=class_name or "",
                 templates=templates, raw_class_name=bool(raw_class_name), resize=resize,
                 scales=tuple(int(s) for s in scales), batch_size=int(batch_size),
                 refs=tuple(os.fspath(r) for r in (refs or ())), bank=os.fspath(bank) if bank else "")
    if partition_size is None:
        threads = max(1, sum(client.nthreads().values()))
        partition_size = max(batch_size, math.ceil(len(paths) / (4 * threads)))
    if partition_size < 1:
        raise ValueError("partition_size must be at least 1")
    # A tuple, not a dict: the workers' cache key, and Dask passes tuples through as they are.
    key = tuple(sorted(spec.items()))
    maps_dir = os.fspath(maps_dir) if maps_dir is not None else None
    names = _unique_stems(paths)
    futures = []
    for start in range(0, len(paths), partition_size):
        stop = start + partition_size
        # pure=False: a second run (e.g. after the maps were deleted) must really run again.
        futures.append(client.submit(_detect_partition, key, paths[start:stop], names[start:stop], maps_dir,
                                     pure=False))
    parts = client.gather(futures) if timeout is None else _gather(client, futures, timeout)
    if maps_dir is not None:
        _remove_stale_temporaries(maps_dir, names)
    rows = [r for part in parts for r in part]
    return pd.DataFrame({"path": paths, "score": [r[0] for r in rows], "error": [r[1] for r in rows]})


def _remove_stale_temporaries(maps_dir, names):
    # A map appears by rename from "<name>.npy.tmp.<pid>.<n>" (write_file_atomic): a worker killed while writing
    # leaves its temporary behind, and the retried task writes the map anew. Once every task is done no writer
    # of these names is left, so what remains of them is garbage.
    wanted = set(names)
    for f in os.listdir(maps_dir):
        stem, sep, _ = f.partition(".npy.tmp.")
        if sep and stem in wanted:
            try:
                os.remove(os.path.join(maps_dir, f))
            except FileNotFoundError:
                pass


def _gather(client, futures, timeout):
    from distributed import wait
    wait(futures, timeout=timeout)
    return client.gather(futures)


def _eval_part(model, precision, arch, options, write_report):
    m = _model(model, precision, arch)
    return winclip._winclip._run_eval(m, write_report=write_report, **options)


def evaluate(dataset, root, out, categories=None, shots=0, seeds=(0, 1, 2, 3, 4), client=None, *,
             model="", precision="fp32", arch="", limit=0, pixel_metrics=True, aupr="step",
             save_maps=False, fresh=False, templates="paper", raw_class_name=False, resize="squash",
             scales=(2, 3), batch_size=2, timeout=None):
    """`winclip eval` on the cluster: the same OUT (metrics.json, table.md, table.csv, and with save_maps
    scores.csv, maps/ and masks/) and the same numbers, returned as the metrics.json object.

    One task per category and reference draw fills OUT/cache, the resumable per-image store of `winclip eval`
    (every file of it appears atomically, and the results do not depend on which categories or seeds a run
    covers); a worker that dies leaves its finished images there and the task re-run elsewhere resumes from them.
    A last task reads everything back and writes the report. OUT must be on storage every worker sees.
    model: as --model (empty: the default model, from each worker's cache)."""
    import json
    if shots < 0:
        raise ValueError("shots must be 0 (zero-shot) or more")
    client = _client(client)
    seeds = [0] if shots == 0 else [int(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds: few-shot needs at least one seed")
    out = os.path.abspath(os.fspath(out))
    options = dict(dataset=dataset, root=os.path.abspath(os.fspath(root)), categories=list(categories or []),
                   shots=int(shots), seeds=seeds, limit=int(limit), pixel_metrics=bool(pixel_metrics), aupr=aupr,
                   save_maps=False, fresh=False, templates=templates, raw_class_name=bool(raw_class_name),
                   resize=resize, scales=[int(s) for s in scales], batch_size=int(batch_size), out=out)
    model = os.fspath(model)
    if fresh:
        # Once, before any part runs (the parts share the cache), and by a worker: this process need not see out.
        client.submit(shutil.rmtree, os.path.join(out, "cache"), True, pure=False).result(timeout)
    if not options["categories"]:
        raise ValueError("categories: name them (the workers, not this process, may be the ones that see the "
                         "dataset)")
    parts = []
    for category in options["categories"]:
        for seed in seeds:
            part = dict(options, categories=[category], seeds=[seed])
            parts.append(client.submit(_eval_part, model, precision, arch, part, False, pure=False))
    _wait(client, parts, timeout)
    final = dict(options, save_maps=bool(save_maps))
    report = client.submit(_eval_part, model, precision, arch, final, True, pure=False)
    _wait(client, [report], timeout)
    with open(os.path.join(out, "metrics.json")) as f:
        return json.load(f)


def _wait(client, futures, timeout):
    from distributed import wait
    wait(futures, timeout=timeout)
    client.gather(futures)  # raises the first task's error here
