"""Money in 万元 and 亩, and the GB 32100-2015 credit code: the value helpers users' numbers go through."""

from __future__ import annotations

from decimal import Decimal

import pytest
from stdnum.cn import uscc

from zhaoshang.core.values import (
    credit_code_is_valid,
    intensity,
    normalize_credit_code,
    to_wan,
    usd_to_wan_cny,
)


def valid_code(body17: str) -> str:
    """A credit code with its correct check character."""
    return body17 + uscc.calc_check_digit(body17)


# Bodies of 17 characters in the code's alphabet (no I, O, S, V or Z).
BODIES = ["91110108551385082", "91410100MA44BCDEF", "12100000400000624", "91440300708461136"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,234.5", Decimal("1234.50")),
        ("1，234.5", Decimal("1234.50")),
        ("  12000 ", Decimal("12000.00")),
        ("0.005", Decimal("0.01")),
        ("-3.2", Decimal("-3.20")),
        ("1e3", Decimal("1000.00")),
    ],
)
def test_to_wan_parses_typed_amounts_with_separators(text: str, expected: Decimal) -> None:
    value = to_wan(text)
    assert value == expected
    assert isinstance(value, Decimal)
    assert str(value) == str(expected)


def test_to_wan_keeps_spreadsheet_floats_exact() -> None:
    # A spreadsheet cell holding 0.1 + 0.2 must not become 0.30000000000000004 or 0.29.
    assert to_wan(0.1 + 0.2) == Decimal("0.30")
    assert to_wan(1234.565) == Decimal("1234.57")
    assert to_wan(50000.0) == Decimal("50000.00")
    assert to_wan(2.675) == Decimal("2.68")  # the binary float is 2.67499…, its shortest repr is 2.675


def test_to_wan_accepts_ints_and_decimals() -> None:
    assert to_wan(7) == Decimal("7.00")
    assert to_wan(Decimal("1.005")) == Decimal("1.01")


def test_to_wan_blank_is_none() -> None:
    assert to_wan(None) is None
    assert to_wan("") is None
    assert to_wan("   ") is None


@pytest.mark.parametrize(
    "bad", ["abc", "12万", "1.2.3", "--1", "NaN", "Infinity", "1e40", True, float("nan"), float("inf")]
)
def test_to_wan_rejects_what_is_not_an_amount(bad: object) -> None:
    with pytest.raises(ValueError, match="not a number"):
        to_wan(bad)


def test_usd_to_wan_cny_multiplies_by_the_rate() -> None:
    assert usd_to_wan_cny(Decimal("100"), Decimal("7.1234")) == Decimal("712.34")
    assert usd_to_wan_cny(Decimal("1"), Decimal("6.88885")) == Decimal("6.89")
    assert usd_to_wan_cny(None, Decimal("7")) is None
    assert usd_to_wan_cny(Decimal("100"), None) is None


def test_intensity_is_amount_per_mu() -> None:
    assert intensity(Decimal("30000"), Decimal("100")) == Decimal("300.00")
    assert intensity(Decimal("10000"), Decimal("3")) == Decimal("3333.33")


def test_intensity_without_land_is_none() -> None:
    assert intensity(Decimal("30000"), None) is None
    assert intensity(Decimal("30000"), Decimal("0")) is None
    assert intensity(None, Decimal("10")) is None


@pytest.mark.parametrize("body", BODIES)
def test_valid_credit_codes_pass(body: str) -> None:
    assert credit_code_is_valid(valid_code(body))


def test_known_credit_code_passes() -> None:
    assert credit_code_is_valid("91110108551385082Q")


def test_credit_code_is_normalised_before_checking() -> None:
    code = valid_code("91110108551385082")
    assert normalize_credit_code(" 9111 0108-5513 85082q ") == code
    assert credit_code_is_valid(code.lower())


@pytest.mark.parametrize("body", BODIES)
def test_a_changed_check_character_fails(body: str) -> None:
    code = valid_code(body)
    for wrong in "0123456789ABCDEFGHJKLMNPQRTUWXY":
        if wrong != code[-1]:
            assert not credit_code_is_valid(code[:-1] + wrong), wrong


def test_a_changed_body_character_fails() -> None:
    code = valid_code("91110108551385082")
    assert not credit_code_is_valid(code[:5] + ("1" if code[5] != "1" else "2") + code[6:])


@pytest.mark.parametrize(
    "code", ["", "9111010855138508", "91110108551385082QQ", "91110108551385082", "ABCDEFGH551385082Q"]
)
def test_wrong_length_or_format_fails(code: str) -> None:
    assert not credit_code_is_valid(code)


def test_the_one_credit_code_check_gives_python_stdnums_verdict_on_every_kind_of_code() -> None:
    """The check accepts a plain valid code at once and leaves everything else to stdnum; the
    two agree on valid codes, every one-character change of them, lower case, full width,
    separators and wrong lengths."""
    from stdnum.cn import uscc

    from zhaoshang.core.values import credit_code_problem, normalize_credit_code

    bodies = [f"9141{n:04d}MA{n * 7919 % 10**7:07d}"[:17] for n in range(0, 4000, 13)]
    codes = [b + uscc.calc_check_digit(b) for b in bodies]
    samples = list(codes)
    for code in codes[:40]:
        for pos in range(18):
            samples += [code[:pos] + ch + code[pos + 1 :] for ch in "0Y9IOZa中 "]
    samples += [c.lower() for c in codes[:20]] + [c[:17] for c in codes[:20]] + [c + "0" for c in codes[:20]]
    samples += ["９１４１０１００ＭＡ０００００３６０", "9141-0100-MA00003600", ""]
    for sample in samples:
        code = normalize_credit_code(sample)
        assert (credit_code_problem(code) is None) is uscc.is_valid(sample), sample
