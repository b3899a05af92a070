"""How alike two problem texts are, for the duplicate warning at intake and for 共性问题.

Character bigrams suit Chinese, which has no spaces between words: “物流运输不畅” and
“运输不畅导致订单延误” share 运输, 输不, 不畅. Punctuation and spaces are ignored.
"""

from __future__ import annotations

import re

NOT_TEXT = re.compile(r"[\s\W_]+", re.UNICODE)
THRESHOLD = 0.35


def bigrams(text: str) -> set[str]:
    clean = NOT_TEXT.sub("", text.lower())
    return {clean[i : i + 2] for i in range(len(clean) - 1)} or ({clean} if clean else set())


def likeness(a: str, b: str) -> float:
    """Jaccard similarity of the two texts' bigrams, 0 to 1."""
    x, y = bigrams(a), bigrams(b)
    return len(x & y) / len(x | y) if x and y else 0.0


def similar(a: str, b: str, threshold: float = THRESHOLD) -> bool:
    return likeness(a, b) >= threshold
