"""Turn the bytes of an answer into text without garbling Chinese.

Order of evidence: a byte-order mark, the charset in the Content-Type header, a
``<meta charset>`` / ``<meta http-equiv="Content-Type">`` (or XML declaration)
in the first few KB, then detection, then UTF-8 with replacement characters.

Chinese government pages routinely declare ``gb2312`` while using characters
only GBK has (镕, 喆, 堃 ... in names), so every GB-family label is decoded as
GB18030, the superset of both.  A declared codec that mangles the body (many
replacement characters) is treated as a lie and the next source of evidence
is tried.
"""

from __future__ import annotations

import codecs
import re


__all__ = ["decode_body", "normalize_codec", "charset_from_content_type", "charset_from_markup"]

META_SNIFF_BYTES = 4096
# Detection samples the body itself; a cap keeps a 10 MB page from costing seconds.
DETECT_SAMPLE_BYTES = 256 * 1024

# Labels that all mean "some subset of GB18030".
_GB_FAMILY = {
    "gb2312",
    "gb_2312",
    "gb_2312-80",
    "gb2312-80",
    "gb2312-1980",
    "csgb2312",
    "euc-cn",
    "euccn",
    "x-euc-cn",
    "gbk",
    "x-gbk",
    "cp936",
    "ms936",
    "windows-936",
    "chinese",
    "iso-ir-58",
    "csiso58gb231280",
    "gb18030",
    "gb-18030",
}
# Servers (old Apache defaults) label Chinese pages with these; a browser would
# trust them, a monitor that must not garble Chinese looks further when the
# body clearly is not Latin text.
_SINGLE_BYTE_DEFAULTS = {"latin_1", "iso8859-1", "cp1252", "ascii"}

