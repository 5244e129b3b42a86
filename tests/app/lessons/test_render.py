"""Lesson text to HTML: Markdown rendered, TeX turned into MathML, and nothing a lesson author writes ever
becoming HTML the page would run."""

from __future__ import annotations

import re

import pytest

from app.lessons.render import equation_lines, lines_html, math_html, render, sanitize_mathml

MATH = '<math xmlns="http://www.w3.org/1998/Math/MathML"'


def test_inline_math_becomes_mathml_inside_the_paragraph() -> None:
    html = render(r"The sum $z^{1} = W^{1} a^{0} + b^{1}$ of layer 1.")
    assert html.startswith('<p>The sum <span class="math inline">' + MATH + ' display="inline">')
    assert "<msup><mi>z</mi><mrow><mn>1</mn></mrow></msup>" in html
    assert html.endswith("</math></span> of layer 1.</p>\n")


def test_display_math_becomes_a_block() -> None:
    html = render("Backward:\n\n$$\\delta^{l} = (W^{l+1})^T \\delta^{l+1} \\odot f'(z^{l})$$\n")
    assert '<div class="math block">\n' + MATH + ' display="block">' in html
    assert "<mo>⊙</mo>" in html


def test_display_math_inside_a_paragraph_stays_valid_html() -> None:
    html = render("Display:\n$$a = 1$$\nafter.")
    assert '<span class="math display">' + MATH + ' display="block">' in html
    assert "<div" not in html  # a <div> inside a <p> would break the paragraph


def test_markdown_is_rendered() -> None:
    html = render(
        "**Bold**, *slanted*, `code`, a [link](https://example.org).\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    )
    for piece in (
        "<strong>Bold</strong>",
        "<em>slanted</em>",
        "<code>code</code>",
        '<a href="https://example.org">link</a>',
        "<li>one</li>",
        "<th>a</th>",
        "<td>2</td>",
    ):
        assert piece in html


def test_dollars_as_money_are_not_math() -> None:
    assert render("It costs $5 and $6.") == "<p>It costs $5 and $6.</p>\n"


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
        ('<a href="javascript:alert(1)">x</a>', "&lt;a href=&quot;javascript:alert(1)&quot;&gt;x&lt;/a&gt;"),
        ("<div>\n<iframe src=//evil>\n</div>", "&lt;iframe src=//evil&gt;"),
    ],
)
def test_raw_html_is_shown_as_text(text: str, escaped: str) -> None:
    html = render(text)
    assert escaped in html
    assert "<script" not in html and "<img" not in html and "<iframe" not in html and "<a " not in html


@pytest.mark.parametrize(
    "link",
    [
        "[x](javascript:alert(1))",
        "[x](JAVASCRIPT:alert(1))",
        "[x](vbscript:msgbox)",
        "[x](data:text/html,<script>alert(1)</script>)",
        "<javascript:alert(1)>",
    ],
)
def test_script_links_are_not_links(link: str) -> None:
    html = render(link)
    assert "href" not in html
    assert "<script" not in html


def test_an_image_keeps_its_attributes_escaped() -> None:
    html = render('![a" onerror="alert(1)](x.png "t\\" onload=\\"alert(1)")')
    assert re.findall(r"<img [^>]*>", html) == [
        '<img src="x.png" alt="a&quot; onerror=&quot;alert(1)" title="t&quot; onload=&quot;alert(1)" />'
    ]


def test_html_in_tex_text_never_reaches_the_page() -> None:
    html = render(r"$\text{<script>alert(1)</script>}$ and $\text{<img src=x onerror=alert(1)>}$")
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html  # shown as the TeX it was


def test_a_tex_link_loses_its_target() -> None:
    html = math_html(r"\href{javascript:alert(1)}{x}")
    assert html.startswith(MATH)
    assert "href" not in html and "javascript" not in html
    assert "<mi>x</mi>" in html


def test_tex_that_does_not_convert_is_shown_as_code() -> None:
    assert math_html(r"\begin{unknownenv} x") == r'<code class="tex">\begin{unknownenv} x</code>'


@pytest.mark.parametrize(
    "markup",
    [
        '<math xmlns="http://www.w3.org/1998/Math/MathML"><mi onclick="alert(1)">x</mi></math>',
        '<math xmlns="http://www.w3.org/1998/Math/MathML"><mi style="color:red" class="c">x</mi></math>',
    ],
)
def test_the_sanitizer_keeps_presentation_attributes_only(markup: str) -> None:
    assert sanitize_mathml(markup) == '<math xmlns="http://www.w3.org/1998/Math/MathML"><mi>x</mi></math>'


@pytest.mark.parametrize(
    "markup",
    [
        "<math><mtext><script>alert(1)</script></mtext></math>",
        "<math><foreignObject><div>x</div></foreignObject></math>",
        '<!DOCTYPE math [<!ENTITY a "aaaa">]><math><mi>&a;</mi></math>',
        "<math><mi>x</mi>",
        '<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>',
    ],
)
def test_the_sanitizer_refuses_anything_but_mathml(markup: str) -> None:
    assert sanitize_mathml(markup) is None


def test_the_sanitizer_escapes_text() -> None:
    assert sanitize_mathml("<math><mtext>a &lt; b &amp;lt;</mtext></math>") == (
        '<math xmlns="http://www.w3.org/1998/Math/MathML"><mtext>a &lt; b &amp;lt;</mtext></math>'
    )


@pytest.mark.parametrize(
    ("tex", "lines"),
    [
        (
            r"z^{1}_{1} = W^{1}_{11} x_{1} + b^{1}_{1} = (0.5)(1) + 0.25 = \;?",
            [r"z^{1}_{1} = W^{1}_{11} x_{1} + b^{1}_{1}", r"= (0.5)(1) + 0.25 = \;?"],
        ),
        (
            r"\hat{y}_{1} = a^{2}_{1} = \sigma(z^{2}_{1}) = \frac{1}{1 + e^{-(0.87)}} = \;?",
            [r"\hat{y}_{1} = a^{2}_{1}", r"= \sigma(z^{2}_{1})", r"= \frac{1}{1 + e^{-(0.87)}} = \;?"],
        ),
        (r"J = \;?", [r"J = \;?"]),
        (r"a^{x = 1} = b = c", [r"a^{x = 1} = b", "= c"]),  # an = inside braces is not a line's start
        (
            r"d = \sum_k a_k\left([k = j] - a\right) = (1)(0.5) = \;?",
            [r"d = \sum_k a_k\left([k = j] - a\right)", r"= (1)(0.5) = \;?"],
        ),
    ],
)
def test_a_chain_of_equalities_is_split_into_lines_a_narrow_panel_can_show(tex: str, lines: list[str]) -> None:
    assert equation_lines(tex) == lines
    html = lines_html(tex)
    assert html.count(MATH) == len(lines) and html.count('display="block"') == len(lines)
