"""NHS number validation (modulus 11 check digit, NHS Data Dictionary)."""

from __future__ import annotations


def normalise_nhs_number(value: str) -> str:
    """Return the ten digits of ``value`` (spaces and hyphens allowed) or raise ValueError."""
    digits = value.replace(" ", "").replace("-", "")
    if len(digits) != 10 or not (digits.isascii() and digits.isdigit()):
        raise ValueError("an NHS number has exactly 10 digits (spaces allowed)")
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    if check == 10 or check != int(digits[9]):
        raise ValueError(f"{value!r} fails the NHS number modulus 11 check digit")
    return digits
