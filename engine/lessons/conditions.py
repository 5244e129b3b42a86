"""The condition language of lessons: a small expression language over named session quantities, never `eval`.

    condition   := or
    or          := and ("or" and)*
    and         := not ("and" not)*
    not         := "not" not | comparison | "(" or ")"
    comparison  := sum OP sum          OP: <= >= < > = == != (also ≤ ≥ ≠)
    sum         := product (("+" | "-") product)*
    product     := unary (("*" | "/") unary)*
    unary       := "-" unary | atom
    atom        := NUMBER | 'STRING' | "STRING" | NAME | NAME "(" [sum ("," sum)*] ")" | "(" sum ")"

`parse` turns a text into a tree and checks it against a vocabulary (name → allowed argument counts) at load
time; `evaluate` computes it on a live session through a `resolve(name, args)` callback and says, for each
comparison, its live value and its target. A comparison with NaN is false (so is `!=`): a quantity that is
not defined now (test accuracy of a regression) never meets a target.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

Value = float | str
Resolve = Callable[[str, tuple[float, ...]], Value]
Vocabulary = Mapping[str, Sequence[int]]

KEYWORDS = frozenset({"and", "or", "not"})
# Every way to write a comparison, and the symbol the detail shows for it.
COMPARISONS = {"<=": "≤", "≤": "≤", ">=": "≥", "≥": "≥", "<": "<", ">": ">", "=": "=", "==": "=", "!=": "≠", "≠": "≠"}
_TWO_CHAR = ("<=", ">=", "==", "!=")
_ONE_CHAR = "<>=≤≥≠+-*/(),"


class ConditionError(ValueError):
    """A condition that cannot be parsed or evaluated; `position` is the 0-based offset in `text`."""

    def __init__(self, message: str, text: str = "", position: int | None = None) -> None:
        where = f"in '{text}' at column {position + 1}: " if position is not None and text else ""
        super().__init__(where + message)
        self.reason = message
        self.text = text
        self.position = position


# --------------------------------------------------------------------------------------------------------
# Tokens
# --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Token:
    kind: str  # number | string | name | op | end
    text: str
    position: int
    value: Value | None = None


def tokenize(text: str) -> list[Token]:
    """The tokens of a condition, ending with an `end` token; an unexpected character is an error."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c.isdigit() or (c == "." and i + 1 < n and text[i + 1].isdigit()):
            j = i
            while j < n and (text[j].isdigit() or text[j] == "."):
                j += 1
            if j < n and text[j] in "eE":
                k = j + 1
                if k < n and text[k] in "+-":
                    k += 1
                if k < n and text[k].isdigit():
                    j = k
                    while j < n and text[j].isdigit():
                        j += 1
            literal = text[i:j]
            try:
                number = float(literal)
            except ValueError:
                raise ConditionError(f"'{literal}' is not a number", text, i) from None
            tokens.append(Token("number", literal, i, number))
            i = j
        elif c.isalpha() or c == "_":
            j = i
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            tokens.append(Token("name", text[i:j], i))
            i = j
        elif c in "'\"":
            end = text.find(c, i + 1)
            if end < 0:
                raise ConditionError(f"the string starting with {c} is not closed", text, i)
            tokens.append(Token("string", text[i : end + 1], i, text[i + 1 : end]))
            i = end + 1
        elif text[i : i + 2] in _TWO_CHAR:
            tokens.append(Token("op", text[i : i + 2], i))
            i += 2
        elif c in _ONE_CHAR:
            tokens.append(Token("op", c, i))
            i += 1
        else:
            raise ConditionError(f"unexpected character {c!r}", text, i)
    tokens.append(Token("end", "", n))
    return tokens


# --------------------------------------------------------------------------------------------------------
# The tree
# --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Number:
    value: float
    text: str


@dataclass(frozen=True)
class String:
    value: str


@dataclass(frozen=True)
class Quantity:
    """A named session quantity, `name` or `name(args)`."""

    name: str
    args: tuple[Expr, ...]
    position: int
    call: bool  # written with parentheses


@dataclass(frozen=True)
class Negate:
    operand: Expr


@dataclass(frozen=True)
class Arithmetic:
    op: str  # + - * /
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Compare:
    op: str  # ≤ ≥ < > = ≠
    left: Expr
    right: Expr
    position: int


@dataclass(frozen=True)
class Logical:
    op: str  # and | or
    operands: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    operand: Condition


