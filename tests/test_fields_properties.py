"""Property tests: extraction never raises, is deterministic, and what it returns is
well-formed (valid ISO dates, a known doc type, no empty items)."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnca_watch.fields import DOC_TYPES, FIELD_NAMES, Fields, diff_fields, extract_fields

PROPERTY_SETTINGS = settings(max_examples=200, deadline=2000, suppress_health_check=[HealthCheck.too_slow])

# Pieces that drive the patterns, so that random texts reach the interesting branches.
_PIECES = [
    "自", "起施行", "起", "实施", "正式", "发布之日起", "过渡期至", "过渡期为", "个月", "不得出厂", "，", "。",
    "意见反馈截止日期为", "请于", "前将意见反馈", "至", "年", "月", "日", "第", "号", "公告", "令", "〔", "〕",
    "【", "】", "（", "）", "《", "》", "国认监", "市监认证发", "国家认监委", "市场监管总局", " 国家网信办",
    "关于", "的通知", "征求意见稿", "更正为", "“", "”", "根据", "二〇二四", "七", "十二", "三十一",
    "２０２４", "１２", "2024", "2025", "1", "12", "31", "02-30", "-", "/", ".", " ", "\n", "\u3000", "過渡期",
    "條", "國", "號", "本公告", "名单", "实施规则", "解读",
]
_texts = st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=4)), max_size=60).map("".join)
_published = st.one_of(st.none(), st.dates().map(date.isoformat), st.text(max_size=12))


def _well_formed(fields: Fields) -> None:
    assert fields.doc_type in DOC_TYPES
    for name in ("effective_date", "transition_end", "comment_deadline"):
        value = getattr(fields, name)
        assert value is None or date.fromisoformat(value).isoformat() == value
    assert all(fields.issuers) and all(fields.references)
    assert fields.doc_number is None or (fields.doc_number and " " not in fields.doc_number)
    assert set(fields.to_json()) == set(FIELD_NAMES)


@PROPERTY_SETTINGS
@given(title=_texts, body=_texts, published=_published)
def test_never_raises_and_is_well_formed(title, body, published):
    _well_formed(extract_fields(title, body, published))


@PROPERTY_SETTINGS
@given(title=_texts, body=_texts, published=_published)
def test_deterministic(title, body, published):
    first = extract_fields(title, body, published)
    again = extract_fields(title, body, published)
    assert first == again and first.evidence == again.evidence
    assert diff_fields(first, again) == []


@settings(max_examples=100, deadline=2000)
@given(title=st.text(max_size=80), body=st.text(max_size=400))
def test_arbitrary_unicode_never_raises(title, body):
    _well_formed(extract_fields(title, body, None))
