"""NHS number validation: ten digits with a modulus 11 check digit."""

from __future__ import annotations

import pytest

from domain.nhs_number import normalise_nhs_number


def check_digit(first_nine: str) -> int:
    """Modulus 11 (NHS Data Dictionary): weights 10..2; 11 -> 0; 10 means no valid number."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    return 0 if check == 11 else check


def prefixes_with_check(wanted: int, count: int = 3) -> list[str]:
    found = []
    for n in range(100_000_000, 999_999_999, 7_919):
        if check_digit(str(n)) == wanted:
            found.append(str(n))
            if len(found) == count:
                break
    return found


def test_oracle_agrees_with_the_well_known_test_number() -> None:
    assert check_digit("943476591") == 9


VALID = ["9434765919", *(p + str(check_digit(p)) for p in prefixes_with_check(0) + prefixes_with_check(5))]


@pytest.mark.parametrize("number", VALID)
def test_valid_numbers_are_returned_as_ten_digits(number: str) -> None:
    assert len(number) == 10
    assert normalise_nhs_number(number) == number


@pytest.mark.parametrize("written", ["943 476 5919", " 943 476 5919 ", "943-476-5919", "9434 765 919"])
def test_spaces_and_hyphens_are_removed(written: str) -> None:
    assert normalise_nhs_number(written) == "9434765919"


@pytest.mark.parametrize("wrong", [d for d in "0123456789" if d != "9"])
def test_wrong_check_digit_is_refused(wrong: str) -> None:
    with pytest.raises(ValueError, match="modulus 11"):
        normalise_nhs_number("943476591" + wrong)


@pytest.mark.parametrize("prefix", prefixes_with_check(10))
def test_check_digit_ten_means_no_valid_number(prefix: str) -> None:
    # No final digit can make these nine digits valid.
    for last in "0123456789":
        with pytest.raises(ValueError, match="modulus 11"):
            normalise_nhs_number(prefix + last)


def test_prefixes_with_each_kind_of_check_digit_exist() -> None:
    # Guard against the parametrised lists above silently being empty.
    assert len(prefixes_with_check(0)) == 3
    assert len(prefixes_with_check(10)) == 3


@pytest.mark.parametrize(
    "bad",
    ["", "943476591", "94347659190", "94347659a9", "943476591O", "9434765919.", "+943476591"],
)
def test_wrong_length_or_non_digits_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="10 digits"):
        normalise_nhs_number(bad)


@pytest.mark.parametrize(
    "number",
    [
        "".join(chr(0x0660 + int(d)) for d in "9434765919"),  # Arabic-Indic digits
        "".join(chr(0xFF10 + int(d)) for d in "9434765919"),  # full-width digits
    ],
    ids=["arabic-indic", "full-width"],
)
def test_non_ascii_digits_are_refused(number: str) -> None:
    with pytest.raises(ValueError):
        normalise_nhs_number(number)
