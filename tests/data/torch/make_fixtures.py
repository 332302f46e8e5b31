#!/usr/bin/python3
"""Regenerates the small torch.save files that tests/test_torch_checkpoint.cpp reads.

Needs PyTorch (Debian: `apt-get install python3-torch`, then run with /usr/bin/python3); the tests themselves
do not. Every value is a simple formula of its index, so the tests can state what they expect without
reading anything back through PyTorch:
    arange(n) is 0, 1, ..., n-1 (float32 unless stated).

open_clip_pytorch_model.bin next to this script is not made here: it is a copy of the shared fixture.
"""
import collections
import os
import pathlib

import torch

HERE = pathlib.Path(__file__).resolve().parent
MARKER = "/tmp/winclip_checkpoint_pwned"  # what the malicious checkpoint would create


def training_checkpoint():
    """An open_clip-style training checkpoint: the state dict of a DataParallel model ("module." keys) next
    to an epoch counter, a run name and optimizer state (lists, floats, tuples, int keys, tensors)."""
    weight = torch.arange(12.0).reshape(4, 3) * 0.5 - 1.0
    bias = torch.arange(4.0) - 2.0
    parameters = [torch.nn.Parameter(weight.clone()), torch.nn.Parameter(bias.clone())]
    optimizer = torch.optim.AdamW(parameters, lr=1e-3, betas=(0.9, 0.98))
    sum(p.sum() for p in parameters).backward()
    optimizer.step()
    state = collections.OrderedDict([("module.proj.weight", weight), ("module.proj.bias", bias),
                                     ("module.logit_scale", torch.tensor(4.5))])
    torch.save({"epoch": 7, "name": "tiny-run", "state_dict": state, "optimizer": optimizer.state_dict()},
               HERE / "training_checkpoint.pt")


def half_and_views():
    """16-bit storages, a view at a storage offset sharing its storage, an empty tensor and an integer buffer."""
    big = torch.arange(20.0).reshape(5, 4)
    torch.save(collections.OrderedDict([
        ("half", (torch.arange(6.0).reshape(2, 3) / 4).half()),       # exact in float16
        ("bfloat", (torch.arange(4.0) - 1.5).bfloat16()),             # exact in bfloat16
        ("big", big),
        ("rows", big[2:4]),                                           # storage offset 8, shape (2, 4)
        ("empty", torch.zeros(0, 3)),
        ("bn.num_batches_tracked", torch.tensor(5, dtype=torch.long)),  # an integer buffer: skipped
    ]), HERE / "half_and_views.pt")


def protocol4_parameters():
    """Pickle protocol 4 (FRAME, SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL) and nn.Parameter values."""
    torch.save({"weight": torch.nn.Parameter(torch.arange(6.0).reshape(2, 3)),
                "bias": torch.nn.Parameter(torch.tensor([1.5, -2.0]))},
               HERE / "protocol4_parameters.pt", pickle_protocol=4)


def refused():
    """Files that must be refused: a transposed (non-contiguous) tensor, float64 weights, and a checkpoint
    whose pickle calls os.system when pickle.load / torch.load(weights_only=False) reads it."""
    torch.save({"w": torch.arange(6.0).reshape(2, 3).t()}, HERE / "transposed.pt")
    torch.save({"w": torch.arange(3, dtype=torch.float64)}, HERE / "float64.pt")

    class Payload:
        def __reduce__(self):
            return os.system, ("touch " + MARKER,)

    torch.save({"w": torch.ones(2), "payload": Payload()}, HERE / "malicious_os_system.pt")


if __name__ == "__main__":
    training_checkpoint()
    half_and_views()
    protocol4_parameters()
    refused()
