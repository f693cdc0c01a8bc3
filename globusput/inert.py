"""Text from the workspace or a server, made inert wherever globusput writes it.

File names and server messages are attacker-controlled in CI (builds run pull requests' code),
and the runner obeys what the log says: GitHub takes a line starting with ``::name::`` (after
leading blanks) or holding ``##[`` as a workflow command, GitLab reads section markers after an
ANSI escape, and a newline in a file name is all it takes to start such a line. So log text shows
control characters as escapes, and the job summary shows data as plain text, not Markdown.
"""

from __future__ import annotations

import re

#: Characters shown as escapes: C0/C1 controls, DEL, line and paragraph separators, and the
#: bidirectional overrides that make text read differently than it is.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")
#: GitHub's legacy command syntax is recognised anywhere in a line.
_LEGACY_COMMAND = "##["
#: What makes Markdown (GFM) structure inside a table cell: emphasis, code, links and
#: autolinks (``:``, ``@``, ``www.``), HTML and entities, strikethrough, the cell separator.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~&:@$^=\"'])")
_WWW = re.compile(r"(www)\.", re.IGNORECASE)


def shown(text: str) -> str:
    """One line of text as it may be logged: controls escaped, commands broken."""
    text = _UNSAFE.sub(_escape, text)
    text = text.replace(_LEGACY_COMMAND, "##\\[")
    # names that are not UTF-8 arrive as lone surrogates (surrogateescape): show their bytes
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def log_lines(text: str) -> list[str]:
    """Lines for the log: each inert, and none starting a workflow command."""
    lines = []
    for line in text.split("\n"):
        line = shown(line)
        if line.lstrip().startswith("::"):
            line = "\\" + line.lstrip()
        lines.append(line)
    return lines


def markdown_text(text: str) -> str:
    """Data in a Markdown table cell: plain text, whatever it holds (no links, HTML, code,
    emphasis, cell breaks or line breaks)."""
    return _WWW.sub(r"\1\\.", _MARKDOWN_SPECIAL.sub(r"\\\1", shown(text)))


def markdown_url(url: str) -> str:
    """A link target that cannot close the link or the cell early."""
    unsafe = "()<>|[] \"'`\\"
    return "".join(f"%{ord(c):02X}" if c in unsafe else c for c in shown(url))


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    if char in named:
        return named[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
