"""Naming rules: ordered templates with tokens, or regular expressions with named groups.

A template such as ``{sequence}_{shot}_{task}_v{version}`` matches case-insensitively; each of
``_ - . space /`` in it stands for any one of them, so ``SQ010-SH040-anim-v12`` matches it too.
A regular expression (the escape hatch) names its parts with groups ``(?P<shot>…)``.
Every rule must name a ``{shot}``; unknown tokens or groups are refused with a clear message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TOKENS = ("sequence", "shot", "task", "asset", "version")
TOKEN_PATTERNS = {
    "sequence": r"[^\W_]+",
    "shot": r"[^\W_]+",
    "task": r"[^\W_]+",
    "asset": r"[^\W_]+(?:[_\-][^\W_]+)*?",
    "version": r"\d{1,9}",
}
SEPARATORS = "_-. /"
SEP_CLASS = r"[_\-. /]"
MAX_PATTERN = 500

# Placed the demo project's files with no configuration; tried in this order.
DEFAULT_TEMPLATES = (
    "{sequence}_{shot}_{task}_v{version}",
    "{shot}_{task}_v{version}",
    "{sequence}_{shot}_{task}",
    "{shot}_{task}",
    "{sequence}_{shot}",
    "{shot}",
)


class RuleInvalid(ValueError):
    """The rule cannot be used; the message says why, for the person who wrote it."""


@dataclass(frozen=True)
class Rule:
    position: int  # 1-based, as shown to people ("rule 2")
    pattern: str
    is_regex: bool
    regex: re.Pattern

    @property
    def label(self) -> str:
        return f"rule {self.position}: {self.pattern}"


def compile_rule(pattern: str, *, is_regex: bool = False, position: int = 1) -> Rule:
    """Compile one rule or raise ``RuleInvalid``."""
    pattern = str(pattern or "").strip()
    if not pattern:
        raise RuleInvalid("A rule cannot be empty.")
    if len(pattern) > MAX_PATTERN:
        raise RuleInvalid(f"A rule is at most {MAX_PATTERN} characters.")
    source = _regex_source(pattern) if is_regex else _template_source(pattern)
    try:
        # A lookahead at every token start: finditer tries each place in the text, not only the first.
        regex = re.compile(r"(?:^|(?<=[_\-. /]))(?=(?:" + source + r")(?=$|[_\-. /]))", re.IGNORECASE)
    except re.error as exc:
        raise RuleInvalid(f"This regular expression does not compile: {exc}.") from None
    return Rule(position=position, pattern=pattern, is_regex=is_regex, regex=regex)


def compile_rules(rows) -> list[Rule]:
    """``rows`` are (pattern, is_regex) pairs in order; empty means the defaults."""
    rows = list(rows) or [(t, False) for t in DEFAULT_TEMPLATES]
    return [compile_rule(p, is_regex=r, position=i) for i, (p, r) in enumerate(rows, start=1)]


def _template_source(template: str) -> str:
    parts: list[str] = []
    seen: set[str] = set()
    pos = 0
    for match in re.finditer(r"\{([^{}]*)\}", template):
        parts.append(_literal(template[pos : match.start()]))
        name = match.group(1).strip().lower()
        if name not in TOKENS:
            raise RuleInvalid(f"Unknown token {{{match.group(1)}}}; use {_token_list()}.")
        if name in seen:
            raise RuleInvalid(f"The token {{{name}}} appears twice.")
        seen.add(name)
        parts.append(f"(?P<{name}>{TOKEN_PATTERNS[name]})")
        pos = match.end()
    parts.append(_literal(template[pos:]))
    if any(c in "{}" for c in re.sub(r"\{[^{}]*\}", "", template)):
        raise RuleInvalid("A brace is not closed: write tokens as {shot}.")
    if "shot" not in seen:
        raise RuleInvalid("A rule must contain {shot}.")
    return "".join(parts)


def _literal(text: str) -> str:
    return "".join(SEP_CLASS if c in SEPARATORS else re.escape(c) for c in text)


def _regex_source(pattern: str) -> str:
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise RuleInvalid(f"This regular expression does not compile: {exc}.") from None
    unknown = sorted(set(compiled.groupindex) - set(TOKENS))
    if unknown:
        raise RuleInvalid(f"Unknown group (?P<{unknown[0]}>…); name groups {_token_list()}.")
    if "shot" not in compiled.groupindex:
        raise RuleInvalid("A regular expression must name a group (?P<shot>…).")
    return pattern


def _token_list() -> str:
    return " ".join("{" + t + "}" for t in TOKENS)
