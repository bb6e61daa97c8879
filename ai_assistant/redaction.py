"""PII redaction before text leaves for an external provider, and restoration after.

Emails, phone numbers, policy and case numbers and the names of the customer in context are
replaced by placeholders (<EMAIL_1>, <PHONE_1>, <POLICY_1>, <CASE_1>, <NAME_1>); the
provider's answer gets the real values back. The same value always gets the same
placeholder within one request, so the model can still refer to it consistently.
"""

import re
from dataclasses import dataclass, field

_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# Case and policy numbers as the product writes them (REN-2024-000123, POL-000123,
# HLT/2024/1234, ...): letters, a separator, then digits.
_CASE_RE = re.compile(r"\b(?:REN|CASE)[-/][A-Z0-9-/]*\d[A-Z0-9-/]*\b", re.IGNORECASE)
_POLICY_RE = re.compile(r"\b[A-Z]{2,5}[-/](?:[A-Z0-9]+[-/])*\d{3,}\b")
# +91 98765 43210, (555) 123-4567, +1-555-0100, 9876543210: digits with separators; see
# _is_phone for what is left out (dates, amounts, short numbers).
_PHONE_RE = re.compile(r"(?<![\w<])\+?\(?\d[\d\s()-]{6,}\d(?![\w>])")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _is_phone(candidate: str) -> bool:
    digits = sum(ch.isdigit() for ch in candidate)
    return digits >= 8 and not _DATE_RE.match(candidate.strip())


@dataclass
class Redactor:
    """One request's placeholder table."""

    names: list[str] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)  # placeholder -> original
    _by_value: dict[tuple[str, str], str] = field(default_factory=dict)
    _counts: dict[str, int] = field(default_factory=dict)

    def _placeholder(self, kind: str, value: str) -> str:
        key = (kind, value.lower())
        if key not in self._by_value:
            self._counts[kind] = self._counts.get(kind, 0) + 1
            placeholder = f"<{kind}_{self._counts[kind]}>"
            self._by_value[key] = placeholder
            self.values[placeholder] = value
        return self._by_value[key]

    def redact(self, text: str) -> str:
        text = _EMAIL_RE.sub(lambda m: self._placeholder("EMAIL", m.group(0)), text)
        text = _CASE_RE.sub(lambda m: self._placeholder("CASE", m.group(0)), text)
        text = _POLICY_RE.sub(lambda m: self._placeholder("POLICY", m.group(0)), text)
        text = _PHONE_RE.sub(
            lambda m: (
                self._placeholder("PHONE", m.group(0)) if _is_phone(m.group(0)) else m.group(0)
            ),
            text,
        )
        # Longest names first so "Priya Sharma" wins over "Priya".
        for name in sorted({n for n in self.names if n and len(n) > 1}, key=len, reverse=True):
            pattern = re.compile(rf"\b{re.escape(name)}\b", re.IGNORECASE)
            text = (
                pattern.sub(self._placeholder("NAME", name), text) if pattern.search(text) else text
            )
        return text

    def restore(self, text: str) -> str:
        for placeholder, value in sorted(self.values.items(), key=lambda kv: -len(kv[0])):
            text = text.replace(placeholder, value)
        return text

    def redact_messages(self, messages: list[dict[str, str]]) -> list[dict[str, str]]:
        return [{**m, "content": self.redact(m["content"])} for m in messages]
