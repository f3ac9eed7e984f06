import pytest

from ventas.phones import mask_phone, normalize_phone


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("+56 9 8765 4321", "+56987654321"),
        ("9 8765 4321", "+56987654321"),
        ("987654321", "+56987654321"),
        ("56987654321", "+56987654321"),
        ("+56 65 223 4567", "+56652234567"),  # Puerto Varas landline: a valid number, not a mobile
        ("+54 9 11 2345 6789", "+5491123456789"),  # Argentine mobile
        ("+34 612 345 678", "+34612345678"),  # Spanish mobile
    ],
)
def test_valid_numbers_become_e164(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "   ", "abc", "12", "1234", "+56 9 1234", "+5691234567890123"])
def test_garbage_and_incomplete_numbers_are_rejected(raw):
    assert normalize_phone(raw) is None


def test_masked_phone_keeps_only_prefix_and_last_two_digits():
    assert mask_phone("+56987654321") == "+56…21"
    assert "8765" not in mask_phone("+56987654321")
    assert mask_phone(None) == "-"


def test_answers_are_cached_in_a_bounded_dict_of_strings(monkeypatch):
    import gc

    from ventas import phones

    monkeypatch.setattr(phones._normalized, "answers", {})
    monkeypatch.setattr(phones._normalized, "size", 2)
    for raw in ("987654321", "abc", "+56 9 8765 4321", "987654321", "abc"):
        assert normalize_phone(raw) == (None if raw == "abc" else "+56987654321")
        assert len(phones._normalized.answers) <= 2
    assert not gc.is_tracked(phones._normalized.answers)
    assert normalize_phone("011 5491123456789", region="US") == "+5491123456789"  # another region: not cached
