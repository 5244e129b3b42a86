"""A lesson's Markdown and TeX → HTML for the page, safe for text a teacher wrote.

markdown-it-py renders CommonMark with raw HTML switched off (a `<script>` in the text comes out as text) and
its own link check (no javascript: or vbscript: links); mdit-py-plugins' dollarmath finds `$…$` and `$$…$$`, and
app/mathml.py turns the TeX into MathML that the browser renders natively. latex2mathml copies `\\text{…}`
and `\\href` into its output as they are, so its MathML is read back as XML and written out again with MathML
elements and presentation attributes only, every text escaped; TeX it cannot convert is shown as code.
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

from app.mathml import mathml

MATHML_NAMESPACE = "http://www.w3.org/1998/Math/MathML"
# MathML Core's elements (and latex2mathml's), nothing that links, scripts or styles.
ELEMENTS = frozenset(
    """math mrow mi mn mo ms mtext mspace msub msup msubsup mfrac msqrt mroot mstyle merror mpadded mphantom
    menclose munder mover munderover mtable mtr mtd mlabeledtr mmultiscripts mprescripts none semantics
    annotation mfenced""".split()  # noqa: SIM905 (a word list reads better than 32 quoted strings)
)
ATTRIBUTES = frozenset(
    """display mathvariant stretchy fence separator lspace rspace form accent accentunder movablelimits largeop
    symmetric minsize maxsize linethickness columnalign rowalign columnspacing rowspacing columnlines rowlines
    frame framespacing width height depth displaystyle scriptlevel notation open close separators align
    columnspan rowspan voffset""".split()  # noqa: SIM905
)


def _math(tex: str, options: dict[str, Any]) -> str:
    display = bool(options.get("display_mode"))
    return math_html(tex, display)


def math_html(tex: str, display: bool = False) -> str:
    """TeX as sanitized MathML; TeX that does not convert is shown as escaped code instead."""
    try:
        converted = mathml(tex, display)
    except Exception:  # latex2mathml raises many kinds of error on TeX it cannot read
        return _as_code(tex)
    safe = sanitize_mathml(converted)
    return safe if safe is not None else _as_code(tex)


def equation_lines(tex: str) -> list[str]:
    """A chain of equalities `a = b = c = ?` as lines a narrow panel can show: `a = b`, then `= c = ?` — every
    `=` outside braces and brackets starts a line but the second and the last ("= ?" stays with the number
    before it)."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(tex):
        if char in "{([":
            depth += 1
        elif char in "})]":
            depth -= 1
        elif char == "=" and depth == 0:
            parts.append(tex[start:i].strip())
            start = i + 1
    parts.append(tex[start:].strip())
    if len(parts) <= 2:
        return [tex]
    lines = [f"{parts[0]} = {parts[1]}", *(f"= {part}" for part in parts[2:])]
    if len(lines) > 2 and lines[-1].replace(" ", "") in ("=\\;?", "=?"):
        lines[-2:] = [f"{lines[-2]} {lines[-1]}"]
    return lines


def lines_html(tex: str) -> str:
    """A chain of equalities as display MathML, one line each (equation_lines); in one piece if a line alone
    would not convert."""
    lines = [math_html(line, display=True) for line in equation_lines(tex)]
    if any(line.startswith("<code") for line in lines):
        return math_html(tex, display=True)
    return "".join(lines)


def _as_code(tex: str) -> str:
    return f'<code class="tex">{html.escape(tex)}</code>'


def sanitize_mathml(markup: str) -> str | None:
    """The MathML rebuilt from allowed elements and attributes with escaped text; None if it is not plain XML
    (a DOCTYPE, entity or comment is refused before parsing, so no entity is ever expanded)."""
    if "<!" in markup or "<?" in markup:
        return None
    try:
        root = ET.fromstring(markup)
    except ET.ParseError:
        return None
    parts: list[str] = []
    if not _write(root, parts):
        return None
    return "".join(parts)


def _write(element: ET.Element, parts: list[str]) -> bool:
    namespace, _, tag = element.tag.rpartition("}")
    if namespace not in ("", "{" + MATHML_NAMESPACE) or tag not in ELEMENTS:
        return False
    attributes = "".join(
        f' {name}="{html.escape(value, quote=True)}"' for name, value in element.attrib.items() if name in ATTRIBUTES
    )
    if tag == "math":
        attributes = f' xmlns="{MATHML_NAMESPACE}"' + attributes
    parts.append(f"<{tag}{attributes}>")
    if element.text:
        parts.append(html.escape(element.text, quote=False))
    for child in element:
        if not _write(child, parts):
            return False
        if child.tail:
            parts.append(html.escape(child.tail, quote=False))
    parts.append(f"</{tag}>")
    return True


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table")
    md.use(dollarmath_plugin, allow_labels=False, allow_digits=False, double_inline=True, renderer=_math)
    # $$…$$ inside a paragraph: displayed, but in a <span> (a <div> may not sit inside a <p>)
    md.add_render_rule("math_inline_double", _display_in_paragraph)
    return md


def _display_in_paragraph(self: Any, tokens: list[Any], idx: int, options: Any, env: Any) -> str:
    return f'<span class="math display">{math_html(tokens[idx].content, display=True)}</span>'


@lru_cache(maxsize=2048)
def render(text: str) -> str:
    """Markdown with TeX math ($…$ inline, $$…$$ displayed) as HTML; raw HTML in the text stays text."""
    return _markdown().render(text)
