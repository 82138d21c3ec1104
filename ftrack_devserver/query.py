"""Parser for the ftrack query language (FTRACK-PROTOCOL §3.1) into a small AST.

    select <path>[, ...] from <Type> [where <expr>] [order by <path> [ascending|descending], ...]
    [offset N] [limit N]

Conditions are tuples: ("and", a, b), ("or", a, b), ("not", a), ("true",),
("cmp", path, op, value), ("has", path, expr), ("any", path, expr). Paths are tuples of names.
Syntax errors name the character offset where parsing stopped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import QuerySyntaxError

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<op>!=|>=|<=|=|>|<)
      | (?P<punct>[(),])
      | (?P<word>[^\s(),=!<>"']+)
    )""",
    re.VERBOSE,
)
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")

OPERATORS = {
    "is": "eq",
    "=": "eq",
    "is_not": "ne",
    "!=": "ne",
    ">": "gt",
    "after": "gt",
    "greater_than": "gt",
    "<": "lt",
    "before": "lt",
    "less_than": "lt",
    ">=": "ge",
    "<=": "le",
    "in": "in",
    "not_in": "not_in",
    "like": "like",
    "not_like": "not_like",
}
_CLAUSE_WORDS = {"order", "offset", "limit"}


@dataclass
class Query:
    entity_type: str
    projections: list[tuple[str, ...]] = field(default_factory=list)
    where: tuple = ("true",)
    order_by: list[tuple[tuple[str, ...], bool]] = field(default_factory=list)  # (path, descending)
    offset: int = 0
    limit: int | None = None


@dataclass
class _Tok:
    kind: str
    text: str
    pos: int


def _tokenize(text: str) -> list[_Tok]:
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise QuerySyntaxError(f"Query syntax error at character {pos}: unexpected '{text[pos]}'.")
        kind = m.lastgroup
        start = m.start(kind)
        tokens.append(_Tok(kind, m.group(kind), start))
        pos = m.end()
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0

    # -- token helpers ---------------------------------------------------------------------------
    def peek(self, offset: int = 0) -> _Tok | None:
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else None

    def is_word(self, *words: str, offset: int = 0) -> bool:
        tok = self.peek(offset)
        return tok is not None and tok.kind == "word" and tok.text.lower() in words

    def fail(self, expected: str):
        tok = self.peek()
        if tok is None:
            raise QuerySyntaxError(
                f"Query syntax error at end of query (character {len(self.text)}): expected {expected}."
            )
        raise QuerySyntaxError(
            f"Query syntax error at character {tok.pos} near '{tok.text}': expected {expected}."
        )

    def take(self, kind: str, text: str | None = None, expected: str = "") -> _Tok:
        tok = self.peek()
        if tok is None or tok.kind != kind or (text is not None and tok.text.lower() != text):
            self.fail(expected or repr(text or kind))
        self.i += 1
        return tok

    def path(self) -> tuple[str, ...]:
        tok = self.take("word", expected="an attribute name")
        parts = tuple(tok.text.split("."))
        if not all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", p) for p in parts):
            raise QuerySyntaxError(
                f"Query syntax error at character {tok.pos}: invalid attribute '{tok.text}'."
            )
        return parts

    # -- grammar ---------------------------------------------------------------------------------
    def query(self) -> Query:
        projections = []
        if self.is_word("select"):
            self.i += 1
            projections.append(self.path())
            while self.peek() is not None and self.peek().text == ",":
                self.i += 1
                projections.append(self.path())
            self.take("word", "from", expected="'from'")
        type_tok = self.take("word", expected="an entity type")
        q = Query(entity_type=type_tok.text, projections=projections)
        if self.is_word("where"):
            self.i += 1
            q.where = self.expr()
        if self.is_word("order"):
            self.i += 1
            self.take("word", "by", expected="'by'")
            while True:
                path = self.path()
                descending = False
                if self.is_word("ascending", "asc"):
                    self.i += 1
                elif self.is_word("descending", "desc"):
                    self.i += 1
                    descending = True
                q.order_by.append((path, descending))
                if self.peek() is not None and self.peek().text == ",":
                    self.i += 1
                    continue
                break
        # The client strips and re-appends offset/limit, so they may come in either order.
        while self.is_word("offset", "limit"):
            word = self.take("word").text.lower()
            tok = self.take("word", expected="a number")
            if not tok.text.isdigit():
                raise QuerySyntaxError(
                    f"Query syntax error at character {tok.pos}: {word} needs a whole number."
                )
            if word == "offset":
                q.offset = int(tok.text)
            else:
                q.limit = int(tok.text)
        if self.peek() is not None:
            self.fail("end of query")
        return q

    def expr(self):
        left = self.and_expr()
        while self.is_word("or"):
            self.i += 1
            left = ("or", left, self.and_expr())
        return left

    def and_expr(self):
        left = self.not_expr()
        while self.is_word("and"):
            self.i += 1
            left = ("and", left, self.not_expr())
        return left

    def not_expr(self):
        if self.is_word("not"):
            self.i += 1
            return ("not", self.not_expr())
        return self.primary()

    def primary(self):
        tok = self.peek()
        if tok is not None and tok.text == "(":
            self.i += 1
            inner = self.expr()
            self.take("punct", ")", expected="')'")
            return inner
        return self.condition()

    def condition(self):
        path = self.path()
        tok = self.peek()
        if tok is None:
            self.fail("an operator")
        word = tok.text.lower()
        if tok.kind == "word" and word in ("has", "any"):
            self.i += 1
            self.take("punct", "(", expected="'('")
            if self.peek() is not None and self.peek().text == ")":
                inner = ("true",)
            else:
                inner = self.expr()
            self.take("punct", ")", expected="')'")
            return (word, path, inner)
        if tok.kind == "word" and word == "not" and self.is_word("in", "like", offset=1):
            self.i += 2
            op = "not_" + self.tokens[self.i - 1].text.lower()
        elif (tok.kind == "op" or tok.kind == "word") and word in OPERATORS:
            self.i += 1
            op = OPERATORS[word]
        else:
            self.fail("an operator such as is, in, like, has or any")
        if op in ("in", "not_in"):
            return ("cmp", path, op, self.value_list())
        return ("cmp", path, op, self.value())

    def value_list(self) -> list:
        self.take("punct", "(", expected="'(' starting a list")
        values = []
        if self.peek() is not None and self.peek().text == ")":
            self.i += 1
            return values
        while True:
            values.append(self.value())
            tok = self.take("punct", expected="',' or ')'")
            if tok.text == ")":
                return values
            if tok.text != ",":
                self.fail("',' or ')'")

    def value(self):
        tok = self.peek()
        if tok is None or tok.kind not in ("string", "word"):
            self.fail("a value")
        self.i += 1
        if tok.kind == "string":
            return _unquote(tok.text)
        text = tok.text
        if text in ("None", "null", "NULL"):
            return None
        if text.lower() in ("true", "false"):
            return text.lower() == "true"
        if _NUMBER.match(text):
            return float(text) if "." in text else int(text)
        return text  # bareword, e.g. an unquoted uuid or username


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


def parse(expression: str) -> Query:
    if not isinstance(expression, str) or not expression.strip():
        raise QuerySyntaxError("Query syntax error: the expression is empty.")
    return _Parser(expression).query()
