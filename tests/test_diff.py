"""diff.py: the truthful new/changed/removed rules and the word diff."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cnca_watch.diff import (
    diff_source,
    layout_change_reason,
    tokenize,
    vanished,
    word_diff,
)
from cnca_watch.models import Announcement, AreaTag, Attachment, ChangeKind, Snapshot

TAG = AreaTag(id="unified-management", label_en="Unified management", label_zh="统一管理", score=2.0)
PDF = Attachment(url="https://www.cnca.gov.cn/a/1.pdf", name="附件1.pdf")
DOC = Attachment(url="https://www.cnca.gov.cn/a/2.doc", name="附件2.doc")


def item(n: int, position: int | None = None, **overrides: object) -> Announcement:
    values: dict[str, object] = dict(
        url=f"https://www.cnca.gov.cn/zwxx/gg/{n}.html",
        title=f"关于第{n}号公告",
        date="2024-01-0%d" % (n % 9 + 1),
        body=f"正文{n}",
        attachments=(),
        areas=(TAG,),
        list_title=f"关于第{n}号公告",
        list_date="2024-01-0%d" % (n % 9 + 1),
        position=n if position is None else position,
    )
    values.update(overrides)
    return Announcement(**values)  # type: ignore[arg-type]


def snap(a: Announcement, *, listed: bool = True, removed: bool = False) -> Snapshot:
    return Snapshot(
        url=a.url,
        title=a.title,
        date=a.date,
        body=a.body,
        attachments=a.attachments,
        areas=a.areas,
        list_title=a.list_title,
        list_date=a.list_date,
        listed=listed,
        position=a.position if listed else None,
        removed=removed,
    )


def window(*numbers: int) -> list[Announcement]:
    return [item(n, position=i) for i, n in enumerate(numbers)]


def stored(*numbers: int) -> dict[str, Snapshot]:
    return {a.url: snap(a) for a in window(*numbers)}


# --------------------------------------------------------------------------- word diff


def test_tokens_split_cjk_by_character_and_keep_latin_words() -> None:
    assert tokenize("CCC认证 ISO9001，测试") == ["CCC", "认", "证", " ", "ISO9001", "，", "测", "试"]


def test_cjk_word_diff_marks_single_characters() -> None:
    assert word_diff("认证机构检查的通知", "认可机构检查工作的通知") == "认[-证-]{+可+}机构检查{+工作+}的通知"


def test_latin_word_diff_merges_edits_separated_by_spaces() -> None:
    assert word_diff("the quick brown fox", "the slow red fox") == "the [-quick brown-]{+slow red+} fox"


def test_equal_texts_have_no_diff() -> None:
    assert word_diff("同一文本", "同一文本") == ""


def test_long_unchanged_runs_are_cut_around_the_change() -> None:
    before = "前" * 300
    after = "后" * 300
    result = word_diff(before + "甲" + after, before + "乙" + after)
    assert result == "…" + "前" * 40 + "[-甲-]{+乙+}" + "后" * 40 + "…"


def test_long_middle_run_between_two_changes_keeps_context_on_both_sides() -> None:
    middle = "中" * 200
    result = word_diff("甲" + middle + "丙", "乙" + middle + "丁")
    assert result == "[-甲-]{+乙+}" + "中" * 40 + "…" + "中" * 40 + "[-丙-]{+丁+}"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="认证机构ab c，\n", max_size=40), st.text(alphabet="认证机构ab c，\n", max_size=40))
def test_word_diff_reconstructs_both_sides(old: str, new: str) -> None:
    # With no elision (short texts), dropping the markup of one side yields the other text.
    result = word_diff(old, new)
    if old == new:
        assert result == ""
        return
    import re

    as_old = re.sub(r"\{\+.*?\+\}", "", result, flags=re.S).replace("[-", "").replace("-]", "")
    as_new = re.sub(r"\[-.*?-\]", "", result, flags=re.S).replace("{+", "").replace("+}", "")
    assert as_old == old
    assert as_new == new


# --------------------------------------------------------------------------- new / changed


def test_first_run_everything_is_new_in_page_order() -> None:
    current = window(5, 4, 3)
    result = diff_source("cnca-gg", {}, current, detected_at="2024-01-12T07:00:00Z")
    assert [c.kind for c in result.changes] == [ChangeKind.NEW] * 3
    assert [c.url for c in result.changes] == [a.url for a in current]
    first = result.changes[0]
    assert (first.source, first.title, first.date, first.areas, first.detected_at) == (
        "cnca-gg",
        "关于第5号公告",
        current[0].date,
        (TAG,),
        "2024-01-12T07:00:00Z",
    )
    assert result.unlisted == frozenset()


def test_unchanged_window_yields_nothing() -> None:
    result = diff_source("s", stored(3, 2, 1), window(3, 2, 1))
    assert result.changes == ()
    assert result.unlisted == frozenset()


def test_new_item_on_top() -> None:
    result = diff_source("s", stored(3, 2, 1), window(4, 3, 2, 1))
    assert [(c.kind, c.url) for c in result.changes] == [(ChangeKind.NEW, item(4).url)]


def test_an_already_removed_item_that_comes_back_is_new_again() -> None:
    previous = stored(2, 1)
    gone_one = item(3)
    previous[gone_one.url] = snap(gone_one, listed=False, removed=True)
    result = diff_source("s", previous, window(3, 2, 1))
    assert [(c.kind, c.url) for c in result.changes] == [(ChangeKind.NEW, gone_one.url)]


def test_changed_title_has_a_character_diff() -> None:
    previous = stored(1)
    current = [item(1, title="关于第1号公告（修订）", position=0)]
    (change,) = diff_source("s", previous, current).changes
    assert change.kind is ChangeKind.CHANGED
    assert change.fields_changed == ("title",)
    assert change.diff == "title: 关于第1号公告{+（修订）+}"
    assert change.title == "关于第1号公告（修订）"


def test_changed_date_body_and_attachments_in_fixed_order() -> None:
    old = item(1, attachments=(PDF,))
    previous = {old.url: snap(old)}
    new = item(1, date="2024-02-01", body="正文一", attachments=(DOC,), position=0)
    (change,) = diff_source("s", previous, [new]).changes
    assert change.fields_changed == ("date", "body", "attachments")
    assert change.diff.splitlines() == [
        f"date: {old.date} -> 2024-02-01",
        "body: 正文[-1-]{+一+}",
        f"- 附件1.pdf ({PDF.url})",
        f"+ 附件2.doc ({DOC.url})",
    ]
    assert change.attachments == (DOC,)


def test_reordered_attachments_are_a_change() -> None:
    old = item(1, attachments=(PDF, DOC))
    (change,) = diff_source("s", {old.url: snap(old)}, [item(1, attachments=(DOC, PDF), position=0)]).changes
    assert change.fields_changed == ("attachments",)
    assert change.diff == "attachments reordered"


def test_area_change_alone_is_not_a_change() -> None:
    old = item(1)
    result = diff_source("s", {old.url: snap(old)}, [item(1, areas=(), position=0)])
    assert result.changes == ()


def test_list_row_change_alone_is_not_a_change() -> None:
    old = item(1)
    result = diff_source("s", {old.url: snap(old)}, [item(1, list_title="关于第1号…", position=0)])
    assert result.changes == ()


# --------------------------------------------------------------------------- removed / scrolled off


def test_items_scrolled_off_the_end_are_unlisted_not_removed() -> None:
    # 6 and 5 arrive on top; 2 and 1 fall past the last fetched page.
    result = diff_source("s", stored(4, 3, 2, 1), window(6, 5, 4, 3))
    assert [c.kind for c in result.changes] == [ChangeKind.NEW, ChangeKind.NEW]
    assert result.unlisted == {item(2).url, item(1).url}


def test_item_vanished_from_inside_the_window_is_removed() -> None:
    previous = stored(4, 3, 2, 1)
    result = diff_source("s", previous, window(5, 4, 2, 1), detected_at="t")
    removed = [c for c in result.changes if c.kind is ChangeKind.REMOVED]
    assert [(c.url, c.title, c.date, c.areas, c.detected_at) for c in removed] == [
        (item(3).url, "关于第3号公告", item(3).date, (TAG,), "t")
    ]
    assert result.unlisted == frozenset()


def test_top_item_vanished_is_removed_only_when_its_page_is_gone() -> None:
    # With no newer neighbour left, a vanished top item may be a pinned (置顶) notice that
    # moved down past the window: only a 404/410 proves a withdrawal.
    result = diff_source("s", stored(3, 2, 1), window(2, 1))
    assert result.changes == ()
    assert result.unlisted == frozenset({item(3).url})
    gone = diff_source("s", stored(3, 2, 1), window(2, 1), gone=frozenset({item(3).url}))
    assert [(c.kind, c.url) for c in gone.changes] == [(ChangeKind.REMOVED, item(3).url)]


def test_older_items_coming_into_view_below_the_known_ones_are_backfilled_not_new() -> None:
    # `pages` grew: 2 and 1 (dated before 3, the oldest known) appear below every known row
    result = diff_source("s", stored(4, 3), window(4, 3, 2, 1))
    assert result.changes == ()
    assert result.backfilled == {item(2).url, item(1).url}


def test_a_withdrawal_pulls_the_next_older_item_into_view_without_news() -> None:
    result = diff_source("s", stored(5, 4, 3), window(5, 3, 2))
    assert [(c.kind, c.url) for c in result.changes] == [(ChangeKind.REMOVED, item(4).url)]
    assert result.backfilled == {item(2).url}


def test_a_newer_item_at_the_bottom_is_new() -> None:
    # a list in ascending date order grows at the bottom: dated after the oldest known row
    result = diff_source("s", stored(1, 2), window(1, 2, 3))
    assert [(c.kind, c.url) for c in result.changes] == [(ChangeKind.NEW, item(3).url)]
    assert result.backfilled == frozenset()


def test_an_undated_item_at_the_bottom_is_new() -> None:
    current = [*window(4, 3), item(2, position=2, date=None)]
    result = diff_source("s", stored(4, 3), current)
    assert [(c.kind, c.url) for c in result.changes] == [(ChangeKind.NEW, item(2).url)]


def test_an_older_item_between_known_ones_is_new() -> None:
    # not below every known row: it was inserted, the window did not just reach further
    current = [item(4, position=0), item(1, position=1), item(3, position=2)]
    result = diff_source("s", stored(4, 3), current)
    assert [(c.kind, c.url) for c in result.changes] == [(ChangeKind.NEW, item(1).url)]


def test_item_vanished_between_newer_and_older_neighbours_is_removed() -> None:
    result = diff_source("s", stored(3, 2, 1), window(3, 1))
    assert [(c.kind, c.url) for c in result.changes] == [(ChangeKind.REMOVED, item(2).url)]


def test_detail_page_gone_is_removed_even_at_the_end_of_the_window() -> None:
    gone = frozenset({item(1).url})
    result = diff_source("s", stored(3, 2, 1), window(4, 3, 2), gone=gone)
    kinds = {c.url: c.kind for c in result.changes}
    assert kinds == {item(4).url: ChangeKind.NEW, item(1).url: ChangeKind.REMOVED}
    assert result.unlisted == frozenset()


def test_removed_carries_the_stored_attachments() -> None:
    previous = stored(3, 2, 1)
    with_file = item(2, attachments=(PDF,), position=1)
    previous[with_file.url] = snap(with_file)
    (change,) = diff_source("s", previous, window(3, 1)).changes
    assert change.kind is ChangeKind.REMOVED
    assert change.attachments == (PDF,)


def test_unlisted_snapshots_are_not_vanished_again() -> None:
    previous = stored(3, 2)
    old = item(1)
    previous[old.url] = snap(old, listed=False)
    assert vanished(previous, window(3, 2)) == []
    assert diff_source("s", previous, window(3, 2)).changes == ()


def test_vanished_lists_previous_window_members_missing_now() -> None:
    assert vanished(stored(3, 2, 1), window(3, 1)) == [item(2).url]


# --------------------------------------------------------------------------- layout guard


def test_layout_guard() -> None:
    assert layout_change_reason(None, 0) is None  # first run
    assert layout_change_reason(None, 20) is None
    assert layout_change_reason(20, 20) is None
    assert layout_change_reason(20, 10) is None  # exactly half is plausible
    assert layout_change_reason(3, 1) is None  # too few to judge
    assert layout_change_reason(20, 0) == (
        "the list yielded 0 items (20 last time): the page layout probably changed"
    )
    assert layout_change_reason(3, 0) is not None
    reason = layout_change_reason(20, 9)
    assert reason is not None and "9 items (20 last time)" in reason and "layout" in reason


def test_layout_guard_starts_judging_at_four_items() -> None:
    # Below four items a shrink proves nothing; from four on, less than half is suspicious.
    assert layout_change_reason(4, 1) == "the list yielded only 1 items (4 last time): the page layout probably changed"
    assert layout_change_reason(4, 2) is None
