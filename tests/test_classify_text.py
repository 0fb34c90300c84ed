"""classify_text: the vocabulary and the learned model together, reasons, evidence, lazy loading."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from cnca_watch.classify import (
    MODEL_EVIDENCE_PREFIX,
    REASON_EMPTY,
    REASON_NO_SIGNAL,
    REASON_OUTSIDE,
    REASON_TAGGED,
    Blend,
    classify,
    classify_text,
    load_vocabulary,
    normalise,
)
from cnca_watch.evaluate import BUILTIN_AREAS, LabelledRow, read_labelled
from cnca_watch.ngram import model_from_dict, packaged_model, prepare
from cnca_watch.train import TrainOptions, train_model

FIXTURES = Path(__file__).parent / "fixtures" / "classify"
LABELLED_FILES = sorted(FIXTURES.glob("*.tsv"))


@pytest.fixture(scope="module")
def vocab():
    return load_vocabulary()


def ids(result) -> list[str]:
    return [t.id for t in result.tags]


# --- reasons ------------------------------------------------------------------------------


def test_empty_text_says_so(vocab):
    result = classify_text("  ", "", vocab)
    assert (result.tags, result.reason, result.in_domain) == ((), REASON_EMPTY, False)


@pytest.mark.parametrize(
    ("title", "subject"),
    [
        ("市场监管总局关于印发《计量发展规划》的通知", "计量"),
        ("市场监管总局关于2024年第三季度食品安全监督抽检情况的通告", "食品"),
        ("国家标准化管理委员会关于下达2025年第一批推荐性国家标准计划的通知", "国家标准"),
    ],
)
def test_outside_the_domain_names_the_subject_and_gets_no_area(vocab, title, subject):
    result = classify_text(title, "", vocab)
    assert result.tags == () and not result.in_domain
    assert result.reason.startswith(REASON_OUTSIDE) and subject in result.reason


def test_no_domain_term_is_outside_with_its_own_reason(vocab):
    result = classify_text("2025年春节放假安排", "", vocab, model=None)
    assert result.tags == () and not result.in_domain
    assert result.reason == f"{REASON_OUTSIDE}: no certification, accreditation or testing term"


def test_in_domain_without_any_signal_is_not_silent(vocab):
    title = "认证认可工作会议在京召开"
    assert classify(title, "", vocab) == ()  # the vocabulary alone has nothing to say
    result = classify_text(title, "", vocab, model=None)
    assert (result.tags, result.reason, result.in_domain) == ((), REASON_NO_SIGNAL, True)


def test_a_tagged_text_reason_is_in_the_domain(vocab):
    result = classify_text("市场监管总局关于加强认证监管工作的通知", "", vocab)
    assert result.reason == REASON_TAGGED and result.in_domain and ids(result)[0] == "regulation"


def test_without_a_model_classify_text_agrees_with_classify(vocab):
    for path in LABELLED_FILES:
        for row in read_labelled(path):
            assert classify_text(row.title, row.body, vocab, model=None).tags == classify(row.title, row.body, vocab)


# --- the model fills gaps; the vocabulary stays primary -----------------------------------


def _toy_model():
    """A model taught one phrase the vocabulary does not know (蓝色伙伴 -> going-global)."""
    rows = [LabelledRow(f"认证助力蓝色伙伴关系第{i}次会议", ("going-global",), in_domain=True) for i in range(8)]
    rows += [LabelledRow(f"检验检测机构第{i}次工作会议", ("capabilities",), in_domain=True) for i in range(8)]
    rows += [LabelledRow(f"食品安全抽检第{i}期通告", (), in_domain=False) for i in range(8)]
    return model_from_dict(train_model(rows, TrainOptions(epochs=30), areas=["going-global", "capabilities"]))


def test_the_model_gives_an_area_the_vocabulary_misses_with_ngram_evidence(vocab):
    title = "认证助力蓝色伙伴关系"
    assert classify(title, "", vocab) == ()
    result = classify_text(title, "", vocab, model=_toy_model())
    assert ids(result) == ["going-global"]
    evidence = result.tags[0].evidence
    assert evidence and all(e.term.startswith(MODEL_EVIDENCE_PREFIX) for e in evidence)
    # each span is text of the title a reader can find
    assert all(e.term[len(MODEL_EVIDENCE_PREFIX):] in prepare(title) for e in evidence)
    assert any("蓝色" in e.term or "伙伴" in e.term for e in evidence)


def test_a_clear_vocabulary_term_keeps_the_primary(vocab):
    # the toy model leans to going-global on 认证助力…, the title's own term says regulation
    title = "认证助力蓝色伙伴关系虚假认证专项整治"
    result = classify_text(title, "", vocab, model=_toy_model())
    assert ids(result)[0] == "regulation"
    assert result.tags[0].evidence[0].term in ("虚假认证", "专项整治")


def test_a_disabled_area_is_never_given_by_the_model():
    custom = load_vocabulary({"going-global": {"enabled": False}})
    result = classify_text("认证助力蓝色伙伴关系", "", custom, model=_toy_model())
    assert "going-global" not in ids(result)


def test_blend_disabled_means_vocabulary_only(vocab):
    title = "认证助力蓝色伙伴关系"
    off = Blend(enabled=False)
    assert classify_text(title, "", vocab, blend=off).tags == classify(title, "", vocab)


# --- the packaged model on the labelled files -----------------------------------------------


def test_the_package_ships_a_model_whose_heads_are_the_vocabulary_areas(vocab):
    model = packaged_model()
    assert model is not None
    assert set(model.heads) - {"in-domain"} == {a.id for a in vocab.areas}


@pytest.mark.parametrize("path", LABELLED_FILES, ids=lambda p: p.name)
@pytest.mark.parametrize("use_body", [False, True], ids=["title", "title+body"])
def test_every_tag_carries_evidence_found_in_the_text(vocab, path, use_body):
    for row in read_labelled(path):
        body = row.body if use_body else ""
        result = classify_text(row.title, body, vocab)
        assert bool(result.tags) <= result.in_domain
        for tag in result.tags:
            assert tag.evidence, (row.title, tag.id)
            for item in tag.evidence:
                if item.term.startswith(MODEL_EVIDENCE_PREFIX):
                    span = item.term[len(MODEL_EVIDENCE_PREFIX):]
                    assert span in prepare(row.title if item.where == "title" else body), (row.title, item)
                elif "+" not in item.term:  # a rule's evidence is "anchor+context"
                    text = normalise(row.title if item.where == "title" else body)
                    assert normalise(item.term) in text, (row.title, item)


# --- context rules and English ------------------------------------------------------------


@pytest.mark.parametrize(
    "title",
    [
        "关于推进出口转内销产品认证便利化的通知",
        "内外销产品“同线同标同质”认证工作推进会召开",
        "出口产品转内销认证服务指南发布",
    ],
)
def test_exports_sold_at_home_are_domestic_facilitation_not_going_global(vocab, title):
    result = classify_text(title, "", vocab)
    assert ids(result)[0] == "serving-development"
    assert "going-global" not in ids(result)


@pytest.mark.parametrize(
    ("title", "area"),
    [
        ("Implementation rules for compulsory certification of lithium batteries", "unified-management"),
        ("CNAS signs a mutual recognition arrangement with the Thai accreditation body", "going-global"),
        ("CNCA delegation visits Germany to discuss certification cooperation", "going-global"),
        ("SAMR punishes testing laboratories for falsified test reports", "regulation"),
        ("Training course for ISO/IEC 17025 assessors", "capabilities"),
        ("Certification loans help small businesses cut costs", "serving-development"),
        ("China certification and accreditation index released for 2024", "benefit"),
    ],
)
def test_english_titles(vocab, title, area):
    result = classify_text(title, "", vocab)
    assert result.in_domain and ids(result)[0] == area


@pytest.mark.parametrize(
    ("title", "area"),
    [
        # a scheme named only by its subject matter, with its own rules
        ("关于发布碳足迹标识认证实施规则的公告", "unified-management"),
        # falsification without 虚假认证 or 违法违规
        ("某检测机构伪造原始记录出具报告被立案调查", "regulation"),
        # a partner region, without 国际 or 互认
        ("中国—东盟质量基础设施合作论坛在南宁举办", "going-global"),
        # an index release
        ("2024年度中国认证认可活跃度指数发布", "benefit"),
        # an SME help campaign known by its slogan
        ("“认证服务进万企”活动启动", "serving-development"),
        # training on a new standard
        ("实验室认可新版标准转换宣贯培训班开班", "capabilities"),
    ],
)
def test_concepts_the_word_list_used_to_miss(vocab, title, area):
    assert ids(classify_text(title, "", vocab))[0] == area


# --- title and body -------------------------------------------------------------------------


def test_a_clear_title_decides_and_the_body_is_not_read(vocab):
    title = "市场监管总局关于加强认证监管工作的通知"
    alone = classify_text(title, "", vocab)
    with_body = classify_text(title, "会议要求深化国际合作，推进一带一路国际互认。", vocab)
    assert with_body == alone and ids(alone) == ["regulation"]


def test_a_silent_title_is_decided_by_the_body_with_body_evidence(vocab):
    title = "国家认监委召开会议"
    assert classify_text(title, "", vocab, model=None).tags == ()
    result = classify_text(title, "会议要求深化国际合作，推进一带一路国际互认。", vocab)
    assert ids(result)[0] == "going-global"
    # the vocabulary's evidence is the body's; the model's n-gram spans may quote the title
    vocabulary_evidence = [e for e in result.tags[0].evidence if not e.term.startswith(MODEL_EVIDENCE_PREFIX)]
    assert vocabulary_evidence and {e.where for e in vocabulary_evidence} == {"body"}


def test_with_body_add_the_body_adds_below_the_title(vocab):
    title = "市场监管总局关于加强认证监管工作的通知"
    result = classify_text(title, "会议要求深化国际合作，推进一带一路国际互认。", vocab, blend=Blend(body="add"))
    assert ids(result)[0] == "regulation"
    going = next(t for t in result.tags if t.id == "going-global")
    assert going.score < result.tags[0].score and {e.where for e in going.evidence} == {"body"}


# --- loading ------------------------------------------------------------------------------


def test_the_model_is_read_only_when_something_is_classified():
    code = (
        "import sys, cnca_watch.classify as c\n"
        "before = 'cnca_watch.ngram' in sys.modules\n"
        "c.classify_text('市场监管总局关于加强认证监管工作的通知')\n"
        "print(before, 'cnca_watch.ngram' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["False", "True"], done.stderr


def test_help_does_not_import_the_classifier_or_the_model():
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "cnca_watch", "--help"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    assert "cnca_watch.cli" in imported  # the trace does list the package's modules
    assert not imported & {"cnca_watch.classify", "cnca_watch.ngram", "cnca_watch.train"}


def test_a_model_without_body_reading_ignores_the_body(vocab):
    model = replace(packaged_model(), body_chars=0)
    feats = model.featurise("认证", "国际合作国际互认")
    assert feats.body_keys == ()


# --- robustness ---------------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_WORDS = ["认证", "认可", "CCC", "实施规则", "抽查", "資質認定", "关(guān)于", "伪造", "出口转内销", "标准化", "食品",
          "Belt and Road", "falsified", "检验检测", "会议", "(", "ā"]


@settings(max_examples=150, deadline=None)
@given(
    title=st.one_of(st.text(max_size=60), st.lists(st.sampled_from(_WORDS), max_size=8).map("".join)),
    body=st.one_of(st.just(""), st.text(max_size=200), st.lists(st.sampled_from(_WORDS), max_size=20).map(" ".join)),
)
def test_classify_text_never_raises_and_always_explains(vocab, title, body):
    result = classify_text(title, body, vocab)
    assert len(result.tags) <= vocab.scoring.max_areas
    assert bool(result.tags) <= result.in_domain
    if result.tags:
        assert result.reason == REASON_TAGGED
    elif result.in_domain:
        assert result.reason == REASON_NO_SIGNAL
    else:
        assert result.reason == REASON_EMPTY or result.reason.startswith(REASON_OUTSIDE + ": ")
    for tag in result.tags:
        assert tag.evidence and all(e.where in ("title", "body") and e.term.strip() for e in tag.evidence)


# --- the blend chosen in cross-validation (issue 10, second round) ----------------------------


class _FixedModel:
    """A stand-in model with fixed probabilities and one evidence span per area."""

    stacked = False

    def __init__(self, probabilities: dict[str, float]) -> None:
        self._p = {**probabilities, "in-domain": 0.9}

    def featurise(self, title: str, body: str = ""):
        return (title, body)

    def probabilities(self, feats):
        return dict(self._p)

    def evidence(self, feats, area_id, limit=3):
        return [(feats[0][:4], "title")]


TWO_AREAS = "关于做好认证电子证书推广应用工作的通知"  # a strong area and a weaker second one


def test_a_secondary_the_model_finds_unlikely_is_dropped(vocab):
    both = classify_text(TWO_AREAS, "", vocab, model=None)
    assert len(both.tags) >= 2 and both.tags[1].score < both.tags[0].score  # the vocabulary alone gives a weaker second area
    primary, second = both.tags[0].id, both.tags[1].id
    unlikely = _FixedModel({primary: 0.9, second: 0.01})
    kept = Blend(weight=0.0, add_threshold=1.5, secondary_min=0.0, fill_threshold=0.0, domain_in=1.01)
    assert ids(classify_text(TWO_AREAS, "", vocab, model=unlikely, blend=kept))[:2] == [primary, second]
    dropped = replace(kept, secondary_min=0.1)
    assert second not in ids(classify_text(TWO_AREAS, "", vocab, model=unlikely, blend=dropped))
    likely = _FixedModel({primary: 0.9, second: 0.5})
    assert second in ids(classify_text(TWO_AREAS, "", vocab, model=likely, blend=dropped))


def test_a_secondary_far_below_the_primary_in_the_model_is_dropped(vocab):
    both = classify_text(TWO_AREAS, "", vocab, model=None)
    primary, second = both.tags[0].id, both.tags[1].id
    relative = Blend(weight=0.0, add_threshold=1.5, secondary_relative=0.5, fill_threshold=0.0, domain_in=1.01)
    # the same secondary probability is kept beside a weak primary and dropped beside a sure one
    assert second in ids(classify_text(TWO_AREAS, "", vocab, model=_FixedModel({primary: 0.5, second: 0.3}), blend=relative))
    assert second not in ids(classify_text(TWO_AREAS, "", vocab, model=_FixedModel({primary: 0.9, second: 0.3}), blend=relative))
    assert ids(classify_text(TWO_AREAS, "", vocab, model=_FixedModel({primary: 0.9, second: 0.3}), blend=relative))[0] == primary


def test_an_area_with_as_many_points_as_the_primary_is_not_vetoed(vocab):
    title = "国家认监委关于发布《能力验证提供者认可准则》等认证认可行业标准的公告"
    alone = classify_text(title, "", vocab, model=None).tags
    tied = [t.id for t in alone[1:] if t.score == alone[0].score]
    lower = [t.id for t in alone[1:] if t.score < alone[0].score]
    assert tied and lower  # the vocabulary gives a tie and a weaker third area
    model = _FixedModel({area: 0.9 if area == alone[0].id else 0.0 for area in BUILTIN_AREAS})
    strict = Blend(weight=0.0, add_threshold=1.5, secondary_min=0.1, secondary_relative=0.5, fill_threshold=0.0, domain_in=1.01)
    got = ids(classify_text(title, "", vocab, model=model, blend=strict))
    assert got == [alone[0].id, *tied]


def test_a_per_area_add_threshold_lets_only_that_area_be_lifted(vocab):
    title = "认证认可工作会议召开"  # in the domain, weak signals only
    model = _FixedModel({"benefit": 0.8, "capabilities": 0.8})
    base = Blend(weight=6.0, add_threshold=1.5, fill_threshold=1.5, domain_in=1.01)
    assert not {"benefit", "capabilities"} & set(ids(classify_text(title, "", vocab, model=model, blend=base)))
    one = replace(base, add_thresholds={"benefit": 0.7})
    got = ids(classify_text(title, "", vocab, model=model, blend=one))
    assert "benefit" in got and "capabilities" not in got
    tag = next(t for t in classify_text(title, "", vocab, model=model, blend=one).tags if t.id == "benefit")
    assert any(e.term.startswith(MODEL_EVIDENCE_PREFIX) for e in tag.evidence)
