"""Every learner config that is a plain pydantic model, in one module that imports neither torch nor the task
implementations, so validating a study file (and `mesaopt status`, `studies`) stays quick.

The learner modules import their configs from here; the registry (`learners/__init__.py`) names them here too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mesaopt.limits import (
    MAX_BATCH,
    MAX_CODE_SIZE,
    MAX_DEPTH,
    MAX_ENTRIES,
    MAX_EVAL_SIZE,
    MAX_HEADS,
    MAX_ITERATIONS,
    MAX_MLP_RATIO,
    MAX_POOL_SIZE,
    MAX_WIDTH,
    bounded,
)

Cell = Literal["relu", "norm"]
"""The recurrent cells: residual ReLU, and residual ReLU with each grid cell's state rescaled to unit RMS."""

CELLS: tuple[str, ...] = get_args(Cell)

PONDER_OFF = "off"
"""The recurrent learner's `ponder_cost` written as a string for "no halting" (None): TOML has no null, so a sweep
that switches halting off at some of its points names it so."""


class SGDConfig(BaseModel):
    """Every knob of the training loop, shared by all neural learners."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    steps: int = Field(default=1000, ge=1, description="optimizer steps (training iterations)")
    batch_size: int = Field(
        default=64, ge=1, le=MAX_BATCH, description=bounded("instances per step and per seed", MAX_BATCH)
    )
    lr: float = Field(default=1e-3, gt=0, description="peak learning rate of AdamW")
    schedule: Literal["constant", "cosine", "linear"] = Field(default="cosine", description="decay after warmup")
    warmup: int = Field(default=0, ge=0, description="steps of linear warmup from 0 to lr")
    weight_decay: float = Field(default=0.0, ge=0, description="AdamW decoupled weight decay")
    l1: float = Field(default=0.0, ge=0, description="L1 penalty on all parameters, added to the loss")
    grad_clip: float | None = Field(default=1.0, gt=0, description="max global gradient norm per seed; None: off")
    patience: int | None = Field(
        default=None, ge=1, description="early stop after this many evaluations without improvement; None: off"
    )
    min_delta: float = Field(default=1e-4, ge=0, description="relative improvement that counts for early stop")
    eval_every: int = Field(default=50, ge=1, description="steps between plateau checks (and `evaluate` calls)")
    device: Literal["cpu", "cuda", "auto"] = Field(default="cpu", description="auto: cuda when available")
    ensemble: Literal["auto", "vmap", "sequential"] = Field(
        default="auto", description="how train_many fits several seeds; auto: vmap where the model allows"
    )


class BFSConfig(BaseModel):
    """The exact optimizer has no knobs."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class LossPlan:
    """How sgd trains a network: which variants of the per-cell BCE apply (none: one pass at the default depth)."""

    progressive: bool = False
    """n iterations without grad, then k with grad (the recurrent nets)."""
    ponder_cost: float | None = None
    """Learned halting: expected loss plus this cost per expected step."""
    stateful: bool = False
    """The state runs on from one batch to the next."""
    deep: bool = False
    """Every read-out of the last half of the iterations is trained."""


class NeuralConfig(SGDConfig):
    """Training-loop knobs shared by all neural learners (see SGDConfig); each learner adds its architecture."""

    steps: int = Field(default=300, ge=1, description="optimizer steps (training iterations)")
    lr: float = Field(default=2e-3, gt=0, description="peak learning rate of AdamW")

    kind: ClassVar[str] = ""
    """The architecture's name (what the learner registry calls it): set by each network config below."""
    stores_rows: ClassVar[bool] = False
    """A table: one free output per stored instance, fed the index of the nearest stored maze instead of the grid."""
    fixed_shape: ClassVar[bool] = False
    """The network reads only grids of its training shape (a flat MLP, a table)."""
    hook_prefix: ClassVar[str | None] = None
    """Stem of the names of the hidden states it exposes; None: "recur" for a net with iterations, else "layer"."""

    def loss_plan(self) -> LossPlan:
        """How sgd trains this network (the plain per-cell BCE unless a config says otherwise)."""
        return LossPlan()

    def fits_jointly(self) -> bool:
        """Whether a run group gains from fitting its seeds together; False makes every seed its own job."""
        return True

    def network(self, shape: tuple[int, int], entries: int = 0) -> Callable[[], Any]:
        """A constructor of this config's torch module for grids of `shape` (called under a seeded generator);
        `entries`: rows of a table. Imports torch only when called."""
        raise TypeError(f"{type(self).__name__} builds no network of its own")


