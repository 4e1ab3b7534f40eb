"""Exact, batched reference algorithms for in-context linear regression.

Every baseline works on a `Context` view: Q prediction points, each with up to N context pairs (a mask says which
count) and one query input. `context_view` builds it from a batch: in 'last' mode one point per sequence (the first
K - 1 pairs as context), in 'all' mode K points per sequence (point k sees pairs 0..k-1). `predict` maps a view's
answers back to the task's answer shape, (B,) or (B, K).

Gradient descent runs on L(w) = 1/(2n) Σ_i (wᵀx_i − y_i)² from w = 0 (n = context size), so one step with rate η
predicts η/n · Σ_i y_i x_iᵀ x_q. GD++ is the token-level update of the corresponding linear self-attention layer
with an extra data transform: each step maps every input x ← (I − γ S) x with S = 1/n Σ_i x_i x_iᵀ, while the
y-slots take the GD step; a few such steps precondition the problem (see `lsa` for the matching weights).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # annotations only: tasks.icl imports this module for its ground truth
    from mesaopt.tasks.icl import ICLBatch, ICLConfig

DMMSE_NOISE_FLOOR = 1e-8
"""Noise variance used by dMMSE when σ² = 0, so the posterior over the pool stays a finite softmax."""

DMMSE_CHUNK = 256
"""Prediction points per chunk in dMMSE, bounding memory at chunk × N × M floats."""

LINE_SEARCH_GRID = 32
"""Log-spaced learning rates scanned before the golden-section refinement."""

GOLDEN_ITERATIONS = 40
"""Golden-section steps refining the best grid bracket (shrinks it by 0.618⁴⁰ ≈ 4e-9)."""


@dataclass(frozen=True)
class Context:
    """Q prediction points: context inputs cx (Q, N, D), targets cy (Q, N), mask (Q, N), query inputs qx (Q, D)."""

    cx: np.ndarray
    cy: np.ndarray
    mask: np.ndarray
    qx: np.ndarray
    batch_shape: tuple[int, ...]

    @property
    def count(self) -> np.ndarray:
        """Context size n per point."""
        return self.mask.sum(axis=1)

    def sums(self) -> tuple[np.ndarray, np.ndarray]:
        """Σ_i x_i x_iᵀ (Q, D, D) and Σ_i x_i y_i (Q, D) over each point's context."""
        m = self.mask[..., None] * self.cx
        return np.einsum("qnd,qne->qde", m, self.cx), np.einsum("qnd,qn->qd", m, self.cy)


def context_view(batch: ICLBatch, query: str) -> Context:
    """Prediction points of a batch for the task's query mode ('last' or 'all')."""
    b, k, _ = batch.xs.shape
    if query == "last":
        return Context(batch.xs[:, :-1], batch.ys[:, :-1], np.ones((b, k - 1)), batch.xs[:, -1], (b,))
    mask = np.tril(np.ones((k, k)), -1)
    cx = np.broadcast_to(batch.xs[:, None], (b, k, *batch.xs.shape[1:])).reshape(b * k, k, -1)
    cy = np.broadcast_to(batch.ys[:, None], (b, k, k)).reshape(b * k, k)
    return Context(cx, cy, np.tile(mask, (b, 1)), batch.xs.reshape(b * k, -1), (b, k))


def predict(view: Context, answers: np.ndarray) -> np.ndarray:
    """Answers of a view reshaped to the batch's answer shape."""
    return np.asarray(answers).reshape(view.batch_shape)


def ridge_view(view: Context, lam: float) -> np.ndarray:
    """Ridge predictions (XᵀX + λI)⁻¹Xᵀy · x_q per point; λ = 0 gives the minimum-norm least-squares fit."""
    xx, xy = view.sums()
    if lam > 0:
        w = np.linalg.solve(xx + lam * np.eye(xx.shape[-1]), xy[..., None])[..., 0]
    else:
        w = np.einsum("qde,qe->qd", np.linalg.pinv(xx, hermitian=True), xy)
    return np.einsum("qd,qd->q", w, view.qx)


def ridge(batch: ICLBatch, config: ICLConfig, lam: float | None = None) -> np.ndarray:
    """Ridge regression with λ = σ² (the posterior mean under w ~ N(0, I)), or the given λ."""
    view = context_view(batch, config.query)
    return predict(view, ridge_view(view, config.noise if lam is None else lam))


def least_squares(batch: ICLBatch, config: ICLConfig) -> np.ndarray:
    """Ordinary least squares (minimum-norm when under-determined)."""
    return ridge(batch, config, lam=0.0)


