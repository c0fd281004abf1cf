"""Patterns for planted numbers, e-mail, web and street values, compiled once per value.

Ids (SSN, MRN, plan, account, licence, vehicle, device): the same characters with any
separators, a letter prefix optional. Phones and faxes: any separators, ``+1`` or ``1``, or the
7-digit local number alone (not the tail of another area code's number). E-mail, URL and IP:
any case and "[at]", "(at)", " at ", "[dot]", "[.]", " dot " obfuscation. ZIP and ZIP+4.
Street: house number and street name, suffix optional or spelled out.
"""

from __future__ import annotations

import re
from functools import lru_cache

_SEP = r"[\s\-./_:()]{0,3}"
_SUFFIXES = (
    r"st|street|ave|avenue|av|rd|road|dr|drive|ln|lane|blvd|boulevard|ct|court|pl|place|ter"
    r"|terrace|way|pkwy|parkway|hwy|highway|cir|circle"
)


@lru_cache(maxsize=8192)
def id_re(value: str) -> re.Pattern[str]:
    """Alphanumeric id with any separators; a leading letter prefix (MRN, ACCT) optional."""
    chars = re.sub(r"[^0-9A-Za-z]", "", value)
    m = re.match(r"([A-Za-z]+)(?=\d)", chars)
    prefix, core = (
        (m.group(1), chars[m.end() :]) if m and len(chars) - m.end() >= 6 else ("", chars)
    )
    body = _SEP.join(re.escape(c) for c in core)
    pre = rf"(?:{_SEP.join(re.escape(c) for c in prefix)}[\s#:\-.]*)?" if prefix else ""
    return re.compile(rf"(?<![0-9A-Za-z]){pre}{body}(?![0-9A-Za-z])", re.IGNORECASE)


@lru_cache(maxsize=8192)
def phone_re(value: str) -> re.Pattern[str]:
    digits = re.sub(r"\D", "", value)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    sep = r"[\s\-./()]{0,3}"
    full = sep.join(digits)
    alts = [rf"(?<!\d)(?:\+?\s*1{sep})?\(?{full}"]
    if len(digits) == 10:  # the local number alone, not the tail of another area code's
        local = r"[\s\-.]?".join(digits[3:6]) + r"[\s\-.]?" + r"[\s\-.]?".join(digits[6:])
        alts.append(rf"(?<!\d)(?<!\d[\s\-./)])(?<!\d[\s\-./)][\s\-./(]){local}")
    return re.compile(rf"(?:{'|'.join(alts)})(?!\d)(?![\-.]\d)")


_AT = r"\s*(?:@|\[\s*at\s*\]|\(\s*at\s*\)|\{\s*at\s*\}|<\s*at\s*>|\s+at\s+)\s*"
_DOT = r"\s*(?:\.|\[\s*(?:dot|\.)\s*\]|\(\s*(?:dot|\.)\s*\)|\{\s*dot\s*\}|\s+dot\s+)\s*"


def _dotted(part: str) -> str:
    return _DOT.join(re.escape(p) for p in part.split("."))


@lru_cache(maxsize=4096)
def email_re(value: str) -> re.Pattern[str]:
    local, _, domain = value.strip().partition("@")
    return re.compile(
        rf"(?<![\w.+\-]){_dotted(local)}{_AT}{_dotted(domain)}(?![\w\-])(?!\.\w)", re.IGNORECASE
    )


@lru_cache(maxsize=4096)
def url_re(value: str) -> re.Pattern[str]:
    core = re.sub(r"^(?:[a-z]+://)?(?:www\.)?", "", value.strip(), flags=re.IGNORECASE).rstrip("/")
    body = "/".join(_dotted(p) for p in core.split("/"))
    return re.compile(
        rf"(?<![\w.\-/])(?:[a-z]+://)?(?:www{_DOT})?{body}/?(?![\w\-])(?!/[\w\-])", re.IGNORECASE
    )


@lru_cache(maxsize=4096)
def ip_re(value: str) -> re.Pattern[str]:
    body = _DOT.join(re.escape(o) for o in value.strip().split("."))
    return re.compile(rf"(?<![\d.]){body}(?!\d)(?!\.\d)")


@lru_cache(maxsize=4096)
def zip_re(value: str) -> re.Pattern[str]:
    z = re.escape(re.sub(r"\D", "", value)[:5])
    return re.compile(rf"(?<!\d)(?<!\d[\-./]){z}(?:-\d{{4}})?(?!\d)(?![\-./]\d)")


@lru_cache(maxsize=4096)
def street_re(value: str) -> re.Pattern[str]:
    parts = value.split()
    num = re.escape(parts[0])
    words = parts[1:]
    if words and re.fullmatch(_SUFFIXES, words[-1].rstrip(".").casefold()):
        words = words[:-1]
    name = r"\s+".join(re.escape(w) for w in words) or r"\w+"
    return re.compile(
        rf"(?<![\w\-]){num},?\s+{name}(?:\s+(?:{_SUFFIXES})\b\.?)?(?![\w\-])", re.IGNORECASE
    )


STREET_AFTER = re.compile(rf"\s+(?:{_SUFFIXES})\.?(?![a-z])", re.IGNORECASE)
