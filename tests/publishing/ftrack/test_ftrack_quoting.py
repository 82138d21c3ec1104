"""The one quoting rule for values put into ftrack queries (``publishing.ftrack.lookups.q``), tried
against the dev server's real query parser: hostile values match nothing and change no query."""

from __future__ import annotations

import pytest
from pipeline_support import admin_session

from publishing.ftrack.lookups import q, q_in

HOSTILE = [
    'sh010" or name like "%',
    'sh010\\" or name like \\"%',
    '") or (name like "%',
    "sh010' or '1'='1",
    'compositing" and id is not "',
    "ünïcødé_шот_ショット",
    "x" * 2000,
    "\\",
    '"',
]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_name_matches_nothing_and_breaks_no_query(ftrack_settings, ftrack_server, value):
    session = admin_session(ftrack_server)
    try:
        everything = len(session.query("select id from Shot").all())
        assert everything > 1  # the guard: there is something a broken query would leak
        found = session.query(f'select id from Shot where name is "{q(value)}"').all()
        assert found == []
        listed = session.query(f"select id from Shot where name in ({q_in([value, 'nope'])})").all()
        assert listed == []
    finally:
        session.close()


def test_an_ordinary_name_still_matches(ftrack_settings, ftrack_server):
    session = admin_session(ftrack_server)
    try:
        assert len(session.query(f'select id from Shot where name is "{q("sh010")}"').all()) >= 1
        assert (
            len(session.query(f"select id from Shot where name in ({q_in(['sh010', 'sh020'])})").all()) >= 2
        )
    finally:
        session.close()


def test_quoting_drops_only_what_could_end_the_literal():
    assert q('a"b\\c') == "abc"
    assert q("plate.%04d #1 (v2), it's") == "plate.%04d #1 (v2), it's"
    assert q_in(['a"', "b"]) == '"a","b"'