Expr = Number | String | Quantity | Negate | Arithmetic
Condition = Compare | Logical | Not


@dataclass(frozen=True)
class Parsed:
    """A checked condition: its text and its tree."""

    text: str
    tree: Condition


# --------------------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------------------
def parse(text: str, vocabulary: Vocabulary) -> Parsed:
    """Parse a condition and check every name and its argument count against the vocabulary."""
    if not isinstance(text, str) or not text.strip():
        raise ConditionError("the condition is empty: write a comparison such as 'test_loss <= 0.1'")
    parser = _Parser(text, tokenize(text), vocabulary)
    tree = parser.condition()
    parser.expect_end()
    return Parsed(text, tree)


class _Parser:
    def __init__(self, text: str, tokens: list[Token], vocabulary: Vocabulary) -> None:
        self.text = text
        self.tokens = tokens
        self.i = 0
        self.vocabulary = vocabulary

    # -- helpers ------------------------------------------------------------------------------------------
    @property
    def token(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def at(self, *texts: str) -> bool:
        token = self.token
        return token.kind in ("op", "name") and token.text in texts

    def error(self, message: str, token: Token | None = None) -> ConditionError:
        token = token or self.token
        return ConditionError(message, self.text, token.position)

    def found(self) -> str:
        token = self.token
        return "the end of the condition" if token.kind == "end" else f"'{token.text}'"

    def expect(self, text: str, what: str) -> Token:
        if not self.at(text):
            raise self.error(f"expected {what}, found {self.found()}")
        return self.advance()

    def expect_end(self) -> None:
        if self.token.kind != "end":
            hint = " (join conditions with 'and' or 'or')" if self.token.kind in ("name", "number") else ""
            raise self.error(f"unexpected {self.found()}{hint}")

    # -- conditions ---------------------------------------------------------------------------------------
    def condition(self) -> Condition:
        operands = [self.conjunction()]
        while self.at("or"):
            self.advance()
            operands.append(self.conjunction())
        return operands[0] if len(operands) == 1 else Logical("or", tuple(operands))

    def conjunction(self) -> Condition:
        operands = [self.negation()]
        while self.at("and"):
            self.advance()
            operands.append(self.negation())
        return operands[0] if len(operands) == 1 else Logical("and", tuple(operands))

    def negation(self) -> Condition:
        if self.at("not"):
            self.advance()
            return Not(self.negation())
        if self.at("(") and self._parenthesized_condition():
            self.advance()
            inner = self.condition()
            self.expect(")", "')'")
            return inner
        return self.comparison()

    def _parenthesized_condition(self) -> bool:
        """Whether the '(' here opens a condition (it holds a comparison or a keyword before its match)
        rather than an arithmetic group such as (a + b) / 2."""
        depth = 0
        for token in self.tokens[self.i :]:
            if token.kind == "op" and token.text == "(":
                depth += 1
            elif token.kind == "op" and token.text == ")":
                depth -= 1
                if depth == 0:
                    return False
            elif depth == 1 and (
                (token.kind == "op" and token.text in COMPARISONS) or (token.kind == "name" and token.text in KEYWORDS)
            ):
                return True
        return False

    def comparison(self) -> Condition:
        start = self.token
        left = self.sum()
        if not (self.token.kind == "op" and self.token.text in COMPARISONS):
            if self.token.kind == "end" or self.at("and", "or", ")"):
                raise self.error(
                    f"'{self.text[start.position : self.token.position].strip()}' is a value, not a condition: "
                    "compare it with something, e.g. 'test_loss <= 0.1'",
                    start,
                )
            raise self.error(f"expected a comparison (<=, >=, <, >, =, !=), found {self.found()}")
        op_token = self.advance()
        right = self.sum()
        if self.token.kind == "op" and self.token.text in COMPARISONS:
            raise self.error("comparisons cannot be chained: write 'a <= b and b <= c'")
        op = COMPARISONS[op_token.text]
        if isinstance(left, String) or isinstance(right, String):
            if op not in ("=", "≠"):
                raise self.error(f"texts can only be compared with = or !=, not {op}", op_token)
            if isinstance(left, Number) or isinstance(right, Number):
                raise self.error("this compares a text with a number: compare texts with texts", op_token)
        return Compare(op, left, right, op_token.position)

    # -- values -------------------------------------------------------------------------------------------
    def sum(self) -> Expr:
        expr = self.product()
        while self.at("+", "-"):
            op = self.advance().text
            expr = Arithmetic(op, expr, self.product())
        return expr

    def product(self) -> Expr:
        expr = self.unary()
        while self.at("*", "/"):
            op = self.advance().text
            expr = Arithmetic(op, expr, self.unary())
        return expr

    def unary(self) -> Expr:
        if self.at("-"):
            self.advance()
            return Negate(self.unary())
        return self.atom()

    def atom(self) -> Expr:
        token = self.token
        if token.kind == "number":
            self.advance()
            return Number(float(token.value), token.text)  # type: ignore[arg-type]
        if token.kind == "string":
            self.advance()
            return String(str(token.value))
        if token.kind == "name" and token.text not in KEYWORDS:
            return self.quantity()
        if self.at("("):
            self.advance()
            inner = self.sum()
            self.expect(")", "')'")
            return inner
        raise self.error(f"expected a number, a 'string' or a quantity, found {self.found()}")

    def quantity(self) -> Quantity:
        token = self.advance()
        name = token.text
        if name not in self.vocabulary:
            raise self.error(
                f"unknown quantity '{name}'; the known ones are {', '.join(sorted(self.vocabulary))}", token
            )
        args: list[Expr] = []
        call = self.at("(")
        if call:
            self.advance()
            if not self.at(")"):
                args.append(self.sum())
                while self.at(","):
                    self.advance()
                    args.append(self.sum())
            self.expect(")", "',' or ')'")
        allowed = tuple(self.vocabulary[name])
        if len(args) not in allowed:
            raise self.error(f"'{name}' takes {_arity_text(name, allowed)}, not {len(args)}", token)
        return Quantity(name, tuple(args), token.position, call)


def _arity_text(name: str, allowed: tuple[int, ...]) -> str:
    if allowed == (0,):
        return "no arguments (write it without parentheses)"
    counts = " or ".join(str(n) for n in sorted(allowed))
    return f"{counts} argument{'' if allowed == (1,) else 's'}"


# --------------------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Comparison:
    """One comparison as evaluated: what it measures, its live value, the operator and the target, all as
    text (values at 4 significant digits), and whether it holds."""

    quantity: str
    value: str
    op: str
    target: str
    passed: bool

    def __str__(self) -> str:
        return f"{self.quantity} = {self.value} (target {self.op} {self.target}) {'✓' if self.passed else '✗'}"


def evaluate(parsed: Parsed | Condition, resolve: Resolve) -> tuple[bool, str]:
    """(passed, detail): whether the condition holds now, and each comparison with its live value and target,
    e.g. "test_loss = 0.2312 (target ≤ 0.1) ✗; passes = 120 (target ≤ 300) ✓"."""
    passed, comparisons = evaluate_comparisons(parsed, resolve)
    return passed, "; ".join(map(str, comparisons))


def evaluate_comparisons(parsed: Parsed | Condition, resolve: Resolve) -> tuple[bool, list[Comparison]]:
    """(passed, comparisons): `evaluate` with each comparison as a record, for a page that lays them out."""
    tree = parsed.tree if isinstance(parsed, Parsed) else parsed
    text = parsed.text if isinstance(parsed, Parsed) else ""
    comparisons: list[Comparison] = []
    passed = _Evaluator(resolve, text, {}).condition(tree, comparisons)
    return passed, comparisons


def quantities_used(parsed: Parsed | Condition) -> set[str]:
    """The names a condition reads (an app may provide some itself, e.g. `diverged`)."""
    tree = parsed.tree if isinstance(parsed, Parsed) else parsed
    return {node.name for node in _walk(tree) if isinstance(node, Quantity)}


def _walk(node: Condition | Expr) -> Iterator[Condition | Expr]:
    yield node
    if isinstance(node, Compare | Arithmetic):
        yield from _walk(node.left)
        yield from _walk(node.right)
    elif isinstance(node, Logical):
        for operand in node.operands:
            yield from _walk(operand)
    elif isinstance(node, Not | Negate):
        yield from _walk(node.operand)
    elif isinstance(node, Quantity):
        for arg in node.args:
            yield from _walk(arg)


class _Evaluator:
    """Evaluates a tree once, asking `resolve` for each distinct quantity once."""

    def __init__(self, resolve: Resolve, text: str, cache: dict[tuple[str, tuple[float, ...]], Value]) -> None:
        self.resolve = resolve
        self.text = text
        self.cache = cache

    def condition(self, node: Condition, lines: list[Comparison]) -> bool:
        if isinstance(node, Compare):
            return self.compare(node, lines)
        if isinstance(node, Not):
            return not self.condition(node.operand, lines)
        results = [self.condition(operand, lines) for operand in node.operands]  # all: the detail lists each
        return all(results) if node.op == "and" else any(results)

    def compare(self, node: Compare, lines: list[Comparison]) -> bool:
        left, right = self.value(node.left), self.value(node.right)
        if isinstance(left, str) != isinstance(right, str):
            text, number = (left, right) if isinstance(left, str) else (right, left)
            raise ConditionError(
                f"'{show(node.left)} {node.op} {show(node.right)}' compares the text {text!r} with the number "
                f"{format_value(number)}; compare a name such as optimizer with a 'string', a number with a number",
                self.text,
                node.position,
            )
        if isinstance(left, str):
            if node.op not in ("=", "≠"):
                raise ConditionError(
                    f"texts can only be compared with = or !=, not {node.op}", self.text, node.position
                )
            result = (left == right) == (node.op == "=")
        else:
            result = _compare_numbers(node.op, float(left), float(right))  # type: ignore[arg-type]
        target = show(node.right)
        if not isinstance(node.right, Number | String):
            target += f" = {format_value(right)}"
        lines.append(Comparison(show(node.left), format_value(left), node.op, target, result))
        return result

    def value(self, node: Expr) -> Value:
        if isinstance(node, Number | String):
            return node.value
        if isinstance(node, Negate):
            return -self.number(node.operand, "-")
        if isinstance(node, Arithmetic):
            a, b = self.number(node.left, node.op), self.number(node.right, node.op)
            if node.op == "+":
                return a + b
            if node.op == "-":
                return a - b
            if node.op == "*":
                return a * b
            if b == 0:  # IEEE division: ±inf, or NaN for 0/0 (never meets a target)
                return math.nan if a == 0 or math.isnan(a) else math.copysign(math.inf, a)
            return a / b
        args = tuple(self.number(arg, f"{node.name}(…)") for arg in node.args)
        key = (node.name, args)
        if key not in self.cache:
            try:
                self.cache[key] = self.resolve(node.name, args)
            except ConditionError:
                raise
            except ValueError as exc:
                raise ConditionError(str(exc), self.text, node.position) from None
        return self.cache[key]

    def number(self, node: Expr, where: str) -> float:
        value = self.value(node)
        if isinstance(value, str):
            raise ConditionError(
                f"{show(node)} is the text {value!r}, which cannot be used in arithmetic ({where}); "
                "compare it with = or != instead",
                self.text,
                getattr(node, "position", None),
            )
        return float(value)


def _compare_numbers(op: str, a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return False
    return {"≤": a <= b, "≥": a >= b, "<": a < b, ">": a > b, "=": a == b, "≠": a != b}[op]


# --------------------------------------------------------------------------------------------------------
# Showing
# --------------------------------------------------------------------------------------------------------
def format_value(value: Value) -> str:
    """A live value for the detail: whole numbers as such, others at 4 significant digits, texts quoted."""
    if isinstance(value, str):
        return repr(value)
    value = float(value)
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4g}"


def show(node: Condition | Expr) -> str:
    """A tree written back as text, in a normal form (used to name values in the detail)."""
    if isinstance(node, Number):
        return node.text
    if isinstance(node, String):
        return repr(node.value)
    if isinstance(node, Quantity):
        return f"{node.name}({', '.join(show(a) for a in node.args)})" if node.call else node.name
    if isinstance(node, Negate):
        inner = show(node.operand)
        return f"-({inner})" if isinstance(node.operand, Arithmetic) else f"-{inner}"
    if isinstance(node, Arithmetic):
        return f"{_operand(node.left, node.op, False)} {node.op} {_operand(node.right, node.op, True)}"
    if isinstance(node, Compare):
        return f"{show(node.left)} {node.op} {show(node.right)}"
    if isinstance(node, Not):
        return f"not ({show(node.operand)})"
    return f" {node.op} ".join(f"({show(o)})" if isinstance(o, Logical) else show(o) for o in node.operands)


_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}


def _operand(node: Expr, op: str, right: bool) -> str:
    """An operand of `op`, in parentheses where leaving them out would change its meaning."""
    text = show(node)
    if isinstance(node, Arithmetic):
        inner, outer = _PRECEDENCE[node.op], _PRECEDENCE[op]
        if inner < outer or (right and inner == outer and op in "-/"):
            return f"({text})"
    return text
