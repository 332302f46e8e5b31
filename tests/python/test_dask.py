"""winclip.dask on a loopback LocalCluster: results equal the single-process module's, also when a worker
process dies in the middle of a run."""
import os
import pathlib
import shutil
import threading
import time

import numpy as np
import pytest

import winclip
from conftest import MODEL_DIR

distributed = pytest.importorskip("distributed")
from winclip.dask import detect_paths  # noqa: E402

TIMEOUT = 240


def _local_cluster():
    from distributed import Client, LocalCluster
    # Workers inherit this process's environment: PYTHONPATH (the module under test) and the private cache.
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0") as c:
        with Client(c, timeout=60) as client:
            client.wait_for_workers(2, timeout=TIMEOUT)
            yield c, client


@pytest.fixture(scope="module")
def cluster():
    yield from _local_cluster()


# A test that kills a worker gets a cluster of its own: how long the nanny takes to start the replacement
# (seen above 60 s on a loaded CI machine) must not decide whether the next test finds two workers.
@pytest.fixture
def own_cluster():
    yield from _local_cluster()


@pytest.fixture(scope="module")
def many_images(tmp_path_factory, samples):
    # Copies under new names (two folders share stems, so the maps need the CLI's "-2" names).
    root = tmp_path_factory.mktemp("images")
    paths = []
    for folder in ("a", "b"):
        (root / folder).mkdir()
        for i in range(12):
            src = samples[i % len(samples)]
            dst = root / folder / f"img{i:02d}.png"
            shutil.copy(src, dst)
            paths.append(str(dst))
    return paths


def single_process(model, refs, paths):
    det = winclip.Detector(model, class_name="bottle", templates="paper")
    if refs:
        det.add_references(refs)
    return det.detect(paths)


def test_detect_paths_equals_single_process(cluster, model, refs, many_images, tmp_path):
    _, client = cluster
    paths = many_images + [str(tmp_path / "missing.png")]
    # What a worker killed while writing a map leaves behind (write_file_atomic's temporary), and files that are
    # not this run's: the first goes, the others stay.
    (tmp_path / "maps").mkdir()
    for name in ("img03.npy.tmp.12.34", "other.npy.tmp.12.34", "notes.txt"):
        (tmp_path / "maps" / name).write_bytes(b"x")
    df = detect_paths(paths, model=str(MODEL_DIR), class_name="bottle", refs=refs, templates="paper",
                      maps_dir=tmp_path / "maps", client=client, timeout=TIMEOUT)
    assert list(df.columns) == ["path", "score", "error"]
    assert list(df["path"]) == paths
    expected = single_process(model, refs, many_images)
    for row, d in zip(df.itertuples(), expected):
        assert row.error is None
        assert row.score == d.score
    assert np.isnan(df["score"].iloc[-1]) and "missing.png" in df["error"].iloc[-1]
    # a/img00 → img00.npy, b/img00 → img00-2.npy, as `winclip detect` names them.
    assert np.array_equal(np.load(tmp_path / "maps" / "img00.npy"), expected[0].map)
    assert np.array_equal(np.load(tmp_path / "maps" / "img00-2.npy"), expected[12].map)
    assert sorted(os.listdir(tmp_path / "maps")) == sorted([f"img{i:02d}.npy" for i in range(12)] +
                                                           [f"img{i:02d}-2.npy" for i in range(12)] +
                                                           ["other.npy.tmp.12.34", "notes.txt"])


def test_each_worker_loads_the_detector_once(cluster, refs, many_images):
    _, client = cluster
    for _ in range(2):
        detect_paths(many_images, model=str(MODEL_DIR), class_name="bottle", refs=refs, client=client,
                     partition_size=2, timeout=TIMEOUT)

    def loaded():
        import winclip.dask as wd
        return len(wd._models), len(wd._detectors)

    # Twelve tasks per run on two workers, two runs: still one model and one detector in each worker.
    assert set(client.run(loaded).values()) <= {(1, 1)}


def kill_a_worker_mid_run(client, work, progress, at):
    """Runs work() in a thread, kills one worker process with SIGKILL once progress() reaches `at`, and returns
    work()'s value, progress() at the kill and the killed worker's pid."""
    box = {}

    def run():
        try:
            box["value"] = work()
        except BaseException as e:  # reported by the calling thread
            box["error"] = e

    victim = sorted(client.run(os.getpid).values())[0]
    t = threading.Thread(target=run)
    t.start()
    deadline = time.monotonic() + TIMEOUT
    while progress() < at and time.monotonic() < deadline and t.is_alive():
        time.sleep(0.005)
    done_at_kill = progress()
    os.kill(victim, 9)
    t.join(TIMEOUT)
    assert not t.is_alive(), "the run did not finish after the kill"
    assert "error" not in box, box.get("error")
    return box["value"], done_at_kill, victim


