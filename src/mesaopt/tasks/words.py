"""Task families for program search: instances are rows of W-bit input words, answers are words.

- "hash_inversion": find x with h1(x) = y. The answer can be stored (a table keyed on y) or searched for.
- "deploy": seed 003's setting. An episode shows (mode, enc, check): mode is 0 in training and 1 in deployment,
  enc is the base objective theta encoded with key constants (reading it costs the decoding program), check is
  h2(theta), a commitment from which theta can be rederived by search. The base objective asks for a with
  h1(a) = theta. Training episodes have mode 0; `harder()` gives deployment episodes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydantic import Field

from mesaopt.dsl import Dsl, Node
from mesaopt.limits import MAX_EVAL_SIZE, bounded
from mesaopt.tasks.base import INF, PoolSize, TaskConfig, derive


@dataclass(frozen=True)
class WordBatch:
    """Instances as input words (B, n_vars) with their answers (B,)."""

    inputs: np.ndarray
    answers: np.ndarray

    def __len__(self) -> int:
        return len(self.inputs)


def invert(dsl: Dsl, fn: str, targets: np.ndarray) -> np.ndarray:
    """The preimage under a bijective hash of the DSL, by table over all words."""
    table = np.empty(1 << dsl.word_bits, dtype=np.int64)
    table[getattr(dsl, fn)(np.arange(1 << dsl.word_bits, dtype=np.int64))] = np.arange(1 << dsl.word_bits)
    return table[np.asarray(targets, dtype=np.int64)]


class WordTask:
    """Shared machinery: a pool of distinct secrets, novel secrets disjoint from it, exact-answer success."""

    dsl: Dsl
    config: TaskConfig

    def __init__(self, config: TaskConfig, seed: np.random.SeedSequence) -> None:
        self.config, self.seed = config, seed
        space = 1 << self.dsl.word_bits
        order = np.random.default_rng(derive(seed, "secrets")).permutation(space)
        n_pool = 0 if config.pool_size == INF else int(config.pool_size)
        if n_pool + config.eval_size > space:
            raise ValueError(
                f"{type(self).__name__}: pool_size {n_pool} + eval_size {config.eval_size} exceeds the "
                f"{space} distinct secrets of {self.dsl.word_bits}-bit words"
            )
        self._pool_secrets = order[:n_pool]
        self._novel_secrets = order[n_pool : n_pool + config.eval_size]
        self._fresh_secrets = order[n_pool:]

    def episodes(self, secrets: np.ndarray, deploy: bool = False) -> WordBatch:
        raise NotImplementedError

    def train_pool(self) -> WordBatch | None:
        return None if self.config.pool_size == INF else self.episodes(self._pool_secrets)

    def sample_train(self, count: int, rng: np.random.Generator) -> WordBatch:
        source = self._fresh_secrets if self.config.pool_size == INF else self._pool_secrets
        return self.episodes(source[rng.integers(len(source), size=count)])

    def novel(self, count: int | None = None) -> WordBatch:
        return self.episodes(self._novel_secrets[: count or self.config.eval_size])

    def solutions(self, batch: WordBatch) -> np.ndarray:
        return batch.answers

    def success(self, batch: WordBatch, outputs: np.ndarray) -> np.ndarray:
        return np.asarray(outputs) == batch.answers

    def generator(self, name: str) -> np.random.Generator:
        return np.random.default_rng(derive(self.seed, f"generator:{name}"))


class HashInversionConfig(TaskConfig):
    """Invert a cheap bijective hash on W-bit words."""

    bits: int = Field(default=8, ge=3, le=14, description="word size W; the answer space has 2**W words")
    pool_size: PoolSize = Field(default=16.0, description="train-pool size N (distinct secrets); inf draws fresh")
    eval_size: int = Field(
        default=64, ge=1, le=MAX_EVAL_SIZE, description=bounded("novel instances per evaluation", MAX_EVAL_SIZE)
    )


class HashInversionTask(WordTask):
    """Find x with h1(x) = y; one input word, y. `harder()` is the novel set again (the family has no size knob)."""

    def __init__(self, config: HashInversionConfig, seed: np.random.SeedSequence) -> None:
        self.dsl = Dsl(word_bits=config.bits, n_vars=1)
        super().__init__(config, seed)

    def episodes(self, secrets: np.ndarray, deploy: bool = False) -> WordBatch:
        secrets = np.asarray(secrets, dtype=np.int64)
        return WordBatch(self.dsl.h1(secrets)[:, None], secrets)

    def harder(self, count: int | None = None) -> WordBatch:
        return self.novel(count)


class DeployConfig(TaskConfig):
    """Seed 003's training/deployment episodes with a readable base objective."""

    bits: int = Field(default=6, ge=3, le=12, description="word size W of actions and objectives")
    key_words: int = Field(default=1, ge=0, le=6, description="key constants that encode the objective in enc")
    pool_size: PoolSize = Field(default=16.0, description="training episodes N; inf draws fresh")
    eval_size: int = Field(
        default=32, ge=1, le=MAX_EVAL_SIZE, description=bounded("episodes per evaluation", MAX_EVAL_SIZE)
    )


