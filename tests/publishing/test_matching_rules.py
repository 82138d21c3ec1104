"""Naming rules: compilation, refusal with clear messages, and matching on plain data (no ftrack)."""

from __future__ import annotations

import pytest

from publishing.matching.forms import NamingRuleForm
from publishing.matching.plan import build_plan, texts_of
from publishing.matching.rules import DEFAULT_TEMPLATES, RuleInvalid, compile_rule, compile_rules
from publishing.models import NamingRule


@pytest.mark.parametrize(
    ("pattern", "is_regex", "message"),
    [
        ("{sequence}_{shott}", False, "Unknown token {shott}"),
        ("{task}_v{version}", False, "must contain {shot}"),
        ("{shot}_{shot}", False, "appears twice"),
        ("{shot}_{task", False, "brace is not closed"),
        ("", False, "cannot be empty"),
        ("(?P<shot>sh\\d+", True, "does not compile"),
        ("(?P<shot>sh\\d+)_(?P<dept>\\w+)", True, "Unknown group (?P<dept>"),
        ("sh\\d+", True, "must name a group (?P<shot>"),
    ],
)
def test_bad_rules_are_refused_with_a_clear_message(pattern, is_regex, message):
    with pytest.raises(RuleInvalid) as refused:
        compile_rule(pattern, is_regex=is_regex)
    assert message in str(refused.value)


@pytest.mark.django_db
def test_a_bad_rule_is_refused_at_save_by_its_form():
    rule = NamingRule(ftrack_project_id="p", project_name="demo")
    form = NamingRuleForm({"position": 1, "pattern": "{shot}_{dept}"}, instance=rule)
    assert not form.is_valid()
    assert "Unknown token {dept}" in form.errors["pattern"][0]
    assert not NamingRule.objects.exists()
    form = NamingRuleForm(
        {"position": 1, "pattern": "(?P<shot>sh\\d+)_(?P<task>\\w+)", "is_regex": "on"}, instance=rule
    )
    assert form.is_valid(), form.errors
    form.save()
    assert NamingRule.objects.get().is_regex


def test_templates_match_any_separator_and_case():
    rule = compile_rule("{sequence}_{shot}_{task}_v{version}")
    found = rule.regex.search("SQ010-SH040-anim-v12")
    assert found.groupdict() == {"sequence": "SQ010", "shot": "SH040", "task": "anim", "version": "12"}
    assert rule.regex.search("sq010_sh020_comp_v003").group("version") == "003"
    assert rule.regex.search("xsq010_sh020_comp_v003x") is None  # tokens start and end at a separator


def test_regex_escape_hatch_names_tokens():
    rule = compile_rule(r"(?P<shot>s\d{3})(?P<task>cmp)", is_regex=True)
    assert rule.regex.search("S020CMP").group("shot") == "S020"


def test_stems_lose_extension_and_frame_number_and_keep_the_folder():
    assert texts_of("sh030_plate.####.exr", "delivery/sh030/plate") == [
        "sh030_plate",
        "delivery/sh030/plate/sh030_plate",
    ]
    assert texts_of("sh030_plate.1001.exr", "") == ["sh030_plate"]
    assert texts_of("sq010_sh020_comp_v003.mov", "") == ["sq010_sh020_comp_v003"]


def _index():
    """demo-like project: sq010/sh010 (compositing, animation), sq010/sh020 (compositing),
    sq020/sh010 (compositing); sh010_comp already has v3 on sq010/sh010."""
    contexts = [
        ["q1", "sq010", "Sequence", "p"],
        ["q2", "sq020", "Sequence", "p"],
        ["s1", "sh010", "Shot", "q1"],
        ["s2", "sh020", "Shot", "q1"],
        ["s3", "sh010", "Shot", "q2"],
        ["t1", "compositing", "Task", "s1"],
        ["t2", "animation", "Task", "s1"],
        ["t3", "compositing", "Task", "s2"],
        ["t4", "compositing", "Task", "s3"],
    ]
    return {"contexts": contexts, "assets": [["s1", "sh010_comp", "Compositing", 3]], "truncated": False}


def _plan(*names, remembered="", folder=""):
    items = [{"name": n, "folder": folder} for n in names]
    return build_plan(_index(), "demo", items, compile_rules([]), remembered_task=remembered)


def test_plan_places_names_with_rule_reason_asset_and_next_version():
    (row,) = _plan("sq010_sh010_comp_v003.mov")
    assert row["status"] == "placed" and row["context_id"] == "t1"
    assert row["path"] == "demo / sq010 / sh010 / compositing"
    assert row["asset_name"] == "sh010_comp" and row["next_version"] == 4
    assert row["rule"] == {"position": 1, "pattern": DEFAULT_TEMPLATES[0]}
    assert row["reason"].startswith("rule 1: {sequence}_{shot}_{task}_v{version}")
    assert row["warnings"] == ["The name says v003 but ftrack will make v004."]


def test_plan_flags_ambiguity_and_never_guesses():
    shot_in_two_sequences, shot_with_two_tasks, nothing = _plan(
        "sh010_comp.mov", "sq010_sh010.mov", "readme.txt"
    )
    assert shot_in_two_sequences["status"] == "ambiguous" and shot_in_two_sequences["context_id"] is None
    assert {c["id"] for c in shot_in_two_sequences["candidates"]} == {"t1", "t4"}
    assert shot_with_two_tasks["status"] == "ambiguous"
    assert {c["name"] for c in shot_with_two_tasks["candidates"]} == {"compositing", "animation"}
    assert shot_with_two_tasks["suggested"] is None
    assert nothing["status"] == "unplaced" and nothing["candidates"] == []


def test_remembered_task_is_offered_first_but_still_asked():
    (row,) = _plan("sq010_sh010.mov", remembered="animation")
    assert row["status"] == "ambiguous"
    assert row["candidates"][0]["id"] == "t2" and row["suggested"] == "t2"


def test_folder_names_the_shot_and_task():
    (row,) = _plan("plate.1001.exr", folder="delivery/sq010/sh020/comp")
    assert row["status"] == "placed" and row["context_id"] == "t3"
    assert "folder" in row["reason"]


def test_two_items_on_the_same_asset_and_task_are_flagged():
    a, b, c = _plan("sq010_sh020_comp_v001.mov", "SQ010-SH020-comp-v002.mp4", "sq010_sh010_comp_v004.mov")
    assert a["duplicate_of"] == [1] and b["duplicate_of"] == [0]
    assert any("same task" in w for w in a["warnings"])
    assert "duplicate_of" not in c and c["warnings"] == []


def test_hostile_names_match_nothing_and_stay_quick():
    names = [
        'sh010" or name like "%',
        "sh010' or 1=1 --",
        "shot or task",
        "日本語_ショット_v001.mov",
        "x" * 2000,
    ]
    names.append("sh" + "_a" * 1000)
    rows = _plan(*names)
    assert [r["status"] for r in rows] == ["unplaced"] * len(names)
