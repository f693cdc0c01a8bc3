"""Data made inert for logs and Markdown, whatever it holds."""

from __future__ import annotations

import re

import pytest

from globusput.inert import log_lines, markdown_text, markdown_url, shown


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain name.txt", "plain name.txt"),
        ("a\n::error::x", "a\\n::error::x"),
        ("b\r\x1b[31m", "b\\r\\x1b[31m"),
        ("c ##[add-mask]x", "c ##\\[add-mask]x"),
        ("d\u202eevil", "d\\u202eevil"),
        ("e\u2028f", "e\\u2028f"),
        ("h\udcff.txt", "h\\xff.txt"),  # a name that is not UTF-8
        ("naïve ☃.txt", "naïve ☃.txt"),
    ],
)
def test_shown_escapes_what_could_act(text: str, expected: str) -> None:
    assert shown(text) == expected


def test_no_log_line_starts_a_workflow_command() -> None:
    lines = log_lines("first\n::error::x\n   ::warning::y\nlast")
    assert lines == ["first", "\\::error::x", "\\::warning::y", "last"]
    assert not any(line.lstrip().startswith("::") for line in lines)


def test_markdown_text_has_no_structure() -> None:
    cell = markdown_text("a|b`c`<img src=x>[l](u)*e*_f_\n# g")
    assert not re.search(r"(?<!\\)[|`<>\[\]()*_#]", cell)
    assert "\n" not in cell


def test_markdown_url_cannot_close_the_link() -> None:
    url = markdown_url("https://x/a)b|c d")
    assert ")" not in url and "|" not in url and " " not in url