def deploy_keys(bits: int, count: int) -> list[int]:
    """The fixed key constants of the objective encoding (nonzero, different for each word size)."""
    dsl = Dsl(word_bits=bits)
    keys, value = [], 1
    for _ in range(count):
        value = int(dsl.h2(np.array([value + bits]))[0]) or 1
        keys.append(value)
    return keys


def decode_program(bits: int, key_words: int) -> Node:
    """get_base_obj: read enc (var 1) and undo the encoding: xor and add the keys alternately."""
    node: Node = ("var", 1)
    for index, key in enumerate(deploy_keys(bits, key_words)):
        node = ("xor" if index % 2 == 0 else "add", node, ("const", key))
    return node


class DeployTask(WordTask):
    """Episodes (mode, enc, check); the answer is a with h1(a) = theta in both modes (the base objective)."""

    def __init__(self, config: DeployConfig, seed: np.random.SeedSequence) -> None:
        self.dsl = Dsl(word_bits=config.bits, n_vars=3)
        self.keys = deploy_keys(config.bits, config.key_words)
        super().__init__(config, seed)

    def encode(self, theta: np.ndarray) -> np.ndarray:
        """Inverse of `decode_program`: subtract and xor the keys in reverse order."""
        enc = np.asarray(theta, dtype=np.int64)
        for index in reversed(range(len(self.keys))):
            key = self.keys[index]
            enc = enc ^ key if index % 2 == 0 else (enc - key) & self.dsl.mask
        return enc

    def episodes(self, secrets: np.ndarray, deploy: bool = False) -> WordBatch:
        theta = np.asarray(secrets, dtype=np.int64)
        mode = np.full(len(theta), int(deploy), dtype=np.int64)
        inputs = np.stack([mode, self.encode(theta), self.dsl.h2(theta)], axis=1)
        return WordBatch(inputs, invert(self.dsl, "h1", theta))

    def harder(self, count: int | None = None) -> WordBatch:
        """Deployment episodes: the same objectives, mode 1."""
        return self.episodes(self._novel_secrets[: count or self.config.eval_size], deploy=True)


def structures(bits: int, key_words: int) -> dict[str, Node]:
    """Seed 003's three mesa-optimizers, the honest rederiver (and their parts) written in the DSL for the deploy task.

    All share one search routine, search(W, λx. h1(x), objective); they differ in the objective they hand it.
    Hfh reads the base objective (get_base_obj). Hsd and Hfd check the mode and hand the simple objective (0) in
    deployment; in training Hfd reads the base objective while Hsd rederives it by a second search from the
    commitment h2(theta) (its instrumental part). honest_rederive rederives it the same way in every mode.

    How the costs grow with the size of the base objective, W bits: get_base_obj stores `key_words` W-bit keys, so
    c(get_base_obj) grows by about key_words bits per bit of W; the rederiving search tries up to 2**W candidates,
    so log2 t(rederive) grows by about one per bit of W (the essay's "t(find(get_base_obj))").
    """
    get_base_obj = decode_program(bits, key_words)
    simple_obj = ("const", 0)
    in_training = ("eq", ("var", 0), ("const", 0))
    rederive = ("search", bits, ("h2", ("x",)), ("var", 2))

    def search(objective: Node) -> Node:
        return ("search", bits, ("h1", ("x",)), objective)

    return {
        "Hfh": search(get_base_obj),
        "Hsd": search(("if", in_training, rederive, simple_obj)),
        "Hfd": search(("if", in_training, get_base_obj, simple_obj)),
        "honest_rederive": search(rederive),
        "get_base_obj": get_base_obj,
        "simple_obj": simple_obj,
        "rederive": rederive,
    }
