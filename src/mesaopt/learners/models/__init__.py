"""Torch modules for the neural learners. Each maps grids (B,3,H,W) to path logits (B,H,W) and accepts
`output="states"` for its hidden states at the hook points; iterating models take `iterations`."""
