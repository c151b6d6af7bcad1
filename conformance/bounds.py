"""What any output keeps of a string a target sent: cut to a size (its length noted) and made
writable as JSON, XML 1.0 and HTML. Used where such strings are first held (a check's violation)
and where they are written (the case records); imports nothing of ours."""

from __future__ import annotations

import re

# What one record keeps of what a target sent (a 10 MB ErrorMessage copied into every case that judged
# it took a run past 8 GB): a message, expected or actual value
TEXT_LIMIT = 2000  # characters
# what JSON written as UTF-8, XML 1.0 and HTML cannot carry: lone surrogates (json.loads makes them
# of "\ud800"), the C0 controls but tab and newlines, U+FFFE and U+FFFF
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_CUT_NOTE = re.compile(r"… \(cut at \d+ of \d+ characters\)$")


def bounded(text: str, limit: int = TEXT_LIMIT) -> str:
    """``text`` cut to ``limit`` characters (its length noted) and made writable anywhere: a character
    no output can carry is written as its escape (``\\ud800``), so no file of a run fails to write.
    A text already cut to ``limit`` stays as it is, so its note keeps the original length."""
    if len(text) > limit and not (_CUT_NOTE.search(text) and len(_CUT_NOTE.split(text)[0]) <= limit):
        text = f"{text[:limit]}… (cut at {limit} of {len(text)} characters)"
    return writable(text)


def writable(text: str) -> str:
    """``text`` with each character no output can carry written as its escape."""
    return _UNWRITABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
