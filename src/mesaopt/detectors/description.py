"""Description length of a trained network: the bits of its weights, quantized as coarsely as keeps what it solves.

The measure is the usual quantize-then-entropy-code size. Every trained parameter tensor t is rounded to a uniform
grid whose step is `s * rms(t)` (one relative step s for the whole net, so that a tensor's scale does not matter).
Steps s are tried from the coarsest of STEP_LADDER down; the first at which the quantized net still solves at least
KEEP_SUCCESS of the training instances the unquantized net solves is kept. The description length is then the
order-0 entropy code of the grid levels, tensor by tensor: n_t * H_t bits for a tensor of n_t numbers whose levels
have empirical entropy H_t (what an ideal arithmetic coder reaches given the level frequencies), plus one float32
per tensor for its step. The level frequency tables (a few numbers per tensor) are not counted.

A net with many weights at or near zero (as an L1 penalty leaves it) or with few distinct levels codes short; a net
whose answer needs every weight to many digits codes long. Only trained parameters count: a hypernet's fixed
initialization and projection follow from its seed, so its description is its code. Learners without a torch module
(a program, a BFS) have no weights to measure and get no metrics.
"""

from __future__ import annotations

import numpy as np
import torch

from mesaopt.detectors.transfer import training_instances
from mesaopt.learners.base import LearnedAlgorithm
from mesaopt.tasks.base import Task

STEP_LADDER = tuple(2.0**k for k in range(1, -11, -1))
"""Relative quantization steps tried, coarsest first: 2 rms down to 1/1024 rms (a factor of two apart). At 2 rms
nearly every weight rounds to zero; at 1/1024 rms the rounding error is far below the spread of weights that SGD
from different seeds reaches, so a trained net's answers are unchanged there."""

KEEP_SUCCESS = 0.95
"""Share of the unquantized net's training success the quantized net must keep. Losing up to one in twenty of the
solved training instances counts as the same solution (one maze of a 16-maze pool flips at 0.94): stricter would
charge the code for digits that only fix a borderline instance."""

STEP_BITS = 32
"""Bits charged per tensor for its quantization step (one float32)."""

METRICS = ("bits", "bits_per_parameter", "step", "zero_fraction", "parameters", "success", "quantized_success")
"""bits: the description length; step: the relative step s kept; zero_fraction: share of parameters at level 0;
success / quantized_success: training success before and after quantization."""


def quantize(tensor: torch.Tensor, step: float) -> torch.Tensor:
    """Integer grid levels of `tensor` at `step` times its root-mean-square (all zeros for an all-zero tensor)."""
    scale = float(tensor.detach().pow(2).mean().sqrt())
    if scale == 0 or not np.isfinite(scale):
        return torch.zeros_like(tensor, dtype=torch.long)
    return torch.round(tensor.detach() / (step * scale)).long()


def entropy_bits(levels: torch.Tensor) -> float:
    """Order-0 entropy code length in bits: count times the empirical entropy of the values."""
    _, counts = torch.unique(levels, return_counts=True)
    p = counts.double() / counts.sum()
    return float(-(counts.double() * torch.log2(p)).sum())


def _dequantized(params: dict[str, torch.Tensor], step: float) -> dict[str, torch.Tensor]:
    out = {}
    for name, p in params.items():
        scale = float(p.pow(2).mean().sqrt())
        out[name] = quantize(p, step).to(p.dtype) * (step * scale) if scale > 0 else p.clone()
    return out


def description_length(learned: LearnedAlgorithm, task: Task) -> dict[str, float]:
    """The quantized, entropy-coded size of the learner's trained weights (see the module docstring)."""
    module = getattr(learned, "module", None)
    if not isinstance(module, torch.nn.Module):
        return {}
    params = {name: p.detach().clone() for name, p in module.named_parameters()}
    pool, _ = training_instances(learned, task, len(task.novel()), "description.pool")
    success = float(task.success(pool, learned.solve(pool)).mean())
    kept, kept_success = STEP_LADDER[-1], success
    try:  # the finest step is kept (with its success) when none keeps the training success
        for step in STEP_LADDER:
            with torch.no_grad():
                for name, value in _dequantized(params, step).items():
                    module.get_parameter(name).copy_(value)
            kept, kept_success = step, float(task.success(pool, learned.solve(pool)).mean())
            if kept_success >= KEEP_SUCCESS * success:
                break
    finally:
        with torch.no_grad():
            for name, value in params.items():
                module.get_parameter(name).copy_(value)
    levels = [quantize(p, kept) for p in params.values()]
    count = sum(level.numel() for level in levels)
    bits = sum(entropy_bits(level) + STEP_BITS for level in levels)
    return {
        "bits": bits,
        "bits_per_parameter": bits / count,
        "step": kept,
        "zero_fraction": float(sum(int((level == 0).sum()) for level in levels) / count),
        "parameters": float(count),
        "success": success,
        "quantized_success": kept_success,
    }