class TabularConfig(NeuralConfig):
    """A free output per stored instance."""

    lr: float = Field(default=0.5, gt=0, description="peak learning rate (free logits move fast)")
    max_entries: int = Field(
        default=4096,
        ge=1,
        le=MAX_ENTRIES,
        description=bounded("instances stored when the pool is infinite", MAX_ENTRIES),
    )

    kind: ClassVar[str] = "tabular"
    stores_rows: ClassVar[bool] = True
    fixed_shape: ClassVar[bool] = True
    hook_prefix: ClassVar[str | None] = "table"

    def network(self, shape: tuple[int, int], entries: int = 0) -> Callable[[], Any]:
        from mesaopt.learners.models.tabular import Table

        return lambda: Table(entries, *shape)


class MLPConfig(NeuralConfig):
    width: int = Field(default=256, ge=1, le=MAX_WIDTH, description=bounded("hidden units per layer", MAX_WIDTH))
    depth: int = Field(default=2, ge=1, le=MAX_DEPTH, description=bounded("hidden layers", MAX_DEPTH))

    kind: ClassVar[str] = "mlp"
    fixed_shape: ClassVar[bool] = True
    hook_prefix: ClassVar[str | None] = "layer"

    def network(self, shape: tuple[int, int], entries: int = 0) -> Callable[[], Any]:
        from mesaopt.learners.models.mlp import MLP

        return lambda: MLP(*shape, self.width, self.depth)


class CNNConfig(NeuralConfig):
    width: int = Field(default=32, ge=1, le=MAX_WIDTH, description=bounded("channels per layer", MAX_WIDTH))
    depth: int = Field(
        default=6, ge=1, le=MAX_DEPTH, description=bounded("3x3 conv layers (receptive field 2*depth+1)", MAX_DEPTH)
    )

    kind: ClassVar[str] = "cnn"
    hook_prefix: ClassVar[str | None] = "layer"

    def network(self, shape: tuple[int, int], entries: int = 0) -> Callable[[], Any]:
        from mesaopt.learners.models.cnn import ConvNet

        return lambda: ConvNet(self.width, self.depth)


