"""The user's search syntax, parsed into a small AST and rendered as FTS5 with every term quoted.

Syntax: words (all must match), "exact phrase", a OR b, -excluded, prefix*. `OR` binds the
terms on either side into one alternative; `AND` is accepted and means what a space means.
Anything else (parentheses, NEAR, column filters, ^) is plain text: user input never reaches
the FTS5 parser except inside a quoted string.
"""

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

MAX_TERMS = 32


class QueryError(ValueError):
    """The query cannot be searched; `code` is the problem code."""

    def __init__(self, detail: str, *, code: str) -> None:
        super().__init__(detail)
        self.code = code


@dataclass(frozen=True)
class Term:
    text: str  # one word, or the words of a phrase separated by single spaces
    prefix: bool = False


@dataclass(frozen=True)
class AnyOf:
    terms: tuple[Term, ...]


Clause = Term | AnyOf


@dataclass(frozen=True)
class Query:
    required: tuple[Clause, ...]
    excluded: tuple[Term, ...] = ()


@dataclass(frozen=True)
class _Token:
    term: Term | None  # None: the OR operator
    negated: bool = False


def _is_separator(char: str) -> bool:
    return char.isspace() or char in "()" or unicodedata.category(char)[0] in "CZ"


def _has_words(text: str) -> bool:
    """Whether the index tokenizer would find a token in it (letters or digits)."""
    return any(char.isalnum() for char in text)


def _normalise(text: str) -> str:
    return " ".join("".join(" " if _is_separator(c) else c for c in text).split())


def tokenize(text: str) -> Iterator[_Token]:
    i, n = 0, len(text)
    while i < n:
        if _is_separator(text[i]):
            i += 1
            continue
        negated = text[i] == "-"
        if negated:
            i += 1
            if i >= n or _is_separator(text[i]):
                continue  # a lone "-" excludes nothing
        if text[i] == '"':
            end = text.find('"', i + 1)
            end = n if end < 0 else end
            body, i = text[i + 1 : end], end + 1
            prefix = i < n and text[i] == "*"
            while i < n and text[i] == "*":
                i += 1
            yield _Token(Term(_normalise(body), prefix), negated)
            continue
        start = i
        while i < n and not _is_separator(text[i]) and text[i] != '"':
            i += 1
        word = text[start:i]
        if not negated and word == "OR":
            yield _Token(None)
        elif not negated and word == "AND":
            continue
        else:
            stripped = word.rstrip("*")
            yield _Token(Term(stripped, prefix=stripped != word), negated)


def parse(text: str) -> Query:
    """Raise QueryError when nothing searchable is left or the query is too large."""
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    joining = after_positive = False
    for token in tokenize(text):
        if token.term is None:
            joining = after_positive
            continue
        if not _has_words(token.term.text):
            continue
        if token.negated:
            excluded.append(token.term)
            joining = after_positive = False
            continue
        if joining:
            groups[-1].append(token.term)
        else:
            groups.append([token.term])
        joining, after_positive = False, True
    return _build(groups, excluded)


def _build(groups: list[list[Term]], excluded: list[Term]) -> Query:
    if not groups:
        raise QueryError("the query has no word to look for", code="empty_query")
    if sum(map(len, groups)) + len(excluded) > MAX_TERMS:
        raise QueryError(f"the query has more than {MAX_TERMS} terms", code="query_too_complex")
    required = tuple(group[0] if len(group) == 1 else AnyOf(tuple(group)) for group in groups)
    return Query(required=required, excluded=tuple(excluded))


def _quote(term: Term) -> str:
    quoted = '"' + term.text.replace('"', '""') + '"'
    return quoted + " *" if term.prefix else quoted


def _render_clause(clause: Clause) -> str:
    if isinstance(clause, Term):
        return _quote(clause)
    return "(" + " OR ".join(_quote(term) for term in clause.terms) + ")"


def to_fts5(query: Query) -> str:
    """FTS5 MATCH syntax; every term is a quoted string, so no input is read as an operator."""
    positive = "(" + " AND ".join(_render_clause(clause) for clause in query.required) + ")"
    return positive + "".join(f" NOT {_quote(term)}" for term in query.excluded)


# What the PostgreSQL index (migration scale01) cuts words at, as FTS5's unicode61 does.
_PG_SEPARATORS = re.compile(r"[\s!-/:-@\[-`{-~]+")


def _tsquery_term(term: Term) -> str:
    """One term as tsquery: a word, or the words of a phrase joined by <->; `:*` for a prefix."""
    words = [word for word in _PG_SEPARATORS.split(term.text) if word]
    lexemes = ["'" + word.replace("'", "''") + "'" for word in words] or ["''"]
    if term.prefix:
        lexemes[-1] += ":*"
    return lexemes[0] if len(lexemes) == 1 else "(" + " <-> ".join(lexemes) + ")"


def _tsquery_clause(clause: Clause) -> str:
    if isinstance(clause, Term):
        return _tsquery_term(clause)
    return "(" + " | ".join(_tsquery_term(term) for term in clause.terms) + ")"


def to_tsquery(query: Query) -> str:
    """PostgreSQL to_tsquery syntax; every word is a quoted lexeme (no input is an operator). The
    SQL side unaccents it, and the `simple` configuration lowercases it, as the index was."""
    positive = " & ".join(_tsquery_clause(clause) for clause in query.required)
    return positive + "".join(f" & !{_tsquery_term(term)}" for term in query.excluded)