_CHARSET_PARAM = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.IGNORECASE)
_META_CHARSET = re.compile(
    rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.IGNORECASE
)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9_.:\-]+)""", re.IGNORECASE)

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def normalize_codec(label: str | None) -> str | None:
    """Python's canonical name for a charset label, GB family mapped to gb18030.

    None for an empty or unknown label.
    """
    if not label:
        return None
    cleaned = label.strip().strip("\"'").lower()
    if cleaned in _GB_FAMILY or cleaned.replace("_", "-") in _GB_FAMILY:
        return "gb18030"
    try:
        name = codecs.lookup(cleaned).name
    except LookupError:
        return None
    if name in {"gbk", "gb2312"}:
        return "gb18030"
    return name


def charset_from_content_type(content_type: str | None) -> str | None:
    """The raw charset label in a Content-Type header value, if any."""
    if not content_type:
        return None
    match = _CHARSET_PARAM.search(content_type)
    return match.group(1) if match else None


def charset_from_markup(content: bytes) -> str | None:
    """The raw charset label a page declares about itself in its first few KB."""
    head = content[:META_SNIFF_BYTES]
    match = _XML_ENCODING.search(head) or _META_CHARSET.search(head)
    if not match:
        return None
    return match.group(1).decode("ascii", "replace")


def decode_body(content: bytes, content_type: str | None) -> tuple[str, str]:
    """Decode an answer body; returns ``(text, codec)``.  Never raises."""
    try:
        return _decode(content, content_type)
    except Exception:  # noqa: BLE001 - decoding must never end a run
        return content.decode("utf-8", "replace"), "utf-8"


def _decode(content: bytes, content_type: str | None) -> tuple[str, str]:
    if not content:
        return "", normalize_codec(charset_from_content_type(content_type)) or "utf-8"

    for bom, bom_codec in _BOMS:
        if content.startswith(bom):
            return content.decode(bom_codec, "replace"), bom_codec

    # The best rejected attempt, used only if nothing later does better.
    fallback: tuple[str, str, int] | None = None

    for label in (charset_from_content_type(content_type), charset_from_markup(content)):
        codec = normalize_codec(label)
        if codec is None:
            continue
        text = content.decode(codec, "replace")
        bad = text.count("\ufffd")
        if not _too_many_replacements(bad, len(text)) and not _latin_label_on_non_latin_body(
            codec, content
        ):
            return text, codec
        if fallback is None or bad < fallback[2]:
            fallback = (text, codec, bad)

    detected = _detect(content)
    if detected is not None:
        text = content.decode(detected, "replace")
        bad = text.count("\ufffd")
        if fallback is None or bad <= fallback[2]:
            return text, detected
    if fallback is not None:
        return fallback[0], fallback[1]
    return content.decode("utf-8", "replace"), "utf-8"


def _too_many_replacements(bad: int, length: int) -> bool:
    # A stray broken byte (a body cut mid-character) is tolerated; a wrong codec
    # produces replacement characters all over the page.
    return bad > max(3, length // 1000)


def _latin_label_on_non_latin_body(codec: str, content: bytes) -> bool:
    if codec not in _SINGLE_BYTE_DEFAULTS:
        return False
    if codec == "ascii":
        return False  # high bytes already show up as replacement characters
    if content.isascii():
        return False
    # UTF-8 or GB18030 bytes decode "fine" as Latin-1 but are mojibake.
    return _decodes_strictly(content, "utf-8") or _looks_chinese_gb(content)


def _decodes_strictly(content: bytes, codec: str) -> bool:
    try:
        content.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _looks_chinese_gb(content: bytes) -> bool:
    """True when the body is valid GB18030 whose non-ASCII text is mostly Han."""
    sample = _trim_partial_tail(content[:DETECT_SAMPLE_BYTES])
    try:
        text = sample.decode("gb18030")
    except UnicodeDecodeError:
        return False
    non_ascii = [ch for ch in text if ord(ch) >= 0x80]
    if not non_ascii:
        return False
    han = sum(1 for ch in non_ascii if _is_chinese_text_char(ch))
    return han >= 0.8 * len(non_ascii)


def _is_chinese_text_char(ch: str) -> bool:
    cp = ord(ch)
    return (
        0x4E00 <= cp <= 0x9FFF  # CJK unified ideographs
        or 0x3400 <= cp <= 0x4DBF  # extension A
        or 0x3000 <= cp <= 0x303F  # CJK punctuation 、。《》「」
        or 0xFF00 <= cp <= 0xFFEF  # full-width forms ，：（）
        or 0x2010 <= cp <= 0x206F  # general punctuation “” — …
        or cp in (0x00B7, 0x00D7)  # · ×
    )


def _trim_partial_tail(sample: bytes) -> bytes:
    # A sample cut inside a multi-byte character must not fail strict decoding.
    for cut in range(0, 4):
        candidate = sample[: len(sample) - cut] if cut else sample
        try:
            candidate.decode("gb18030")
        except UnicodeDecodeError:
            continue
        return candidate
    return sample


def _detect(content: bytes) -> str | None:
    sample = content[:DETECT_SAMPLE_BYTES]
    if _decodes_strictly(_trim_utf8_tail(sample), "utf-8"):
        return "utf-8"
    if _looks_chinese_gb(content):
        # charset-normalizer often calls short GB text cp949 or utf-16; for
        # Chinese government pages GB18030 is by far the likelier answer.
        return "gb18030"
    import charset_normalizer  # only pages that declare no usable charset need it

    matches = charset_normalizer.from_bytes(sample)
    best = matches.best()
    if best is None:
        return None
    for match in matches:
        if normalize_codec(match.encoding) == "gb18030" and match.chaos <= best.chaos + 0.1:
            return "gb18030"
    return normalize_codec(best.encoding)


def _trim_utf8_tail(sample: bytes) -> bytes:
    # Drop an incomplete UTF-8 sequence at the end of a sample (at most 3 bytes).
    end = len(sample)
    for back in range(1, min(4, end) + 1):
        byte = sample[end - back]
        if byte < 0x80:
            return sample
        if byte >= 0xC0:  # lead byte: is its sequence complete?
            need = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return sample if back >= need else sample[: end - back]
    return sample