class RecurrentOptions(BaseModel):
    """The recurrent net's cell and its progressive loss: shared by the learners that train a RecurrentNet. The
    defaults are the recipe that learns mazes and keeps improving with more iterations (README, "thinking longer");
    the plain residual cell is `cell = "relu"`, `open_only = false`, `horizon = 1`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cell: Cell = Field(
        default="norm", description="'norm': residual step, each cell's state rescaled to unit RMS; 'relu': without"
    )
    open_only: bool = Field(default=True, description="zero the state on wall cells after every step")
    progressive: bool = Field(default=True, description="progressive loss: n steps without grad, then k with grad")
    horizon: float = Field(
        default=3.0,
        ge=1,
        description="progressive loss: the no-grad prefix n is drawn below horizon*T (not T) by the end of training",
    )
    horizon_start: float = Field(
        default=0.3, ge=0, lt=1, description="fraction of the steps trained with n < T before the prefix grows"
    )


class RecurrentConfig(NeuralConfig, RecurrentOptions):
    """A weight-tied recurrent conv net, with the recipe's cell and loss by default (RecurrentOptions)."""

    width: int = Field(
        default=32, ge=1, le=MAX_WIDTH, description=bounded("channels of the recurrent state", MAX_WIDTH)
    )
    depth: int = Field(default=2, ge=1, le=MAX_DEPTH, description=bounded("3x3 convs per iteration", MAX_DEPTH))
    iterations: int = Field(
        default=20,
        ge=1,
        le=MAX_ITERATIONS,
        description=bounded("iterations T at training (and the default at test)", MAX_ITERATIONS),
    )
    tied: bool = Field(default=True, description="one block shared by all iterations; False: one per iteration")
    deep_supervision: bool = Field(
        default=False, description="loss averaged over read-outs of the last half of the iterations (not progressive)"
    )
    ponder_cost: float | None = Field(
        default=None,
        ge=0,
        description=f"learned halting with this cost per expected step; None (or {PONDER_OFF!r}): no halting",
    )
    stateful: bool = Field(
        default=False,
        description="carry the state from one episode (batch) to the next; training wipes it before half the batches",
    )

    kind: ClassVar[str] = "recurrent"
    hook_prefix: ClassVar[str | None] = "recur"

    def loss_plan(self) -> LossPlan:
        return LossPlan(self.progressive, self.ponder_cost, self.stateful, self.deep_supervision)

    def fits_jointly(self) -> bool:
        """A net whose state runs from batch to batch is fitted seed after seed even in a group, so its seeds go
        to separate jobs, which parallel workers can share."""
        return not self.stateful

    @field_validator("ponder_cost", mode="before")
    @classmethod
    def _ponder_off(cls, value: Any) -> Any:
        return None if value == PONDER_OFF else value

    def network(self, shape: tuple[int, int], entries: int = 0) -> Callable[[], Any]:
        from mesaopt.learners.models.recurrent import RecurrentNet

        def recurrent() -> Any:
            halting = self.ponder_cost is not None
            net = RecurrentNet(self.width, self.depth, self.iterations, self.tied, halting, self.cell, self.open_only)
            net.supports_vmap = not self.stateful
            return net

        return recurrent


class TransformerConfig(NeuralConfig):
    lr: float = Field(default=1e-3, gt=0, description="peak learning rate of AdamW")
    width: int = Field(default=64, ge=1, le=MAX_WIDTH, description=bounded("residual stream width", MAX_WIDTH))
    depth: int = Field(default=2, ge=1, le=MAX_DEPTH, description=bounded("transformer blocks", MAX_DEPTH))
    heads: int = Field(default=4, ge=1, le=MAX_HEADS, description=bounded("attention heads", MAX_HEADS))

    kind: ClassVar[str] = "transformer"
    hook_prefix: ClassVar[str | None] = "block"

    def network(self, shape: tuple[int, int], entries: int = 0) -> Callable[[], Any]:
        from mesaopt.learners.models.transformer import GridTransformer

        return lambda: GridTransformer(self.width, self.depth, self.heads)


class PlannerConfig(NeuralConfig):
    lr: float = Field(default=1e-2, gt=0, description="peak learning rate of AdamW")
    width: int = Field(
        default=16, ge=1, le=MAX_WIDTH, description=bounded("channels of the cost-map conv net", MAX_WIDTH)
    )
    depth: int = Field(
        default=2, ge=0, le=MAX_DEPTH, description=bounded("3x3 conv layers of the cost-map net", MAX_DEPTH)
    )
    iterations: int | None = Field(
        default=None,
        ge=1,
        le=MAX_ITERATIONS,
        description=bounded("value-iteration steps; None: H*W/2 of training", MAX_ITERATIONS),
    )

    kind: ClassVar[str] = "planner"
    hook_prefix: ClassVar[str | None] = "vi"

    def network(self, shape: tuple[int, int], entries: int = 0) -> Callable[[], Any]:
        from mesaopt.learners.models.planner import ValueIterationPlanner

        steps = self.iterations or shape[0] * shape[1] // 2
        return lambda: ValueIterationPlanner(self.width, self.depth, steps)


