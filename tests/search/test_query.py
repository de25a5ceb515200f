"""The query parser and the FTS5 text it renders."""

import pytest

from app.search.query import MAX_TERMS, AnyOf, Query, QueryError, Term, parse, to_fts5


def test_words_must_all_match() -> None:
    assert parse("red  car") == Query(required=(Term("red"), Term("car")))
    assert to_fts5(parse("red car")) == '("red" AND "car")'


def test_phrase_keeps_its_words_together() -> None:
    assert parse('"red  car" x') == Query(required=(Term("red car"), Term("x")))
    assert to_fts5(parse('"red car"')) == '("red car")'


def test_or_joins_neighbours_and_binds_tighter_than_and() -> None:
    assert parse("a OR b c") == Query(required=(AnyOf((Term("a"), Term("b"))), Term("c")))
    assert to_fts5(parse("a OR b OR c")) == '(("a" OR "b" OR "c"))'


def test_lowercase_or_and_explicit_and_are_words_and_spaces() -> None:
    assert parse("a or b") == Query(required=(Term("a"), Term("or"), Term("b")))
    assert parse("a AND b") == Query(required=(Term("a"), Term("b")))


def test_dangling_or_is_dropped() -> None:
    assert parse("OR a OR") == Query(required=(Term("a"),))
    assert parse("-a OR b") == Query(required=(Term("b"),), excluded=(Term("a"),))


def test_minus_excludes_a_word_or_a_phrase() -> None:
    query = parse('cat -dog -"big bird"')
    assert query == Query(required=(Term("cat"),), excluded=(Term("dog"), Term("big bird")))
    assert to_fts5(query) == '("cat") NOT "dog" NOT "big bird"'


def test_inner_hyphen_is_part_of_the_word() -> None:
    assert parse("e-mail") == Query(required=(Term("e-mail"),))


def test_star_makes_a_prefix() -> None:
    assert parse("phot* x**") == Query(required=(Term("phot", prefix=True), Term("x", prefix=True)))
    assert to_fts5(parse('phot* "new yo"*')) == '("phot" * AND "new yo" *)'


@pytest.mark.parametrize(
    "text",
    ["*", "-", "- -", '""', '"', "OR", "AND", "-a", '-"x y"', "()", "!!! ???", "\x00\x01", "   "],
)
def test_nothing_to_look_for_is_an_error(text: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse(text)
    assert caught.value.code == "empty_query"


def test_too_many_terms_is_an_error() -> None:
    with pytest.raises(QueryError) as caught:
        parse(" ".join(f"w{i}" for i in range(MAX_TERMS + 1)))
    assert caught.value.code == "query_too_complex"
    assert len(parse(" ".join(f"w{i}" for i in range(MAX_TERMS))).required) == MAX_TERMS


@pytest.mark.parametrize(
    ("text", "fts"),
    [
        ("NEAR(a b) col:x ^y", '("NEAR" AND "a" AND "b" AND "col:x" AND "^y")'),
        ('say "hi', '("say" AND "hi")'),
        ('a"b', '("a" AND "b")'),
        ("x\x00y", '("x" AND "y")'),
        ("café 東京", '("café" AND "東京")'),
        ("a* OR -b", '("a" *) NOT "b"'),
    ],
)
def test_operators_in_input_end_up_quoted(text: str, fts: str) -> None:
    assert to_fts5(parse(text)) == fts
