"""The condition language: parsing to a tree, the load-time checks of names and arities with positions, and
evaluation with a detail that names each comparison's live value and target."""

from __future__ import annotations

import math

import pytest

from engine.lessons.conditions import (
    Arithmetic,
    Compare,
    ConditionError,
    Logical,
    Not,
    Number,
    Quantity,
    String,
    evaluate,
    parse,
    quantities_used,
    show,
    tokenize,
)

VOCABULARY = {
    "passes": (0,),
    "test_loss": (0,),
    "train_accuracy": (0,),
    "optimizer": (0,),
    "L": (0,),
    "width": (1,),
    "grad_ratio": (2,),
    "dead_fraction": (0, 1),
}


def values(**named: float | str):
    """A resolver over fixed values; a call's value is looked up as 'name(args)'."""
    calls: list[tuple[str, tuple[float, ...]]] = []

    def resolve(name: str, args: tuple[float, ...]) -> float | str:
        calls.append((name, args))
        key = name if not args else f"{name}({', '.join(f'{a:g}' for a in args)})"
        return named[key]

    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve


# -- parsing ------------------------------------------------------------------------------------------------------
def test_tokens_cover_numbers_in_every_form_strings_and_operators() -> None:
    tokens = tokenize("a<=1e-3 and b != 'x y' or .5 >= \"z\"")
    assert [(t.kind, t.text) for t in tokens] == [
        ("name", "a"),
        ("op", "<="),
        ("number", "1e-3"),
        ("name", "and"),
        ("name", "b"),
        ("op", "!="),
        ("string", "'x y'"),
        ("name", "or"),
        ("number", ".5"),
        ("op", ">="),
        ("string", '"z"'),
        ("end", ""),
    ]
    assert tokens[2].value == 0.001 and tokens[6].value == "x y"


def test_and_binds_tighter_than_or_and_not_applies_to_one_comparison() -> None:
    tree = parse("passes < 1 or not passes > 2 and test_loss <= 0.1", VOCABULARY).tree
    assert isinstance(tree, Logical) and tree.op == "or"
    first, second = tree.operands
    assert isinstance(first, Compare) and first.op == "<"
    assert isinstance(second, Logical) and second.op == "and"
    assert isinstance(second.operands[0], Not)
    assert isinstance(second.operands[1], Compare) and second.operands[1].op == "≤"


def test_arithmetic_follows_precedence_and_parentheses() -> None:
    tree = parse("grad_ratio(1, L) >= 0.1 * (2 - 1) / 4 + 1", VOCABULARY).tree
    assert isinstance(tree, Compare)
    assert tree.left == Quantity("grad_ratio", (Number(1.0, "1"), Quantity("L", (), 14, False)), 0, True)
    right = tree.right
    assert isinstance(right, Arithmetic) and right.op == "+"
    assert show(right) == "0.1 * (2 - 1) / 4 + 1"


def test_a_parenthesized_condition_and_a_parenthesized_value_are_told_apart() -> None:
    grouped = parse("not (passes > 1 or passes < 0)", VOCABULARY).tree
    assert isinstance(grouped, Not) and isinstance(grouped.operand, Logical)
    value = parse("(passes + 1) / 2 >= 3", VOCABULARY).tree
    assert isinstance(value, Compare) and isinstance(value.left, Arithmetic)


def test_every_spelling_of_a_comparison_is_accepted() -> None:
    ops = [parse(f"passes {op} 1", VOCABULARY).tree.op for op in ("<=", "≤", ">=", "≥", "<", ">", "=", "==", "!=", "≠")]
    assert ops == ["≤", "≤", "≥", "≥", "<", ">", "=", "=", "≠", "≠"]


def test_strings_in_either_quote_are_values() -> None:
    tree = parse("optimizer = \"adam\" or optimizer = 'sgd'", VOCABULARY).tree
    assert isinstance(tree, Logical)
    assert [c.right for c in tree.operands] == [String("adam"), String("sgd")]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("tset_loss <= 0.1", "unknown quantity 'tset_loss'; the known ones are L, dead_fraction, grad_ratio", 1),
        ("passes >= 1 and widht(1) = 2", "unknown quantity 'widht'", 17),
        ("width >= 2", "'width' takes 1 argument, not 0", 1),
        ("grad_ratio(1) >= 0.1", "'grad_ratio' takes 2 arguments, not 1", 1),
        ("passes(1) >= 2", "'passes' takes no arguments (write it without parentheses), not 1", 1),
        ("dead_fraction(1, 2) < 0.1", "'dead_fraction' takes 0 or 1 arguments, not 2", 1),
        ("passes", "'passes' is a value, not a condition", 1),
        ("passes < 1 < 2", "comparisons cannot be chained", 12),
        ("passes >= 1 test_loss <= 2", "unexpected 'test_loss' (join conditions with 'and' or 'or')", 13),
        ("passes <=", "expected a number, a 'string' or a quantity, found the end of the condition", 10),
        ("passes @ 3", "unexpected character '@'", 8),
        ("optimizer = 'adam", "the string starting with ' is not closed", 13),
        ("optimizer < 'adam'", "texts can only be compared with = or !=, not <", 11),
        ("'adam' = 1", "this compares a text with a number", 8),
        ("(passes > 1", "expected ')', found the end of the condition", 12),
        ("passes >= 1..2", "'1..2' is not a number", 11),
    ],
)
def test_a_bad_condition_is_refused_with_its_position_and_what_is_wrong(text: str, message: str, column: int) -> None:
    with pytest.raises(ConditionError) as raised:
        parse(text, VOCABULARY)
    error = raised.value
    assert message in error.reason
    assert error.position == column - 1
    assert str(error).startswith(f"in '{text}' at column {column}: ")