def dmmse_view(view: Context, pool: np.ndarray, noise: float) -> np.ndarray:
    """Posterior-mean prediction when w is uniform over the pool's rows and the noise is Gaussian."""
    var = max(noise, DMMSE_NOISE_FLOOR)
    out = np.empty(len(view.qx))
    for start in range(0, len(view.qx), DMMSE_CHUNK):
        part = slice(start, start + DMMSE_CHUNK)
        resid = view.cy[part, :, None] - np.einsum("qnd,md->qnm", view.cx[part], pool)
        sq = np.einsum("qnm,qn->qm", resid**2, view.mask[part])
        logits = -sq / (2 * var)
        logits -= logits.max(axis=1, keepdims=True)
        post = np.exp(logits)
        post /= post.sum(axis=1, keepdims=True)
        out[part] = np.einsum("qm,md,qd->q", post, pool, view.qx[part])
    return out


def dmmse(batch: ICLBatch, config: ICLConfig, pool: np.ndarray | None) -> np.ndarray:
    """The Bayes estimator for the discrete prior over the pool; ridge when the pool is infinite (None)."""
    if pool is None:
        return ridge(batch, config)
    view = context_view(batch, config.query)
    return predict(view, dmmse_view(view, pool, config.noise))


def gd_weights(view: Context, steps: int, lr: float, sums: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """The weights w (Q, D) after `steps` gradient steps of rate `lr` on the mean squared loss, from w = 0.

    They are also GD's sensitivity ∂ŷ/∂x_q. `sums` may pass the view's precomputed `Context.sums()`.
    """
    xx, xy = sums or view.sums()
    n = np.maximum(view.count, 1)[:, None]
    w = np.zeros_like(xy)
    for _ in range(steps):
        w = w - lr * (np.einsum("qde,qe->qd", xx, w) - xy) / n
    return w


def gd_view(view: Context, steps: int, lr: float, sums: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Predictions of `steps`-step GD at each point's query."""
    return np.einsum("qd,qd->q", gd_weights(view, steps, lr, sums), view.qx)


def gdpp_view(view: Context, steps: int, lr: float, gamma: float) -> np.ndarray:
    """GD++: each step transforms every input by (I − γS) and takes a GD step on the y-slots, token by token.

    Tokens are (x, r) with r = y for context and r = 0 for the query; a step sets r_j ← r_j − η/n Σ_i r_i x_iᵀ x_j
    and x_j ← x_j − γ/n Σ_i x_i x_iᵀ x_j using the tokens before the step. The prediction is −r of the query.
    With γ = 0 this is plain GD.
    """
    n = np.maximum(view.count, 1)[:, None, None]
    m = view.mask[..., None]
    xs = np.concatenate([view.cx, view.qx[:, None]], axis=1)
    rs = np.concatenate([view.cy, np.zeros((len(view.qx), 1))], axis=1)
    for _ in range(steps):
        cx = xs[:, :-1] * m
        s = np.matmul(cx.transpose(0, 2, 1), xs[:, :-1]) / n
        xr = np.matmul(cx.transpose(0, 2, 1), rs[:, :-1, None]) / n
        rs = rs - lr * np.matmul(xs, xr)[..., 0]
        xs = xs - gamma * np.matmul(xs, s)
    return -rs[:, -1]


def line_search(loss: Callable[[float], float], scale: float) -> float:
    """The minimizer of a 1-D loss over rates in [scale·1e-3, scale·1e2]: a log grid, then golden section."""
    grid = scale * np.logspace(-3, 2, LINE_SEARCH_GRID)
    values = np.array([loss(float(v)) for v in grid])
    values[~np.isfinite(values)] = np.inf
    best = int(values.argmin())
    lo, hi = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    ratio = (np.sqrt(5) - 1) / 2
    a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    fa, fb = loss(a), loss(b)
    for _ in range(GOLDEN_ITERATIONS):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - ratio * (hi - lo)
            fa = loss(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + ratio * (hi - lo)
            fb = loss(b)
    candidates = [(fa, a), (fb, b), (values[best], grid[best])]
    return float(min(candidates)[1])


def _step_scale(view: Context) -> float:
    """A natural rate scale: 1 / (mean squared input norm), the inverse of tr S."""
    sq = (view.cx**2).sum(-1)
    return float(view.mask.sum() / max((sq * view.mask).sum(), 1e-12))


def tune_gd(view: Context, targets: np.ndarray, steps: int) -> float:
    """The learning rate minimizing the mean squared error of `steps`-step GD on a tuning view."""
    sums = view.sums()
    return line_search(lambda lr: float(np.mean((gd_view(view, steps, lr, sums) - targets) ** 2)), _step_scale(view))
