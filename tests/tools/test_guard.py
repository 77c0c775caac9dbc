"""The output guard's pieces: compaction, projection, cuts and sizes."""

from __future__ import annotations

from airbyte_embedded_tools.tools.guard import (
    compact,
    cut_text,
    dumps,
    fit_lines,
    human_size,
    project,
)

INVOICE = {
    "id": "in_1",
    "customer": "cus_1",
    "due_date": None,
    "metadata": {},
    "discounts": [],
    "description": "",
    "lines": {
        "object": "list",
        "data": [{"id": "il_1", "amount": 5, "tax": None}, {"id": "il_2", "amount": 7}],
    },
    "nested": {"only_null": None},
}


def test_compact_drops_nulls_and_empty_collections_but_keeps_keys_and_empty_strings() -> None:
    assert compact(INVOICE) == {
        "id": "in_1",
        "customer": "cus_1",
        "description": "",
        "lines": {
            "object": "list",
            "data": [{"id": "il_1", "amount": 5}, {"id": "il_2", "amount": 7}],
        },
    }


def test_compact_keeps_list_positions() -> None:
    assert compact([{"a": None}, 1, None]) == [{}, 1, None]


def test_project_keeps_id_and_named_fields() -> None:
    assert project(INVOICE, ["customer"]) == {"id": "in_1", "customer": "cus_1"}


def test_project_dotted_paths_go_through_lists() -> None:
    assert project(INVOICE, ["lines.data.amount"]) == {
        "id": "in_1",
        "lines": {"data": [{"amount": 5}, {"amount": 7}]},
    }


def test_project_whole_field_wins_over_a_path_inside_it() -> None:
    for fields in (["lines", "lines.data.amount"], ["lines.data.amount", "lines"]):
        assert project(INVOICE, fields)["lines"] == INVOICE["lines"]


def test_project_applies_to_each_record_and_ignores_missing_fields() -> None:
    records = [{"id": "a", "x": 1, "y": 2}, {"id": "b", "y": 3}]
    assert project(records, ["x", "nope.deeper"]) == [{"id": "a", "x": 1}, {"id": "b"}]
    assert project(records, []) is records


def test_dumps_is_compact_and_unicode() -> None:
    assert dumps({"a": [1, 2], "b": "é"}) == '{"a":[1,2],"b":"é"}'
    assert dumps({"a": 1}, indent=1) == '{\n "a": 1\n}'


def test_fit_lines_counts_newlines() -> None:
    assert fit_lines(["aaaa", "bbbb", "cccc"], 10) == 2
    assert fit_lines(["aaaa"], 4) == 0
    assert fit_lines([], 4) == 0


def test_cut_text_cuts_at_a_line_break_or_hard() -> None:
    assert cut_text("ab\ncd\nef", 7) == "ab\ncd\n"
    assert cut_text("abcdef", 3) == "abc"
    assert cut_text("short", 10) == "short"


def test_human_size() -> None:
    assert [human_size(n) for n in (None, 0, 1023, 1536, 64 * 1024**2, 3 * 1024**4)] == [
        "?",
        "0 B",
        "1023 B",
        "1.5 KiB",
        "64.0 MiB",
        "3.0 TiB",
    ]
