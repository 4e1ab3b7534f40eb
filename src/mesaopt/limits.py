"""Upper bounds on the size-like parameters of tasks and learners, each from the memory one unit of it costs.

Each bound is at least 8 times the largest value a study in the project uses, so it never gets in the way of a real
sweep; its job is to turn a typo (an extra zero) into a one-line message naming the key, where it used to be a
MemoryError (`task.size = 100000` asked for 74.5 GiB while a sweep was being planned). A bound is per parameter:
several parameters at their bounds at once can still need more memory than one machine has.
"""

from __future__ import annotations

MAX_MAZE_SIDE = 64
"""Rows or columns of cells of a training or novel maze (studies: at most 13). The pixel grid has (2*64+1)^2 = 16,641
cells; an evaluation set of MAX_EVAL_SIZE such mazes is 4096 * 16,641 * 4 B = 273 MB as float32."""

MAX_HARDER_SIDE = 2 * MAX_MAZE_SIDE - 1
"""Rows or columns of a harder maze: the default harder side of the largest training maze (255^2 pixels; an
evaluation set of MAX_EVAL_SIZE of them is 1.07 GB as float32)."""

MAX_EVAL_SIZE = 16_384
"""Instances per evaluation set, or sequences per training-time evaluation (studies: at most 2048). 16,384 default
5 x 5 mazes (9 x 9 when harder) are 22 MB as float32."""

MAX_POOL_SIZE = 2**20
"""A finite train pool N (studies: at most 4096; larger means `inf`, fresh instances). 2^20 default 5 x 5 mazes are
127 MB as bytes; 2^20 task vectors of dimension MAX_ICL_DIM are 1 GiB as float32."""

MAX_ICL_DIM = 256
"""Input dimension of in-context regression (studies: at most 10). One sequence of MAX_ICL_POINTS pairs is 256 * 257
floats = 263 kB; a batch of 1024 of them is 270 MB."""

MAX_ICL_POINTS = 256
"""Pairs per in-context sequence (studies: at most 21); attention memory grows with its square."""

MAX_WIDTH = 4096
"""Hidden units, channels or model width (studies: at most 256). A 4096 x 4096 float32 weight is 64 MB, and AdamW keeps
three more copies (gradient, two moments)."""

MAX_DEPTH = 256
"""Layers, blocks or convs per iteration (studies: at most 8); each keeps its activations for the backward pass."""

MAX_ITERATIONS = 4096
"""Iterations of a recurrent net (studies: at most 40). Training keeps every iteration's activations for the
backward pass, so memory grows linearly with it."""

MAX_HEADS = 256
"""Attention heads (studies: at most 4)."""

MAX_BATCH = 65_536
"""Instances or sequences per optimizer step (studies: at most 256); activations grow linearly with it."""

MAX_ENTRIES = 2**20
"""Instances a lookup table or tabular net stores (default 4096): 2^20 5 x 5 mazes are 127 MB as bytes, and a
tabular net keeps one output grid per entry."""

MAX_CODE_SIZE = 65_536
"""Numbers in a hypernetwork's code (studies: at most 64); its decoder's weight is code_size x target parameters."""

MAX_POPULATION = 65_536
"""Programs alive at once in a genetic search (studies: at most 128)."""

MAX_CURVE_POINTS = 100_000
"""Points kept of a curve stored in metrics.json (default 50); each is a float in the run's JSON and the catalog."""

MAX_LEVEL = 10_000_000
"""Programs kept per cost level of an enumeration (default 200,000); a program takes a few hundred bytes."""

MAX_MLP_RATIO = 64
"""A transformer MLP's hidden width over d_model (studies: 4)."""


def bounded(description: str, limit: int) -> str:
    """A config field's description with its bound stated."""
    return f"{description} (at most {limit}, from memory: see mesaopt.limits)"
