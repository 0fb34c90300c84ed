"""gloss: the glossary as data (≥ 300 entries, overridable) and the English line it builds."""

from __future__ import annotations

import tomllib
from importlib import resources

import pytest

from cnca_watch.errors import ConfigError
from cnca_watch.fields import Fields, extract_fields
from cnca_watch.gloss import english_gloss, issuer_english, load_glossary, number_english


def _package_sections():
    return tomllib.loads(resources.files("cnca_watch").joinpath("glossary.toml").read_text("utf-8"))


def test_glossary_has_at_least_300_curated_entries_without_duplicates():
    sections = _package_sections()
    keys = [zh for entries in sections.values() for zh in entries]
    assert len(keys) >= 300
    assert len(keys) == len(set(keys))
    assert all(isinstance(en, str) and en.strip() for entries in sections.values() for en in entries.values())
    assert {"agencies", "schemes", "products", "documents", "doc_kinds"} <= set(sections)


def test_example_of_the_issue():
    title = "市场监管总局关于开展CCC认证便利化试点支持出口转内销产品的公告（征求意见稿）"
    fields = Fields(doc_type="call-for-comments", issuers=("市场监管总局",), comment_deadline="2026-10-17")
    assert english_gloss(title, fields, "2026-09-17") == (
        "SAMR · call for comments (until 2026-10-17) · CCC · facilitation pilot · export products sold domestically"
    )


def test_gloss_from_extracted_fields_with_number_and_dates():
    title = "国家认监委关于发布电动汽车供电设备强制性产品认证实施规则的公告（2024年第11号）"
    fields = extract_fields(title, "本公告自发布之日起施行。过渡期至2024年12月31日。", "2024-05-20")
    assert english_gloss(title, fields, "2024-05-20") == (
        "CNCA · rules · No. 11 of 2024 · in force 2024-05-20 (on publication) · transition until 2024-12-31"
        " · EV supply equipment · CCC · implementation rules"
    )


def test_longest_match_no_overlap():
    glossary = load_glossary()
    found = [en for _, en in glossary.find("电动自行车用锂离子蓄电池和锂离子电池")]
    assert found == ["e-bike lithium-ion batteries", "lithium-ion batteries"]


def test_doc_kind_words_are_not_repeated_as_terms():
    fields = Fields(doc_type="notice")
    assert english_gloss("关于开展检验检测机构能力验证的通知", fields) == "notice · inspection and testing bodies · proficiency testing"


def test_news_without_known_terms_is_empty_rather_than_guessed():
    assert english_gloss("春节期间值班安排", Fields()) == ""


def test_unknown_issuer_left_out_provincial_bureau_named():
    glossary = load_glossary()
    assert issuer_english("某某研究会", glossary) is None
    assert issuer_english("浙江省市场监管局", glossary) == "Zhejiang AMR"
    assert issuer_english("国家认监委", glossary) == "CNCA"


@pytest.mark.parametrize(
    ("number", "english"),
    [
        ("国家认监委2024年第11号公告", "No. 11 of 2024"),
        ("市场监管总局公告2020年第3号", "No. 3 of 2020"),
        ("国家市场监督管理总局令第61号", "Order No. 61"),
        ("国认监〔2019〕6号", "No. 国认监〔2019〕6号"),
    ],
)
def test_number_english(number, english):
    assert number_english(number) == english


def test_traditional_title_finds_terms():
    assert [en for _, en in load_glossary().find("強制性產品認證目錄")] == ["CCC catalogue"]


def test_latin_term_needs_word_edges():
    glossary = load_glossary()
    assert [en for _, en in glossary.find("CCC认证")] == ["CCC"]
    assert glossary.find("ACCCD") == []


def test_override_adds_changes_and_drops():
    glossary = load_glossary({"澜湄合作": "Lancang-Mekong cooperation", "试点": "trial", "便利化试点": ""})
    assert glossary.english("澜湄合作") == "Lancang-Mekong cooperation"
    assert [en for _, en in glossary.find("便利化试点")] == ["facilitation", "trial"]
    assert glossary.english("便利化试点") is None
    assert len(load_glossary()) == len(glossary)  # one added, one dropped


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["试点"], "glossary: expected a table"),
        ({"试点": 3}, 'glossary."试点": expected an English string'),
        ({" ": "x"}, "glossary: terms must be non-empty strings"),
    ],
)
def test_bad_override_is_one_clear_line(overrides, message):
    with pytest.raises(ConfigError) as caught:
        load_glossary(overrides)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_glossary_ships_as_package_data():
    import pathlib

    pyproject = tomllib.loads((pathlib.Path(__file__).parents[1] / "pyproject.toml").read_text("utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["cnca_watch"]
    assert "*.toml" in patterns


def test_own_term_wins_inside_a_longer_built_in_term():
    # the package knows 便利化试点 as one term; the user's 试点 must still be shown for it
    builtin = load_glossary()
    assert [en for _, en in builtin.find("CCC认证便利化试点")] == ["CCC", builtin.english("便利化试点")]
    glossary = load_glossary({"试点": "trial"})
    found = [en for _, en in glossary.find("CCC认证便利化试点")]
    assert found == ["CCC", builtin.english("便利化"), "trial"]
    assert builtin.english("便利化试点") not in found


def test_own_term_wins_on_the_same_span_and_keeps_title_order():
    glossary = load_glossary({"强制性产品认证": "compulsory certification (own)", "澜湄合作": "LMC"})
    found = [en for _, en in glossary.find("澜湄合作强制性产品认证目录调整")]
    assert found[0] == "LMC"
    assert found[1] == "compulsory certification (own)"
    assert load_glossary().english("强制性产品认证目录") not in found


def test_own_term_shows_in_the_gloss_line():
    title = "市场监管总局关于开展CCC认证便利化试点支持出口转内销产品的公告（征求意见稿）"
    fields = Fields(doc_type="call-for-comments", issuers=("市场监管总局",), comment_deadline="2026-10-17")
    line = english_gloss(title, fields, glossary=load_glossary({"试点": "trial"}))
    assert line.startswith("SAMR · call for comments (until 2026-10-17) · CCC · ")
    assert "trial" in line.split(" · ")
    assert "facilitation pilot" not in line
