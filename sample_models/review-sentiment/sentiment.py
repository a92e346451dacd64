"""A bag-of-words naive Bayes sentiment classifier in pure Python.

Features: lower-cased word unigrams and bigrams, with words after a negation ("not",
"never", "no", "n't", ...) prefixed ``not_`` up to the next punctuation mark, so that
"not worth it" and "worth it" count as different evidence. Binarized multinomial naive
Bayes with add-one smoothing; a crude suffix stripper merges word forms; ``score`` is the probability of the predicted label.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

_TOKEN = re.compile(r"[a-z0-9']+|[.!?,;:]")
_NEGATIONS = frozenset({"not", "no", "never", "nothing", "cannot", "barely", "hardly"})
_PUNCTUATION = frozenset(".!?,;:")
# Function words carry no sentiment; left in, a small training set teaches the model that
# "to" or "have" are positive merely because some positive phrasing happened to use them.
_STOP_WORDS = frozenset(
    "a an the and or but i me my we our you your it its this that these those is are was were be been am "
    "to of in on at for with from by as so do does did have has had will would can could just "
    "there here what which who when then than too very also about up out into over after before every "
    "time each all any some one two".split()
)
LABELS = ("negative", "positive")


def features(text: str) -> list[str]:
    words: list[str] = []
    negated = False
    for token in _TOKEN.findall(text.lower()):
        if token in _PUNCTUATION:
            negated = False
            words.append("|")  # a boundary: bigrams do not cross it
            continue
        if token in _STOP_WORDS:
            continue
        word = _stem(token)
        words.append(f"not_{word}" if negated else word)
        if token in _NEGATIONS or token.endswith("n't"):
            negated = True
    grams = [w for w in words if w != "|"]
    grams += [f"{a} {b}" for a, b in zip(words, words[1:]) if "|" not in (a, b)]
    return grams


def _stem(word: str) -> str:
    """A crude suffix stripper, so "crashes", "crashing" and "crashed" are one feature."""
    for suffix in ("ing", "ed", "es", "s", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


@dataclass
class NaiveBayes:
    log_prior: dict[str, float]
    log_likelihood: dict[str, dict[str, float]]
    log_unseen: dict[str, float]

    @classmethod
    def train(cls, examples: Iterable[tuple[str, str]]) -> NaiveBayes:
        counts = {label: Counter[str]() for label in LABELS}
        docs = Counter[str]()
        for text, label in examples:
            if label not in counts:
                raise ValueError(f"label {label!r} is not one of {LABELS}")
            docs[label] += 1
            # Binarized per review: repeating a word in one review is not extra evidence.
            counts[label].update(set(features(text)))
        vocabulary = set().union(*counts.values())
        total_docs = sum(docs.values())
        log_prior = {label: math.log(docs[label] / total_docs) for label in LABELS}
        log_likelihood: dict[str, dict[str, float]] = {}
        log_unseen: dict[str, float] = {}
        for label in LABELS:
            denominator = sum(counts[label].values()) + len(vocabulary)
            log_likelihood[label] = {w: math.log((counts[label][w] + 1) / denominator) for w in vocabulary}
            log_unseen[label] = math.log(1 / denominator)
        return cls(log_prior, log_likelihood, log_unseen)

    def predict(self, text: str) -> tuple[str, float]:
        grams = [g for g in features(text) if g in self.log_likelihood[LABELS[0]]]
        scores = {
            label: self.log_prior[label] + sum(self.log_likelihood[label][g] for g in grams) for label in LABELS
        }
        # P(positive) from the log-odds, computed stably.
        margin = scores["positive"] - scores["negative"]
        p_positive = 1 / (1 + math.exp(-margin)) if margin > -700 else 0.0
        label = "positive" if p_positive >= 0.5 else "negative"
        return label, p_positive if label == "positive" else 1 - p_positive


def load_examples(path: Path) -> list[tuple[str, str]]:
    with path.open() as f:
        return [(record["text"], record["label"]) for record in map(json.loads, f) if record]
