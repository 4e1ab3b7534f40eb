"""Linear self-attention (LSA) for in-context regression, and the weights that make it run gradient descent.

Tokens are e_j = (x_j, y_j) ∈ R^(D+1); the query token is (x_q, 0). One layer adds to every token

    Δe_j = Σ_h W_PV^h · G · W_KQ^h · e_j,    G = 1/N Σ_{i ∈ context} e_i e_iᵀ,

the attention of a softmax-free head with merged key-query W_KQ = W_Kᵀ W_Q and projection-value W_PV = W_P W_V
matrices. Only the N context tokens serve as keys and values. The prediction is minus the query's y-slot, so that
stacked GD layers turn context y-slots into residuals (see `gd_weights`).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import torch
from torch import nn


class LSA(nn.Module):
    """L layers of multi-head linear self-attention, tied (one set of weights reused) or untied.

    `parametrization="merged"` trains W_KQ and W_PV directly; "factored" trains W_Q, W_K, W_V, W_P and uses their
    products, as a transformer would. Either way `effective()` gives the merged matrices the layer computes with.
    """

    def __init__(
        self,
        dim: int,
        layers: int = 1,
        heads: int = 1,
        tied: bool = False,
        parametrization: Literal["merged", "factored"] = "merged",
        init_scale: float = 0.02,
    ) -> None:
        super().__init__()
        self.dim, self.layers, self.heads, self.tied = dim, layers, heads, tied
        self.parametrization = parametrization
        width = dim + 1
        sets = 1 if tied else layers
        names = ("wkq", "wpv") if parametrization == "merged" else ("wq", "wk", "wv", "wp")
        for name in names:
            self.register_parameter(name, nn.Parameter(init_scale * torch.randn(sets, heads, width, width)))

    def effective(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Merged (W_KQ, W_PV), each (L, H, D+1, D+1), expanded over layers when tied."""
        if self.parametrization == "merged":
            wkq, wpv = self.wkq, self.wpv
        else:
            wkq, wpv = self.wk.transpose(-1, -2) @ self.wq, self.wp @ self.wv
        if self.tied:
            wkq, wpv = wkq.expand(self.layers, -1, -1, -1), wpv.expand(self.layers, -1, -1, -1)
        return wkq, wpv

    def forward(self, tokens: torch.Tensor, hidden: bool = False) -> torch.Tensor | tuple[torch.Tensor, list]:
        """Predictions (B,) for token batches (B, N+1, D+1) whose last token is the query (its y-slot is ignored)."""
        wkq, wpv = self.effective()
        return lsa_forward(tokens, wkq, wpv, hidden)


def lsa_forward(
    tokens: torch.Tensor, wkq: torch.Tensor, wpv: torch.Tensor, hidden: bool = False
) -> torch.Tensor | tuple[torch.Tensor, list]:
    """The LSA computation from merged weights (L, H, D+1, D+1); with `hidden`, also the tokens after each layer."""
    e = torch.cat([tokens[:, :-1], torch.cat([tokens[:, -1:, :-1], torch.zeros_like(tokens[:, -1:, -1:])], -1)], 1)
    n = e.shape[1] - 1
    states = []
    for layer in range(wkq.shape[0]):
        context = e[:, :-1]
        gram = context.transpose(1, 2) @ context / n
        update = (wpv[layer].unsqueeze(0) @ gram.unsqueeze(1) @ wkq[layer].unsqueeze(0)).sum(1)
        e = e + e @ update.transpose(1, 2)
        states.append(e)
    prediction = -e[:, -1, -1]
    return (prediction, states) if hidden else prediction


def gd_weights(dim: int, layers: int, heads: int, lr: float, gamma: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Merged weights under which each layer is one GD step of rate `lr` (GD++ with data-transform rate `gamma`).

    W_KQ = [[I, 0], [0, 0]] makes the attention score x_iᵀ x_j; W_PV = [[−γI, 0], [0, −η]] writes −η/N Σ_i y_i x_iᵀ x_j
    into every y-slot (the GD step on the residuals) and −γ S x_j into every x. Heads beyond the first are zero.
    """
    width = dim + 1
    wkq = np.zeros((layers, heads, width, width))
    wpv = np.zeros((layers, heads, width, width))
    wkq[:, 0, :dim, :dim] = np.eye(dim)
    wpv[:, 0, :dim, :dim] = -gamma * np.eye(dim)
    wpv[:, 0, dim, dim] = -lr
    return wkq, wpv


def tokens_of(xs: np.ndarray, ys: np.ndarray, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Token batch (B, K, D+1) from inputs (B, K, D) and targets (B, K); the last token's y is zeroed."""
    ys = np.array(ys, dtype=np.float64, copy=True)
    ys[:, -1] = 0.0
    return torch.as_tensor(np.concatenate([xs, ys[..., None]], axis=-1), dtype=dtype)