class HypernetConfig(NeuralConfig, RecurrentOptions):
    """A target net whose weights are generated from a learned code; a recurrent target takes RecurrentOptions."""

    lr: float = Field(default=5e-2, gt=0, description="peak learning rate of AdamW")
    target: Literal["recurrent", "cnn"] = Field(default="recurrent", description="the net whose weights are coded")
    code_size: int = Field(
        default=64,
        ge=1,
        le=MAX_CODE_SIZE,
        description=bounded("numbers in the learned code (the funnel's width)", MAX_CODE_SIZE),
    )
    width: int = Field(default=32, ge=1, le=MAX_WIDTH, description=bounded("channels of the target net", MAX_WIDTH))
    depth: int = Field(
        default=2, ge=1, le=MAX_DEPTH, description=bounded("convs per iteration (recurrent) or layers (cnn)", MAX_DEPTH)
    )
    iterations: int = Field(
        default=20, ge=1, le=MAX_ITERATIONS, description=bounded("iterations of a recurrent target", MAX_ITERATIONS)
    )

    kind: ClassVar[str] = "hypernet"

    def loss_plan(self) -> LossPlan:
        return LossPlan(progressive=self.target == "recurrent" and self.progressive)

    @model_validator(mode="after")
    def _recurrent_only(self) -> HypernetConfig:
        changed = [
            k for k in ("cell", "open_only", "horizon") if getattr(self, k) != RecurrentOptions.model_fields[k].default
        ]
        if self.target != "recurrent" and changed:
            raise ValueError(f"{', '.join(changed)}: for a recurrent target only")
        return self

    def network(self, shape: tuple[int, int], entries: int = 0) -> Callable[[], Any]:
        from mesaopt.learners.models.cnn import ConvNet
        from mesaopt.learners.models.hypernet import HyperNet
        from mesaopt.learners.models.recurrent import RecurrentNet

        if self.target == "recurrent":
            return lambda: HyperNet(
                RecurrentNet(self.width, self.depth, self.iterations, cell=self.cell, open_only=self.open_only),
                self.code_size,
            )
        return lambda: HyperNet(ConvNet(self.width, self.depth), self.code_size)


NETWORKS: dict[str, type[NeuralConfig]] = {
    c.kind: c for c in (TabularConfig, MLPConfig, CNNConfig, RecurrentConfig, TransformerConfig, PlannerConfig)
} | {HypernetConfig.kind: HypernetConfig}
"""The network configs by kind: what a trained net of that kind reads and exposes (NeuralSolver looks it up)."""


class SpeedPriorConfig(NeuralConfig):
    """A recurrent net (see RecurrentConfig) plus the schedule that raises its iteration count."""

    width: int = Field(
        default=32, ge=1, le=MAX_WIDTH, description=bounded("channels of the recurrent state", MAX_WIDTH)
    )
    depth: int = Field(default=2, ge=1, le=MAX_DEPTH, description=bounded("3x3 convs per iteration", MAX_DEPTH))
    progressive: bool = Field(default=True, description="progressive loss within each stage")
    cell: Cell = Field(default="relu", description="the recurrent cell, as the recurrent learner's")
    open_only: bool = Field(default=False, description="zero the state on wall cells after every step")
    horizon: float = Field(
        default=1.0, ge=1, description="progressive loss of each stage: the no-grad prefix grows to horizon*T"
    )
    start_iterations: int = Field(
        default=2, ge=1, le=MAX_ITERATIONS, description=bounded("iterations T of the first stage", MAX_ITERATIONS)
    )
    grow_by: int = Field(default=2, ge=1, description="iterations added after each unsolved stage")
    max_iterations: int = Field(
        default=16, ge=1, le=MAX_ITERATIONS, description=bounded("largest T tried", MAX_ITERATIONS)
    )
    solved_at: float = Field(
        default=0.9, gt=0, le=1, description="exact-match rate on training instances that counts as solved"
    )

    @model_validator(mode="after")
    def _range(self) -> SpeedPriorConfig:
        if self.max_iterations < self.start_iterations:
            raise ValueError("max_iterations must be at least start_iterations")
        return self


