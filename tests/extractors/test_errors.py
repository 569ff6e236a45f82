"""ExtractError: one human line, structured fields, survives pickling (Prefect, subprocesses)."""
from __future__ import annotations

import pickle

import pytest

from flows.extractors.errors import ExtractError


@pytest.mark.parametrize(
    "kwargs, text",
    [
        ({"row": 12, "column": "value"}, "row 12, column 'value': 'abc' is not a number"),
        ({}, "'abc' is not a number"),
        ({"page": 2}, "page 2: 'abc' is not a number"),
        ({"page": 3, "row": 1, "column": "date"}, "page 3, row 1, column 'date': 'abc' is not a number"),
    ],
)
def test_message_is_one_line(kwargs, text):
    error = ExtractError("'abc' is not a number", **kwargs)
    assert str(error) == text
    assert error.reason == "'abc' is not a number"


def test_fields_default_to_none_and_newlines_are_flattened():
    error = ExtractError("bad\n  thing\r\nhere")
    assert (error.row, error.column, error.page) == (None, None, None)
    assert str(error) == "bad thing here"
    assert isinstance(error, ValueError)


def test_pickle_round_trip_keeps_the_fields():
    error = pickle.loads(pickle.dumps(ExtractError("missing key", page=2, row=5, column="date")))
    assert (error.page, error.row, error.column, error.reason) == (2, 5, "date", "missing key")
    assert str(error) == "page 2, row 5, column 'date': missing key"
