import pytest

from crm.validators import MAX_ID, as_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("42", 42),
        (" 7 ", 7),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),  # past the key column
        ("9" * 30, None),
        ("0", None),
        ("-3", None),
        ("²", None),  # a digit to isdigit(), no number to int()
        ("4.0", None),
        ("", None),
        ("=1+1", None),
    ],
)
def test_as_id_takes_only_what_a_key_column_holds(text, expected):
    assert as_id(text) == expected