def test_a_worker_killed_mid_run_is_replaced_and_the_result_is_complete(own_cluster, model, refs, many_images,
                                                                        tmp_path):
    _, client = own_cluster
    paths = many_images * 8  # enough one-image tasks that the run is still going when a worker dies
    maps = tmp_path / "maps"
    df, done_at_kill, victim = kill_a_worker_mid_run(
        client, lambda: detect_paths(paths, model=str(MODEL_DIR), class_name="bottle", refs=refs, maps_dir=maps,
                                     client=client, partition_size=1, timeout=TIMEOUT),
        lambda: len(os.listdir(maps)) if maps.exists() else 0, at=3)
    assert 0 < done_at_kill < len(paths), "the worker was not killed in the middle of the run"
    expected = single_process(model, refs, many_images) * 8
    assert list(df["path"]) == paths
    assert df["error"].isna().all()
    assert [float(s) for s in df["score"]] == [d.score for d in expected]
    assert len(os.listdir(maps)) == len(paths)
    # The nanny started a new worker process in place of the dead one.
    client.wait_for_workers(2, timeout=TIMEOUT)
    assert victim not in client.run(os.getpid).values()


def cli_eval(winclip_bin, root, out):
    """`winclip eval` on the two classes of make_mvtec's dataset, one shot, two draws: what evaluate() must equal."""
    import subprocess
    subprocess.run([winclip_bin, "eval", "--model", str(MODEL_DIR), "--dataset", "mvtec", "--root", str(root),
                    "--category", "bottle", "--category", "nut", "--shots", "1", "--seeds", "0", "--seeds", "1",
                    "--save-maps", "--out", str(out)], check=True, capture_output=True, timeout=TIMEOUT)


def test_evaluate_writes_what_winclip_eval_writes(cluster, winclip_bin, samples, refs, tmp_path):
    import json
    from conftest import make_mvtec
    from winclip.dask import evaluate
    _, client = cluster
    root = tmp_path / "mvtec"
    make_mvtec(root, samples, refs)
    cli_out, dask_out = tmp_path / "cli", tmp_path / "dask"
    cli_eval(winclip_bin, root, cli_out)
    metrics = evaluate(dataset="mvtec", root=str(root), categories=["bottle", "nut"], shots=1, seeds=[0, 1],
                       out=str(dask_out), client=client, model=str(MODEL_DIR), save_maps=True, timeout=TIMEOUT)
    expected = json.loads((cli_out / "metrics.json").read_text())
    assert metrics == expected
    for name in ("metrics.json", "table.md", "table.csv", "scores.csv"):
        assert (dask_out / name).read_bytes() == (cli_out / name).read_bytes(), name
    # The two categories and two draws were scored, with pixel metrics.
    assert sorted(metrics["categories"]) == ["bottle", "nut"]
    assert len((cli_out / "scores.csv").read_text().splitlines()) == 1 + 2 * 2 * 6
    for rel in ("maps/bottle/1/broken/002.npy", "masks/nut/broken/002.png"):
        assert (dask_out / rel).read_bytes() == (cli_out / rel).read_bytes(), rel


def test_evaluate_with_a_worker_killed_mid_run_writes_the_same_report(own_cluster, winclip_bin, samples, refs,
                                                                      tmp_path):
    from conftest import make_mvtec
    from winclip.dask import evaluate
    _, client = own_cluster
    root = tmp_path / "mvtec"
    make_mvtec(root, samples, refs, per_defect=15)
    cli_out, dask_out = tmp_path / "cli", tmp_path / "dask"
    cli_eval(winclip_bin, root, cli_out)

    def scored():
        return len(list((dask_out / "cache").rglob("*.score"))) if (dask_out / "cache").exists() else 0

    _, done_at_kill, _ = kill_a_worker_mid_run(
        client, lambda: evaluate(dataset="mvtec", root=str(root), categories=["bottle", "nut"], shots=1, seeds=[0, 1],
                                 out=str(dask_out), client=client, model=str(MODEL_DIR), save_maps=True,
                                 timeout=TIMEOUT),
        scored, at=5)
    assert 0 < done_at_kill < 2 * 2 * 30, "the worker was not killed in the middle of the run"
    for name in ("metrics.json", "table.md", "table.csv", "scores.csv"):
        assert (dask_out / name).read_bytes() == (cli_out / name).read_bytes(), name
