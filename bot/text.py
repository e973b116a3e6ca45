"""Text helpers the readers share (pure)."""

from __future__ import annotations


def ascii_lower(text: str) -> str:
    """``text`` with its ASCII letters lowercased and every other character as it is.

    What the readers look for in lowercase is ASCII ("torch", "error:") or caseless ("段错误"), so
    this finds the same as ``str.lower``, keeps every offset (``str.lower`` may lengthen a text: "İ"
    becomes two characters) and costs a tenth on a text with Chinese in it: str.lower looks each
    character up in Unicode's tables, bytes.lower only changes A-Z, and UTF-8 writes every other
    character with bytes above 127.
    """
    if text.isascii():
        return text.lower()  # str's own ASCII path is as fast
    return text.encode("utf-8", "surrogatepass").lower().decode("utf-8", "surrogatepass")
