"""TeX in the seed's notation → MathML, which Chromium and Firefox render natively (no script, no CDN).

latex2mathml (a well-kept, pure-Python converter) does the work; the result is cached, as the same formulas
are asked for again and again.
"""

from __future__ import annotations

from functools import lru_cache

from latex2mathml.converter import convert


@lru_cache(maxsize=4096)
def mathml(tex: str, display: bool = False) -> str:
    """`tex` as a <math> element; `display` sets it as a block (for $$…$$)."""
    return convert(tex, display="block" if display else "inline")