def test_an_empty_condition_is_refused() -> None:
    with pytest.raises(ConditionError, match="the condition is empty"):
        parse("   ", VOCABULARY)


def test_parsing_never_evaluates_python() -> None:
    with pytest.raises(ConditionError, match="unknown quantity '__import__'"):
        parse("__import__('os') = 0", VOCABULARY)
    with pytest.raises(ConditionError, match=r"unexpected character '\.'"):
        parse("passes.__class__ = 0", VOCABULARY)


# -- evaluating ---------------------------------------------------------------------------------------------------
def test_detail_lists_each_comparison_with_its_live_value_and_target() -> None:
    condition = parse("test_loss <= 0.1 and passes <= 300", VOCABULARY)
    passed, detail = evaluate(condition, values(test_loss=0.23117, passes=120))
    assert not passed
    assert detail == "test_loss = 0.2312 (target ≤ 0.1) ✗; passes = 120 (target ≤ 300) ✓"


def test_a_computed_target_shows_its_value() -> None:
    condition = parse("grad_ratio(1, L) >= 0.05 * width(1)", VOCABULARY)
    passed, detail = evaluate(condition, values(**{"L": 3, "grad_ratio(1, 3)": 0.5, "width(1)": 8}))
    assert passed
    assert detail == "grad_ratio(1, L) = 0.5 (target ≥ 0.05 * width(1) = 0.4) ✓"


def test_or_and_not_combine_results_and_every_comparison_is_reported() -> None:
    condition = parse("passes > 10 or not optimizer = 'sgd'", VOCABULARY)
    passed, detail = evaluate(condition, values(passes=3, optimizer="adam"))
    assert passed
    assert detail == "passes = 3 (target > 10) ✗; optimizer = 'adam' (target = 'sgd') ✗"
    assert evaluate(condition, values(passes=3, optimizer="sgd"))[0] is False


def test_each_quantity_is_resolved_once_per_evaluation() -> None:
    resolve = values(test_loss=0.5)
    evaluate(parse("test_loss > 0.1 and test_loss < 1 and test_loss != 0.3", VOCABULARY), resolve)
    assert resolve.calls == [("test_loss", ())]  # type: ignore[attr-defined]


def test_nan_compares_false_even_with_not_equal() -> None:
    for op in ("<=", ">=", "<", ">", "=", "!="):
        passed, detail = evaluate(parse(f"train_accuracy {op} 1", VOCABULARY), values(train_accuracy=math.nan))
        assert passed is False, op
        assert detail.startswith("train_accuracy = nan")


def test_arithmetic_and_division_by_zero() -> None:
    resolve = values(passes=0)
    assert evaluate(parse("-passes + 2 * 3 - 1 = 5", VOCABULARY), resolve)[0]
    assert evaluate(parse("1 / passes > 1e308", VOCABULARY), resolve)[0]  # +inf
    assert not evaluate(parse("passes / passes >= 0", VOCABULARY), resolve)[0]  # 0/0 is NaN


def test_a_text_compared_with_a_number_is_an_error_at_evaluation() -> None:
    with pytest.raises(ConditionError) as raised:
        evaluate(parse("optimizer = 1", VOCABULARY), values(optimizer="sgd"))
    assert "compares the text 'sgd' with the number 1" in str(raised.value)
    assert raised.value.position == 10


def test_a_text_in_arithmetic_is_an_error_at_evaluation() -> None:
    with pytest.raises(ConditionError, match="optimizer is the text 'sgd', which cannot be used in arithmetic"):
        evaluate(parse("optimizer + 1 > 0", VOCABULARY), values(optimizer="sgd"))


def test_a_text_ordered_against_a_text_quantity_is_an_error_at_evaluation() -> None:
    with pytest.raises(ConditionError, match="texts can only be compared with = or !="):
        evaluate(parse("optimizer > passes", VOCABULARY), values(optimizer="sgd", passes="x"))


def test_a_resolver_refusing_an_argument_becomes_a_condition_error_at_the_call() -> None:
    def resolve(name: str, args: tuple[float, ...]) -> float:
        raise ValueError("width(9): the layer must be a whole number from 0 to L = 2")

    with pytest.raises(ConditionError) as raised:
        evaluate(parse("passes >= 0 and width(9) > 1", VOCABULARY), resolve)
    assert raised.value.position == 0  # the first quantity asked for is passes
    assert "the layer must be a whole number" in str(raised.value)


def test_quantities_used_lists_every_name_including_arguments() -> None:
    parsed = parse("grad_ratio(1, L) > 0.1 and not (passes < width(L))", VOCABULARY)
    assert quantities_used(parsed) == {"grad_ratio", "L", "passes", "width"}
