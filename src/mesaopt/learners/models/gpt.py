"""A small GPT-style (pre-LN, causal) transformer that reads regression pairs in context and predicts each y.

The sequence interleaves tokens x_1, y_1, x_2, y_2, ..., x_K, y_K. An x-token embeds (x, 0) and a y-token (0, y)
through one linear map, plus a learned position embedding. The prediction for y_k is read at x_k's token, which by
causality has seen only the pairs before k and x_k itself.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class Block(nn.Module):
    """Pre-LN transformer block: x + attn(ln(x)), then x + mlp(ln(x))."""

    def __init__(self, d_model: int, heads: int, mlp_ratio: int) -> None:
        super().__init__()
        self.heads = heads
        self.ln_1 = nn.LayerNorm(d_model)
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.ln_2 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(
            nn.Linear(d_model, mlp_ratio * d_model), nn.GELU(), nn.Linear(mlp_ratio * d_model, d_model)
        )

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        b, t, c = h.shape
        q, k, v = self.qkv(self.ln_1(h)).split(c, dim=2)
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        attn = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        h = h + self.proj(attn.transpose(1, 2).reshape(b, t, c))
        return h + self.mlp(self.ln_2(h))


class GPT(nn.Module):
    """Embedding, L pre-LN blocks, a final LayerNorm and a scalar read-out at every x-token."""

    def __init__(self, dim: int, points: int, d_model: int = 64, layers: int = 2, heads: int = 4, mlp_ratio: int = 4):
        super().__init__()
        if d_model % heads:
            raise ValueError(f"gpt: d_model {d_model} is not divisible by heads {heads}")
        self.embed = nn.Linear(dim + 1, d_model)
        self.position = nn.Parameter(0.02 * torch.randn(2 * points, d_model))
        self.blocks = nn.ModuleList(Block(d_model, heads, mlp_ratio) for _ in range(layers))
        self.ln_f = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, 1)

    def forward(self, xs: torch.Tensor, ys: torch.Tensor, hidden: bool = False):
        """Predictions (B, K) of every y_k from xs (B, K, D) and ys (B, K); with `hidden`, the residual streams."""
        b, k, d = xs.shape
        x_tok = torch.cat([xs, torch.zeros_like(ys)[..., None]], -1)
        y_tok = torch.cat([torch.zeros_like(xs), ys[..., None]], -1)
        tokens = torch.stack([x_tok, y_tok], dim=2).reshape(b, 2 * k, d + 1)
        h = self.embed(tokens) + self.position[: 2 * k]
        states = []
        for block in self.blocks:
            h = block(h)
            states.append(h)
        prediction = self.head(self.ln_f(h[:, 0::2]))[..., 0]
        return (prediction, states) if hidden else prediction