class ReachabilityConfig(RecurrentConfig):
    """The recurrent learner's net and training (every RecurrentConfig field), run twice from one initialization:
    once on the task's training distribution (the general end of the path) and once on `start_pool` stored mazes
    (the start), plus the interpolation grid between them."""

    start_pool: int = Field(
        default=16,
        ge=0,
        le=MAX_POOL_SIZE,
        description=bounded(
            "stored training mazes of the path's start net; 0: the initialization itself", MAX_POOL_SIZE
        ),
    )
    points: int = Field(default=11, ge=3, description="points per interpolation segment, ends included")

    @model_validator(mode="after")
    def _plain_net(self) -> ReachabilityConfig:
        if self.ponder_cost is not None or self.stateful:
            raise ValueError(
                "reachability interpolates plain recurrent nets: ponder_cost and stateful are not supported"
            )
        return self


class LSAConfig(SGDConfig):
    """Linear self-attention trained by the shared SGD loop (all SGD knobs apply)."""

    steps: int = Field(default=2000, ge=1, description="optimizer steps (training iterations)")
    batch_size: int = Field(default=256, ge=1, le=MAX_BATCH, description=bounded("sequences per step", MAX_BATCH))
    lr: float = Field(default=3e-3, gt=0, description="peak learning rate of AdamW")
    grad_clip: float | None = Field(default=None, gt=0, description="max global gradient norm; None: off")
    layers: int = Field(default=1, ge=1, le=MAX_DEPTH, description=bounded("LSA layers L", MAX_DEPTH))
    heads: int = Field(default=1, ge=1, le=MAX_HEADS, description=bounded("heads per layer", MAX_HEADS))
    tied: bool = Field(default=False, description="one set of weights reused by every layer")
    parametrization: Literal["merged", "factored"] = Field(
        default="merged", description="train W_KQ, W_PV directly, or W_Q, W_K, W_V, W_P"
    )
    init_scale: float = Field(default=0.02, gt=0, description="std of the Gaussian initial weights")
    eval_sequences: int = Field(
        default=256,
        ge=1,
        le=MAX_EVAL_SIZE,
        description=bounded("sequences per training-time evaluation set", MAX_EVAL_SIZE),
    )


class GPTConfig(SGDConfig):
    """A small pre-LN causal transformer trained by the shared SGD loop (all SGD knobs apply)."""

    steps: int = Field(default=2000, ge=1, description="optimizer steps (training iterations)")
    batch_size: int = Field(default=64, ge=1, le=MAX_BATCH, description=bounded("sequences per step", MAX_BATCH))
    lr: float = Field(default=1e-3, gt=0, description="peak learning rate of AdamW")
    warmup: int = Field(default=100, ge=0, description="steps of linear warmup from 0 to lr")
    d_model: int = Field(default=32, ge=1, le=MAX_WIDTH, description=bounded("residual stream width", MAX_WIDTH))
    layers: int = Field(default=2, ge=1, le=MAX_DEPTH, description=bounded("transformer blocks L", MAX_DEPTH))
    heads: int = Field(default=2, ge=1, le=MAX_HEADS, description=bounded("attention heads per block", MAX_HEADS))
    mlp_ratio: int = Field(
        default=4, ge=1, le=MAX_MLP_RATIO, description=bounded("MLP hidden width / d_model", MAX_MLP_RATIO)
    )
    eval_sequences: int = Field(
        default=128,
        ge=1,
        le=MAX_EVAL_SIZE,
        description=bounded("sequences per training-time evaluation set", MAX_EVAL_SIZE),
    )
