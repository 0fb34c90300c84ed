"""What an announcement says about itself: its number, type, issuers, dates and citations.

``extract_fields(title, body, published)`` reads seven fields out of a title and a body
(pure, stdlib only; about 0.3 ms for a 1-2 KB body).  The rules follow the labelling guide
of the evaluation corpus (``/work/data/fields/GUIDE.md`` in the project's data):

- ``doc_number``: the text's *own* number, normalised (brackets 〔〕, ASCII digits, no spaces)
  and otherwise as written on its line.  Own means: in the title, on a line of its own, after
  文号：/发文字号, in an order's heading or promulgation line (``（2016年9月5日上海市人民政府令
  第43号公布）``), in an attachment's file name, at the top or in the signature block.  A
  number next to a cited document (``根据《…》（国认监〔2019〕6号）``) or after 根据/按照/废止… is
  someone else's, and no own number gives ``None`` rather than a guess.  Issuer words are kept
  only when written with the number (``国家认监委2024年第11号公告``); a bare ``2024年第11号``
  (``…的公告（2024年第11号）``, a heading ``公告`` over ``2023年第36号``, ``第82号``) stays bare —
  no prefix is invented.  A correction's body and an interpretation name the text they correct
  or explain: there only a number on a line of its own (or after 文号) is theirs.  Also read:
  an order written with its year (``商务部令2007年第15号``), Taiwan's 字號 of the order that
  issued or amended a text (``…内政部台内消字第1120827499号令订定发布…``; the last entry of a
  law's history, without the body's name), Macau's and Hong Kong's slash numbers as a title or
  a line of their own (``第38/2023号行政法规``, ``立法局CB(1)406/96-97号文件``).
- ``doc_type``: one of :data:`DOC_TYPES`, from the title (precedence correction >
  call-for-comments > interpretation > list > rules > announcement > notice > news; a headline
  "X发布《…》" or "《…》将于…施行" is news); without a title or with one that has no type word,
  from the body (a title line at its top, Q&A, 现…征求意见, 现予公布 / 令第N号, articles
  第一条…第二条, 特此通知, addressees) — unless the body is a story about a text.
- ``issuers``: short official names (市场监管总局, 国家认监委, 浙江省市场监管局…), joint issuances
  split in the order written; from the title prefix, the signature, an order's heading or a
  law site's 发布单位; ``()`` when unknown.
- ``effective_date``: ``自2024年7月1日起施行``, ``于…起正式实施``, ``施行日期/生效日期 …``;
  ``自发布之日起施行`` → ``published``; ``自D起，<a measure>`` → D unless the text has a cut-over
  (then D starts the transition).  A correction (``“自6月1日起施行”更正为“自7月1日起施行”``) gives the
  corrected date, in every way one is written (``“…”应为“…”``, ``实施日期“D1”更正为“D2”``, ``原定…，
  现推迟至…``); a correction note after the signature is not a new signer.  Dates of cited texts
  (``《…》（自…起施行）``, ``根据…``), of meetings, of standards and of a transition's start are not
  this text's; a call for comments has none (its ``本办法自…起施行`` is the draft's proposal).
- ``transition_end``: the last day of a transition period.  ``过渡期至X`` → X; "证书应在X前符合新版
  规则" → X.  The rule for a cut-over: ``自D起，未获得…不得出厂/销售/进口…`` (also ``D后…不予登记``)
  → **D − 1 day**, the last day on which the old regime still applies.  ``过渡期为N个月`` with a
  stated start S → S + N months − 1 day.
- ``comment_deadline``: ``意见反馈截止日期为X``, a 公示's ``公示期截止日期为10月15日``, ``请于X（星期六）前将意见反馈…``, ``即日起至X``, a
  window ``2026-09-17至2026-10-17`` (or a 公示期) → its end; only where comments are asked for
  (outside a call, not opinions sent with a report or an application), never a window that is
  over (已于…至…, or a deadline before the text's own date: an earlier round).  Of several, the
  reader's own request (``请…于X前``) beats a deadline quoted from another body.
- ``references``: every 《…》 name in order of first appearance, deduplicated, without 《》, except
  the text's own name.

A reporter's story (记者, 本报讯, 据…消息) and an interpretation keep no number or dates of their
own: the dates they repeat belong to the texts they report on.

Text is read after NFKC (full-width digits and brackets), traditional → simplified characters,
mirrors' pinyin glosses (認(rèn)證) dropped, Chinese-numeral dates (二〇二四年七月一日, 二OO五年,
九月三十日) rewritten in digits, Republic of China years (中华民国112年, and then 113年1月1日) as
western years and spaces between Chinese characters of the body removed; dates and numbers
may contain spaces.  Dates are ``YYYY-MM-DD``; impossible dates are dropped.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from importlib import resources
from itertools import chain, islice
from typing import Any

from cnca_watch.errors import UsageError

DOC_TYPES = (
    "announcement",
    "notice",
    "call-for-comments",
    "interpretation",
    "rules",
    "list",
    "news",
    "correction",
)
FIELD_NAMES = (
    "doc_number",
    "doc_type",
    "issuers",
    "effective_date",
    "transition_end",
    "comment_deadline",
    "references",
)
_LIST_FIELDS = ("issuers", "references")
_EVIDENCE_CHARS = 80  # an evidence snippet is a phrase, not a paragraph


@dataclass(frozen=True, slots=True)
class Fields:
    """The fields of one announcement version; ``None``/``()`` where the text has none.

    ``evidence`` pairs a field name with the snippet of normalised text it was read from
    (for explaining a value); it does not take part in equality.
    """

    doc_number: str | None = None
    doc_type: str = "news"
    issuers: tuple[str, ...] = ()
    effective_date: str | None = None
    transition_end: str | None = None
    comment_deadline: str | None = None
    references: tuple[str, ...] = ()
    evidence: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    def to_json(self, *, with_evidence: bool = False) -> dict[str, Any]:
        """The seven keys (``null``/``[]`` where absent); ``evidence`` too when asked."""
        data: dict[str, Any] = {
            "doc_number": self.doc_number,
            "doc_type": self.doc_type,
            "issuers": list(self.issuers),
            "effective_date": self.effective_date,
            "transition_end": self.transition_end,
            "comment_deadline": self.comment_deadline,
            "references": list(self.references),
        }
        if with_evidence:
            data["evidence"] = dict(self.evidence)
        return data

    def evidence_for(self, name: str) -> str | None:
        for key, snippet in self.evidence:
            if key == name:
                return snippet
        return None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Fields:
        """Back from :meth:`to_json` (e.g. a stored version); unknown keys are ignored."""
        doc_type = data.get("doc_type")
        return cls(
            doc_number=_str_or_none(data.get("doc_number")),
            doc_type=doc_type if doc_type in DOC_TYPES else "news",
            issuers=tuple(str(x) for x in data.get("issuers") or ()),
            effective_date=_str_or_none(data.get("effective_date")),
            transition_end=_str_or_none(data.get("transition_end")),
            comment_deadline=_str_or_none(data.get("comment_deadline")),
            references=tuple(str(x) for x in data.get("references") or ()),
            evidence=tuple(
                (str(k), str(v)) for k, v in (data.get("evidence") or {}).items() if isinstance(v, str)
            ),
        )


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


# ---------------------------------------------------------------------------------------
# Normalisation


def _simplified_of(match: re.Match[str]) -> str:
    return _traditional()[0][ord(match.group())]


@lru_cache(maxsize=1)
def _traditional() -> tuple[dict[int, str], re.Pattern[str]]:
    # The same character map the classifier uses (one file, one truth).
    raw = resources.files("cnca_watch").joinpath("areas_traditional.toml").read_text("utf-8")
    data = tomllib.loads(raw)
    traditional = "".join(data["traditional"].split())
    simplified = "".join(data["simplified"].split())
    table = {ord(t): s for t, s in zip(traditional, simplified, strict=True)}
    return table, re.compile("[" + re.escape(traditional) + "]")


_CJK = "\u3400-\u4dbf\u4e00-\u9fff"
_GAP = re.compile(r"[^\S\n]+")


def _join_cjk_run(match: re.Match[str]) -> str:
    # found as plain whitespace and tested here: a look-behind at every position costs more
    text, start, end = match.string, match.start(), match.end()
    if start and end < len(text) and _is_cjk(text[start - 1]) and _is_cjk(text[end]):
        return ""
    return match.group()


def join_cjk_gaps(text: str) -> str:
    """Remove horizontal whitespace between two Chinese characters ("认 证" → "认证")."""
    return _GAP.sub(_join_cjk_run, text) if (" " in text or "\t" in text) else text


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"

# NFKC over a whole body costs more than all the patterns: fold only what can change a
# match (full-width forms and spaces, small and enclosed forms, compatibility ideographs).
_NFKC_MATTERS = re.compile("[\u00a0\u2000-\u200a\u2460-\u24ff\u3000\u3200-\u33ff\uf900-\ufaff\ufe30-\ufe6f\uff02-\uff07\uff0a\uff0b\uff0d-\uff19\uff1c-\uff1e\uff20-\uffee]+")


def _nfkc_run(match: re.Match[str]) -> str:
    return unicodedata.normalize("NFKC", match.group())


_CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"○": 0, "零": 0, "O": 0, "0": 0, "o": 0}
_CN_YEAR = "[〇○零Oo0一二三四五六七八九]"
_CN_SMALL = "[一二三四五六七八九十]{1,3}"
_CN_DATE = re.compile(rf"({_CN_YEAR}{{4}})\s*年\s*({_CN_SMALL})\s*月\s*({_CN_SMALL})\s*日")
_CN_YEAR_CHARS = frozenset(_CN_DIGITS)
# Some mirrors gloss characters with their pinyin: 認(rèn)證 → 認證.
_PINYIN_GLOSS = re.compile(r"(?:\([a-zàáâäāăǎèéêëēěìíîïīǐòóôöōǒùúûüūǔǖǘǚǜńňǹḿ]{1,7} ?\))+")


def _drop_pinyin_gloss(match: re.Match[str]) -> str:
    start = match.start()
    return "" if start and _is_cjk(match.string[start - 1]) else match.group()


def _has_chinese_numeral_year(text: str) -> bool:
    """Whether some 年 follows a numeral year (二〇二四年): str.find beats a regex here."""
    at = text.find("年", 4)
    while at != -1:
        head = text[at - 4 : at] if text[at - 1] != " " else text[max(0, at - 6) : at].replace(" ", "")[-4:]
        if len(head) == 4 and all(c in _CN_YEAR_CHARS for c in head):
            return True
        at = text.find("年", at + 1)
    return False


def _cn_small(text: str) -> int:
    """一 .. 三十一 → 1 .. 31."""
    if "十" not in text:
        return _CN_DIGITS.get(text, 0) if len(text) == 1 else 0
    tens, _, units = text.partition("十")
    return (_CN_DIGITS.get(tens, 0) if tens else 1) * 10 + (_CN_DIGITS.get(units, 0) if units else 0)


# Taiwan's texts count years from 1912 (中华民国112年 = 2023): a text that writes one also
# writes its other dates that way ("自113年1月1日生效")
_ROC_YEAR = re.compile(r"(?:中华)?民国\s*([0-9]{2,3}|[一二三四五六七八九十百〇○零]{1,6})\s*年")
_ROC_BARE_DATE = re.compile(r"(?<![0-9])([0-9]{2,3})(\s*年\s*[0-9]{1,2}\s*月\s*[0-9]{1,2}\s*日)")
_ROC_DASHED_DATE = re.compile(r"(?<![0-9-])(1[0-9]{2})-([01][0-9])-([0-3][0-9])(?![0-9])")


def _roc_year(numeral: str) -> int:
    """112 / 一百十二 / 一一二 / 八十九 → the year as a number (0 if unreadable)."""
    if numeral.isdigit():
        return int(numeral)
    if "百" in numeral:
        hundreds, _, rest = numeral.partition("百")
        rest = rest.lstrip("〇○零")
        return _CN_DIGITS.get(hundreds, 0) * 100 + (_cn_small(rest) if rest else 0)
    if "十" in numeral:
        return _cn_small(numeral)
    return int("".join(str(_CN_DIGITS.get(c, 0)) for c in numeral)) if numeral else 0


def _roc_dates(text: str) -> str:
    def western(match: re.Match[str]) -> str:
        year = _roc_year(match[1])
        return f"{year + 1911}年" if 1 <= year <= 200 else match.group()

    converted = _ROC_YEAR.sub(western, text)
    if converted == text:
        return text
    converted = _ROC_BARE_DATE.sub(lambda m: f"{int(m[1]) + 1911}{m[2]}" if int(m[1]) <= 200 else m.group(), converted)
    return _ROC_DASHED_DATE.sub(lambda m: f"{int(m[1]) + 1911}-{m[2]}-{m[3]}", converted)


# a month-day in numerals without its year ("九月三十日前", "九 月 三 十 日"); not 十一五 or 一月份
_CN_NUMERAL = "[一二三四五六七八九十]"
_CN_MONTH_DAY = re.compile(
    rf"(?<![〇○零一二三四五六七八九十百千万期周0-9])({_CN_NUMERAL}(?:\s?{_CN_NUMERAL})?)\s?月\s?({_CN_NUMERAL}(?:\s?{_CN_NUMERAL}){{0,2}})\s?日"
)


_CN_NUMERALS = frozenset("一二三四五六七八九十")


def _has_chinese_numeral_month(text: str) -> bool:
    """Whether some 月 follows a numeral (九月, 十 二 月): str.find, as for the years."""
    at = text.find("月", 1)
    while at != -1:
        before = text[at - 1] if text[at - 1] != " " else text[at - 2 : at - 1]
        if before in _CN_NUMERALS and _CN_MONTH_DAY.search(text, max(0, at - 4), at + 12):
            return True
        at = text.find("月", at + 1)
    return False


def _cn_month_day_digits(match: re.Match[str]) -> str:
    month, day = _cn_small(match[1].replace(" ", "")), _cn_small(match[2].replace(" ", ""))
    return f"{month}月{day}日" if 1 <= month <= 12 and 1 <= day <= 31 else match.group()


def _cn_date_digits(match: re.Match[str]) -> str:
    year = "".join(str(_CN_DIGITS[c]) for c in match[1])
    return f"{year}年{_cn_small(match[2])}月{_cn_small(match[3])}日"


_COMPACT_DATE = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])日")


def prepare(text: str, *, join_cjk: bool = True) -> str:
    """Text as the patterns read it: NFKC, simplified, digit dates; CJK gaps removed if asked."""
    if not text:
        return ""
    if not text.isascii():
        if _NFKC_MATTERS.search(text):
            text = _NFKC_MATTERS.sub(_nfkc_run, text)
        table, finder = _traditional()
        if finder.search(text):
            # str.translate with a dict looks up every character (~0.2 µs each); replacing only
            # the traditional ones is 5x faster on a 2 KB body
            text = finder.sub(_simplified_of, text)
        if "徵" in text:  # left out of the shared map on purpose (徵 is also simplified)
            text = text.replace("徵求", "征求").replace("徵詢", "征询")
        if "(" in text:
            text = _PINYIN_GLOSS.sub(_drop_pinyin_gloss, text)
        if "日" in text and _COMPACT_DATE.search(text):
            text = _COMPACT_DATE.sub(r"\1年\2月\3日", text)  # "截止时间:20241215日" (a CMS dropped 年 and 月)
        if "民国" in text:
            text = _roc_dates(text)
        if _has_chinese_numeral_year(text):
            text = _CN_DATE.sub(_cn_date_digits, text)
        if _has_chinese_numeral_month(text):
            text = _CN_MONTH_DAY.sub(_cn_month_day_digits, text)  # "至九月五日止" (the year is implied)
    if join_cjk:
        text = join_cjk_gaps(text)
    return text


# ---------------------------------------------------------------------------------------
# Dates

# [0-9], not \d: a Unicode-category test at every position costs 3x (digits are ASCII by now)
_DATE = r"[0-9]{4}(?<![0-9]{5})\s*(?:年\s*[0-9]{1,2}\s*月\s*[0-9]{1,2}\s*日|[-/.]\s*[0-9]{1,2}\s*[-/.]\s*[0-9]{1,2}(?![0-9.]))"
_DATE_PARTS = re.compile(r"([0-9]{4})\s*(?:年|[-/.])\s*([0-9]{1,2})\s*(?:月|[-/.])\s*([0-9]{1,2})")
# a month-day without its year ("10月26日"); callers check it does not end a full date
_MONTH_DAY = r"[0-9]{1,2}\s*月\s*[0-9]{1,2}\s*日"
_MONTH_DAY_PARTS = re.compile(r"([0-9]{1,2})\s*月\s*([0-9]{1,2})")


def _iso(text: str) -> str | None:
    match = _DATE_PARTS.search(text)
    if not match:
        return None
    return _valid(int(match[1]), int(match[2]), int(match[3]))


@lru_cache(maxsize=4096)
def _valid(year: int, month: int, day: int) -> str | None:
    if not 1949 <= year <= 2100:
        return None
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _day_before(iso: str) -> str:
    return (date.fromisoformat(iso) - timedelta(days=1)).isoformat()


def _plus_months_minus_a_day(iso: str, months: int) -> str | None:
    start = date.fromisoformat(iso)
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    for day in (start.day, 30, 29, 28):  # 31 Jan + 1 month → the end of February
        try:
            return (date(year, month, day) - timedelta(days=1)).isoformat()
        except ValueError:
            continue
    return None


def _valid_published(published: str | None) -> str | None:
    if not published:
        return None
    try:
        return date.fromisoformat(published.strip()[:10]).isoformat()
    except ValueError:
        return None


_ANY_DATE = re.compile(_DATE)
# the same, with its parts captured (one scan gives the dates and their values)
_ANY_DATE_PARTS = re.compile(
    r"([0-9]{4})(?<![0-9]{5})\s*(?:年\s*([0-9]{1,2})\s*月\s*([0-9]{1,2})\s*日|[-/.]\s*([0-9]{1,2})\s*[-/.]\s*([0-9]{1,2})(?![0-9.]))"
)


@dataclass(frozen=True, slots=True)
class _Date:
    start: int
    end: int
    iso: str | None  # None: written like a date but impossible (2024-02-30)


def _scan_dates(text: str) -> list[_Date]:
    """Every full date once; the patterns that need one look around these (one scan, not six)."""
    dates = [
        _Date(m.start(), m.end(), _valid(int(m[1]), int(m[2] or m[4]), int(m[3] or m[5])))
        for m in _ANY_DATE_PARTS.finditer(text)
    ]
    # a table of hundreds of dates: its head and its tail (the signature) are what can matter,
    # and every date costs a few look-arounds
    return dates if len(dates) <= _MAX_DATES else dates[: _MAX_DATES - 50] + dates[-50:]


_MAX_DATES = 300


# ---------------------------------------------------------------------------------------
# Sentences: most cues only count inside the sentence (or clause) of a match

_SENTENCE_END = "。；;！？!?\n"
_CLAUSE_END = _SENTENCE_END + "，,：:"


def _span_back(text: str, pos: int, stops: str, limit: int = 200) -> str:
    start = pos
    floor = max(0, pos - limit)
    while start > floor and text[start - 1] not in stops:
        start -= 1
    return text[start:pos]


def _span_forward(text: str, pos: int, stops: str, limit: int = 200) -> str:
    end = pos
    ceiling = min(len(text), pos + limit)
    while end < ceiling and text[end] not in stops:
        end += 1
    return text[pos:end]


def _sentence(text: str, start: int, end: int) -> str:
    return _span_back(text, start, _SENTENCE_END) + text[start:end] + _span_forward(text, end, _SENTENCE_END)


def _snippet(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _EVIDENCE_CHARS else text[: _EVIDENCE_CHARS - 1] + "…"


# ---------------------------------------------------------------------------------------
# Issuers

# full or variant name → the short official name (the form the labels use)
_ORG_SHORT: dict[str, str] = {
    "国家市场监督管理总局": "市场监管总局",
    "国家市场监管总局": "市场监管总局",
    "市场监管总局": "市场监管总局",
    "中国国家认证认可监督管理委员会": "国家认监委",
    "国家认证认可监督管理委员会": "国家认监委",
    "国家认监委": "国家认监委",
    "认监委": "国家认监委",
    "国家标准化管理委员会": "国家标准委",
    "国家标准委": "国家标准委",
    "国家互联网信息办公室": "国家网信办",
    "国家网信办": "国家网信办",
    "工业和信息化部": "工业和信息化部",
    "工信部": "工业和信息化部",
    "国家发展和改革委员会": "国家发展改革委",
    "国家发展改革委": "国家发展改革委",
    "国家卫生健康委员会": "国家卫生健康委",
    "国家卫生健康委": "国家卫生健康委",
    "国家药品监督管理局": "国家药监局",
    "国家药监局": "国家药监局",
    "国家知识产权局": "国家知识产权局",
    "国家林业和草原局": "国家林草局",
    "国家林草局": "国家林草局",
    "国家能源局": "国家能源局",
    "国家邮政局": "国家邮政局",
    "国家铁路局": "国家铁路局",
    "国家消防救援局": "国家消防救援局",
    "国家密码管理局": "国家密码管理局",
    "国家金融监督管理总局": "金融监管总局",
    "金融监管总局": "金融监管总局",
    "中国民用航空局": "中国民航局",
    "中国民航局": "中国民航局",
    "中国人民银行": "中国人民银行",
    "海关总署": "海关总署",
    "公安部": "公安部",
    "生态环境部": "生态环境部",
    "财政部": "财政部",
    "商务部": "商务部",
    "教育部": "教育部",
    "科学技术部": "科技部",
    "科技部": "科技部",
    "农业农村部": "农业农村部",
    "交通运输部": "交通运输部",
    "住房和城乡建设部": "住房城乡建设部",
    "住房城乡建设部": "住房城乡建设部",
    "应急管理部": "应急管理部",
    "水利部": "水利部",
    "民政部": "民政部",
    "司法部": "司法部",
    "人力资源和社会保障部": "人力资源社会保障部",
    "人力资源社会保障部": "人力资源社会保障部",
    "自然资源部": "自然资源部",
    "文化和旅游部": "文化和旅游部",
    "国务院办公厅": "国务院办公厅",
    "国务院": "国务院",
    "中国合格评定国家认可委员会": "中国合格评定国家认可委员会",
    "中国认证认可协会": "中国认证认可协会",
    "中央网信办": "中央网信办",
    "中央网络安全和信息化委员会办公室": "中央网信办",
    "国家质量监督检验检疫总局": "国家质检总局",
    "国家质检总局": "国家质检总局",
    "国家工商行政管理总局": "国家工商总局",
    "国家工商总局": "国家工商总局",
    "国家认证认可监督管理局": "国家认监委",
    "国家质量技术监督局": "国家质量技术监督局",
    "质检总局": "国家质检总局",
}
# an office or department of a known body: 市场监管总局办公厅, 市场监管总局特种设备局
_OFFICE_SUFFIX = rf"(?:办公厅|办公室|秘书处|[{_CJK}]{{2,8}}?(?:局|司))"
# a provincial or city bureau: 浙江省市场监督管理局 → 浙江省市场监管局
_LOCAL_BUREAU = (
    rf"[{_CJK}]{{2,9}}?(?:省|市|自治区|州|盟|县|区)"
    r"(?:市场监督管理局|市场监管局|质量技术监督局|质量和技术监督局|市场监督管理委员会)"
)
# a provincial or city government: 上海市人民政府 (kept as written)
_LOCAL_GOVERNMENT = rf"[{_CJK}]{{2,9}}?(?:省|市|自治区|州|盟|县|区)人民政府"
_KNOWN_ORG = "|".join(re.escape(n) for n in sorted(_ORG_SHORT, key=len, reverse=True))
_ORG = re.compile(
    rf"(?:(?P<local>{_LOCAL_BUREAU})|(?P<government>{_LOCAL_GOVERNMENT})|(?P<known>{_KNOWN_ORG}))(?P<office>{_OFFICE_SUFFIX})?"
)
_ORG_SEPARATORS = re.compile(r"[\s、,，和与及/]+")
_PIECE_SEPARATORS = re.compile(r"[\s、,，/]+")  # 和 may be inside a name (市场和质量监督管理委员会)
_ORG_SUFFIX_GUESS = re.compile(
    rf"^[{_CJK}]{{2,30}}(?:委员会|委|总局|局|部|署|厅|办公室|办|院|中心|协会|人民政府|秘书处|联合会)$"
)
# things a title names before 关于 that are not an issuer (the text is not an issuance)
_TITLE_PREFIX_NOT_ISSUER = re.compile(r"召开|举办|开展|发布|印发|推进|部署|出台|答|解读|专家|负责人|记者")


def short_issuer_name(name: str) -> str:
    """An issuing body's short official name (unknown bodies as written, without spaces)."""
    name = re.sub(r"\s+", "", name)
    match = _ORG.fullmatch(name)
    if not match:
        return name
    return _org_short(match)


def _org_short(match: re.Match[str]) -> str:
    office = match["office"] or ""
    if match["government"]:
        return match["government"] + office
    if match["local"]:
        local = match["local"]
        local = local.replace("市场监督管理局", "市场监管局").replace("市场监督管理委员会", "市场监管局")
        return local + office
    return _ORG_SHORT[match["known"]] + office


def _split_issuers(prefix: str) -> tuple[str, ...] | None:
    """Issuers named in a title prefix ("市场监管总局 国家网信办"), or None if it is not a list
    of bodies."""
    prefix = prefix.strip(" ：:，,")
    if not prefix or _TITLE_PREFIX_NOT_ISSUER.search(prefix):
        return None
    found: list[str] = []
    leftover = prefix
    for match in _ORG.finditer(prefix):
        found.append(_org_short(match))
        leftover = leftover.replace(match.group(), " ", 1)
    if _ORG_SEPARATORS.sub("", leftover) == "":
        return _dedupe(found) or None
    # a body not in our list: accept space/、-separated pieces that each end like an office
    pieces = [p for p in _PIECE_SEPARATORS.split(prefix) if p]
    if pieces and all(_ORG_SUFFIX_GUESS.search(p) for p in pieces):
        return _dedupe(short_issuer_name(p) for p in pieces)
    return None


def _dedupe(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for i in items if i))


_TITLE_TAG = re.compile(r"^(?:[^|｜:：]{1,12}[|｜:：]|【[^】]{1,10}】|\[[^\]]{1,10}\])\s*")
_LEADING_NUMBER = re.compile(r"^[^\s]{1,12}[〔\[【(（][0-9]{4}[〕\]】)）][0-9]{1,4}号\s+")
_TITLE_ISSUER_END = re.compile(r"关于|公告|通告|令\s*第|[0-9]{4}\s*年\s*第|《")


def _issuers_from_title(title: str) -> tuple[tuple[str, ...], str] | None:
    title = _TITLE_TAG.sub("", title)  # "解读 | 市场监管总局 海关总署关于…"
    title = _LEADING_NUMBER.sub("", title)  # "豫政〔2014〕95号 河南省人民政府关于…"
    match = _TITLE_ISSUER_END.search(title)
    if not match or match.start() == 0:
        return None
    found = _split_issuers(title[: match.start()])
    return (found, title[: match.start()]) if found else None


# Lines that come after a signature: notes, copies, contacts, attachments — and a correction
# appended to the published text ("更正说明：原文…更正为…，特此更正。"), which is not a new signer.
_AFTER_SIGNATURE = re.compile(
    r"^(?:[(（].*[)）]$|抄送|联系人|联系电话|附件|[0-9]{1,2}\s*[.、．]|该文件|$|.*\.(?:pdf|docx?|wps|ofd|xlsx?|zip|rar)$"
    r"|(?:更正|勘误)(?:说明|声明|启事|公告)?\s*[:：]|.*特此(?:更正|勘误)[。.]?$)"
)
# signature dates as CMS pages print them, broken ones too ("2020年1218", "201919")
_SIGNATURE_DATE = re.compile(r"(?:[0-9]{4}\s*年\s*[0-9]{1,2}\s*月(?:\s*[0-9]{1,2}\s*日?)?|[0-9]{4}\s*年?\s*[0-9]{2,4}|[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2})\s*[。.]?$")
_ORG_AT_LINE_END = re.compile(
    rf"(?:(?P<local>{_LOCAL_BUREAU})|(?P<government>{_LOCAL_GOVERNMENT})|(?P<known>{_KNOWN_ORG}))(?P<office>)$"
)


def _issuers_from_signature(body: str) -> tuple[tuple[str, ...], str] | None:
    """Bodies signed at the end: "…特此公告。\\n市场监管总局 国家网信办\\n2024年5月20日"."""
    lines = [line.strip() for line in body.rstrip().split("\n")[-40:]]
    while len(lines) > 1 and _AFTER_SIGNATURE.match(lines[-1]):
        lines.pop()  # "（此件公开发布）", "抄送：…", an attachment list come after the signature
    if not lines:
        return None
    dated = _SIGNATURE_DATE.search(lines[-1])
    if not dated:
        return None
    signer = lines[-1][: dated.start()].strip()
    if not signer:  # the date on a line of its own: the signer is the line above
        above = [line for line in lines[:-1] if line]
        signer = above[-1] if above else ""
    signer = re.sub(r"[(（][^()（）]*[)）]\s*$", "", signer).strip()  # 河南省市场监督管理局(省知识产权局)
    if not signer:
        return None
    found = _split_issuers(signer) if len(signer) <= 60 else None
    if not found:
        tail = _ORG_AT_LINE_END.search(signer)  # "…附件.zip济宁市市场监督管理局2023年9月9日"
        found = (_org_short(tail),) if tail else None
    return (found, signer + " " + dated.group()) if found else None


# ---------------------------------------------------------------------------------------
# Document type


_CORRECTION = re.compile(r"更正|勘误")
_CALL_FOR_COMMENTS = re.compile(r"征求意见|征求[^。]{0,40}意见|意见稿|征询意见|公开征集意见")
_INTERPRETATION = re.compile(r"解读|释义|问答|答记者问|答问|答疑|回复|答复")
# "市场监管总局发布《…》", "…名单发布": a headline reporting a text, not the text itself
_HEADLINE_VERB = re.compile(r"(?:发布|公布|出台)(?!日期|时间|之日)")
_ORDER_IN_TITLE = re.compile(r"令\s*第\s*[0-9]+\s*号|第\s*[0-9]+\s*号\s*令")
_LIST_WORD = re.compile(r"(?:名单|目录|名录)$")
_RULES_WORD = re.compile(r"(?:办法|规定|细则|指南|要求|规则)$|实施规则|实施细则")
_ISSUING_VERB = re.compile(r"(?:发布|印发|公布|颁布|修订|修订发布|修改|出台|施行|实施)\s*$")
_TITLE_TAIL = re.compile(r"(?:的)?(?:公告|通知|通告|函|决定|批复)\s*(?:[(（].*[)）])?\s*$")
_BRACKETED_NAME = re.compile(r"《([^《》]{1,120})》")


def _doc_type(title: str, body: str) -> tuple[str, str]:
    """(doc type, the words that decided it): from the title, else from the body's head."""
    if not title.strip():
        return _doc_type_from_body(body)
    match = _CORRECTION.search(title)
    if match:
        return "correction", match.group()
    headline = _HEADLINE_VERB.search(title)
    if headline and "关于" not in title[: headline.start()] and not _INTERPRETATION.search(title):
        return "news", headline.group()
    for kind, pattern in (("call-for-comments", _CALL_FOR_COMMENTS), ("interpretation", _INTERPRETATION)):
        match = pattern.search(title)
        if match:
            return kind, match.group()
    objects = _issued_objects(title)
    for obj in objects:
        if _LIST_WORD.search(obj):
            return "list", obj
    for obj in objects:
        if _RULES_WORD.search(obj):
            return "rules", obj
    match = _ORDER_IN_TITLE.search(title)
    if match:
        return "rules", match.group()
    if "公告" in title:
        return "announcement", "公告"
    match = re.search(r"通知|通告", title)
    if match:
        return "notice", match.group()
    # a title cut short ("…关于下达…计划") or one with no type word at all (a portal's or a spam
    # page's own headline over the text): the body says what it is
    kind, cue = _doc_type_from_body(body)
    if kind == "news":
        return "news", ""
    if "关于" in title or _BODY_CALL_NOW.search(body[:800]):
        return kind, cue
    # a headline of the site's own over a third-person story about a text stays news
    signed = _issuers_from_signature(body) is not None
    return (kind, cue) if not _is_reporter_story(body, signed=signed) else ("news", "")


_REPORTER = re.compile(
    r"记者|本报讯|[报网刊]讯|日电|获悉|据[^。\n]{0,12}(?:消息|报道)|核心提示|导读|通讯员|新闻通气会|发布会上"
)
_OFFICIAL = re.compile(
    r"(?m)^\s*各[^。\n]{1,80}[:：]\s*$|我局|我委|我厅|我院|本局|本委|特此(?:公告|通知|通告|公示|函告)|现予以?公示|现[^。\n]{0,40}(?:通知如下|公告如下|印发给你们|予以公布|予以公告)"
)
_BODY_CALL = re.compile(r"现[^。\n]{0,200}?征求[^。\n]{0,12}意见|征求意见稿[^。\n]{0,60}(?:反馈|提出)")
_BODY_ISSUES = re.compile(
    r"现(?:予以?|正式)?(?:发布|公布|印发)\s*《(?P<name>[^《》]{1,120})》"
    r"|(?:现将|制订了|制定了|修订了|编制了|制订|制定)\s*《(?P<name2>[^《》]{1,120})》[^。\n]{0,20}(?:印发|发布|公布|予以公告)"
    r"|(?P<name3>实施规则|实施细则|管理办法|规定|指南)\s*(?:予以|现予)(?:公告|公布|发布)"
)
# the text itself asking for comments now ("现…公开征求意见"), not a story saying someone did
_BODY_CALL_NOW = re.compile(r"现[^。\n]{0,200}?征求[^。\n]{0,12}意见")
_BODY_ORDER = re.compile(r"令\s*第\s*[0-9]+\s*号|现予公布")
# a text made of articles is a rule: "第一章 总则\n第一条 为规范…\n第二条 …"
_ARTICLES = re.compile(r"(?m)^\s*第一条(?=[\s\S]{1,600}?^\s*第二条)")
_BODY_CLOSING = re.compile(r"特此(公告|通知|通告)")


def _is_reporter_story(body: str, *, signed: bool) -> bool:
    """A news item written about texts, not an official text (公示, 实施意见) typed news."""
    if _REPORTER.search(body[:200]):
        # a story that reproduces the whole text, closing and signature included, carries it
        return not (signed and _BODY_CLOSING.search(body))
    return not (signed or _OFFICIAL.search(body) or _BODY_CLOSING.search(body) or _ARTICLES.search(body[:800]))


_EMBEDDED_TITLE = re.compile(r"[^。；;，,!?！？:：]{0,40}关于[^。；;，,]{2,90}?的?(?:公告|通知|通告)(?:[(（][^()（）]{0,20}[)）])?")
_QUESTIONS = re.compile(r"(?m)^[^\n]{2,80}[?？]\s*$|^\s*问\s*[:：]")
_ANSWER = re.compile(r"(?m)^\s*答\s*[:：]")
_NOTICE_AS_FOLLOWS = re.compile(r"(公告|通知|通告)如下")
_ADDRESSEES = re.compile(r"^[^。\n]{0,40}各[^。\n]{0,600}?[:：]\s*\n")


def _embedded_title(head: str) -> str | None:
    """A title line (or two) near the top of a body: "…关于…的通知", not inside a sentence."""
    lines = [line.strip() for line in head.split("\n")[:12] if line.strip()]
    for i, line in enumerate(lines):
        for candidate in (line, line + (lines[i + 1] if i + 1 < len(lines) else "")):
            if len(candidate) <= 120 and _EMBEDDED_TITLE.fullmatch(candidate) and "根据" not in candidate:
                return candidate
    return None


def _doc_type_from_body(body: str) -> tuple[str, str]:
    """A text stored without its title (or with a cut one): what its head says it is."""
    head = body[:800]
    embedded = _embedded_title(head)
    if embedded:  # the title repeated at the top of the body
        kind, cue = _doc_type(embedded, "")
        if kind != "news":
            return kind, cue
    if len(_QUESTIONS.findall(head)) >= 2 or _ANSWER.search(head):
        return "interpretation", "问/答"
    if _REPORTER.search(body[:200]):
        return "news", ""
    match = _BODY_CALL.search(head)
    if match:
        return "call-for-comments", match.group()
    match = _BODY_ISSUES.search(head)
    if match:
        name = _TRAILING_NOTE.sub("", match["name"] or match["name2"] or match["name3"])
        if _LIST_WORD.search(name):
            return "list", match.group()
        if _RULES_WORD.search(name):
            return "rules", match.group()
    match = _BODY_ORDER.search(body[:300]) or _ARTICLES.search(head)
    if match:
        return "rules", match.group()
    if _WORD_SERIAL_HINT.search(head) and (match := _WORD_SERIAL.search(head)):
        # a law's history: "…台内消字第1120827499号令订定发布全文10条" (a 令 issues a rule)
        return ("rules" if match["kind"] == "令" else "announcement" if match["kind"] == "公告" else "notice"), match.group()
    match = _BODY_CLOSING.search(body) or _NOTICE_AS_FOLLOWS.search(head)
    if match:
        return ("announcement" if match[1] == "公告" else "notice"), match.group()
    match = _ADDRESSEES.search(head)
    if match:
        return "notice", match.group()[:20]
    return "news", ""


def _issued_objects(title: str) -> list[str]:
    """What a title issues: 《names》 after 发布/印发…, and the title's own stem
    ("关于公布…名单的公告" → "公布…名单"; "…实施规则" → itself)."""
    objects: list[str] = []
    for match in _BRACKETED_NAME.finditer(title):
        if _ISSUING_VERB.search(title[max(0, match.start() - 6) : match.start()]):
            objects.append(_TRAILING_NOTE.sub("", match[1]))
    if "关于" not in title:  # the title is the text's own name: "…管理办法", "第117号令《…规定》"
        if _names_only(title):  # not a headline about it: "《…办法》将于12月起施行"
            objects.extend(_TRAILING_NOTE.sub("", m[1]) for m in _BRACKETED_NAME.finditer(title))
        stem = _TRAILING_NOTE.sub("", _TITLE_TAIL.sub("", title))
        if stem and not stem.endswith("》"):
            objects.append(stem)
        return objects
    stem = _TRAILING_NOTE.sub("", _TITLE_TAIL.sub("", title).split("关于", 1)[1]).strip()
    if stem and not stem.endswith("》"):
        if _ISSUING_AT_START.match(stem):
            objects.append(stem)  # "关于发布…实施要求的公告"; not "关于清理…认证规则的通知"
        elif _LIST_WORD.search(stem):
            objects.append(stem)  # "关于优化强制性产品认证目录的公告": a list whatever the verb
    return objects


def _names_only(title: str) -> bool:
    """Whether a title is 《names》 with at most its number, its issuer or a note beside them
    ("国家认监委2014年第50号公告《…的公告》", "第117号令《…规定》") — not a headline about them."""
    outside = _BRACKETED_NAME.sub("", title)
    return not _BESIDE_NAMES.sub("", outside).strip(" \t:：-—|｜….。,，")


# what a title may hold beside its 《names》: notes, numbers, issuers, 公告/令
_BESIDE_NAMES = re.compile(
    r"[(（][^()（）]*[)）]|[0-9]{4}\s*年?\s*第\s*[0-9]+\s*号|第\s*[0-9]+\s*号|"
    rf"[{_CJK}]{{0,12}}[〔\[【(（][0-9]{{4}}[〕\]】)）][0-9]{{1,4}}号|{_KNOWN_ORG}|公告|令|\s+"
)


_ISSUING_AT_START = re.compile(r"(?:发布|印发|公布|颁布|修订|出台|下达)")


# "（2023年修订）", "（第一批）", "的公示", "第163号" after the thing a title names
_TRAILING_NOTE = re.compile(r"(?:\s*(?:[(（][^()（）]*[)）]|的?公示|的?公布|第\s*[0-9]+\s*号令?|\(全文\)))+\s*$")


# ---------------------------------------------------------------------------------------
# Document numbers

_OPEN = r"[〔\[【(（﹝]"
_CLOSE = r"[〕\]】)）﹞]"
# Found from the bracketed year (cheap to search for); the prefix is read backwards from it.
_BRACKET_NUMBER = re.compile(
    rf"{_OPEN}\s*(?P<year>(?:19|20)[0-9]{{2}})\s*{_CLOSE}\s*(?P<serial>[0-9]{{1,4}})\s*号"
)
_PREFIX_MAX = 12
_YEAR_SERIAL = re.compile(r"(?P<year>(?:19|20)[0-9]{2})(?<![0-9]{5})\s*(?P<nian>年?)\s*第\s*(?P<serial>[0-9]{1,4})\s*号(?P<post>\s*(?:公告|通告|令))?")
_ORG_AT_END = re.compile(rf"(?P<org>(?:{_KNOWN_ORG}|{_LOCAL_BUREAU}|{_LOCAL_GOVERNMENT}))\s*$")
_ORG_BEFORE_SERIAL = re.compile(
    rf"(?P<org>(?:(?:中华人民共和国)?(?:{_KNOWN_ORG}|{_LOCAL_BUREAU})(?:办公厅|办公室|秘书处)?[\s、和与]*)+)?(?P<kw>公告|通告|令)?\s*[(（]?\s*$"
)
# Words that make a number somebody else's when they come before it in its clause.
_CITING_CUE = re.compile(
    r"根据|依据|按照|依照|参照|参见|详见|贯彻|落实|执行|废止|废除|替代|代替|取代|修订|修改|见|原|前期|已于|此前|对照"
)
# ... or right after it ("…2019年第6号公告发布的…", "…〔2019〕6号文件要求").
_CITED_AFTER = re.compile(r"\s*(?:公告|通告|令|文件|文)?\s*(?:的|发布|印发|公布|规定|要求|中|所|有关|相关|明确|精神|等|同时废止|废止|予以废止|作废|停止执行)")
_PREFIX_NOT_PART = re.compile(r"^(?:.*?(?:根据|依据|按照|依照|参照|详见|参见|执行|落实|贯彻|废止|文号|字号|印发|发布|公布|关于|和|及|与|的|即|见))")
# a flattened title runs into its number: "…工作的通知新市监办信〔2021〕2号"
_TYPE_WORD_BEFORE = re.compile(r"^(?:通知|通告|公告|意见|决定|批复|办法|方案)(?=\S{2})")


def _number_prefix(run: str) -> str:
    """The issuer part of a number: the run of characters before it, less the words that end a
    sentence before it (根据…, …的) and a title's type word glued to it."""
    return _TYPE_WORD_BEFORE.sub("", _PREFIX_NOT_PART.sub("", run))


_NUMBER_LABEL = re.compile(r"(?:发文字号|发文号|文号|字号|编号)\s*[:：】\]|]?\s*$")


@dataclass(frozen=True, slots=True)
class _NumberCandidate:
    value: str | None  # None: a bare "2024年第11号" still to be completed with the issuer
    year: str
    serial: str
    post: str  # 公告 / 令 / "" written after 号
    in_title: bool
    start: int
    end: int
    snippet: str
    bare: str = ""  # "2024年第11号" as written, without spaces


def _is_cited(text: str, start: int, end: int) -> bool:
    if text[start : start + 1] in ("(", "（"):
        start += 1  # a candidate read with its opening bracket: "《…》（2019年第6号）"
    before = _span_back(text, start, _SENTENCE_END, limit=60)
    # inside parentheses that follow a 《name》: 《…》（2020年修订，市场监管总局令第61号）
    paren = max(before.rfind("("), before.rfind("（"))
    if paren >= 0 and ")" not in before[paren:] and "）" not in before[paren:]:
        head = before[:paren].rstrip()
        if head.endswith("》") or head.endswith("”") or head.endswith('"'):
            return True
    clause = _span_back(text, start, _CLAUSE_END, limit=40)
    if _CITING_CUE.search(clause):
        return True
    after = text[end : end + 8]
    return bool(_CITED_AFTER.match(after)) and not _NUMBER_LABEL.search(before)


def _stands_alone(text: str, start: int, end: int) -> bool:
    """A number on a line of its own, after 文号：, in a promulgation line or a file name:
    its own whatever words follow it ("…令第43号公布")."""
    before_line = _span_back(text, start, "\n", limit=200)
    if _NUMBER_LABEL.search(before_line):
        return True
    rest = before_line + _span_forward(text, end, "\n", limit=200)
    rest_bare = re.sub(r"[\s()（）:：]", "", rest)
    return not rest_bare or bool(_PROMULGATED.fullmatch(rest_bare)) or bool(_FILE_NAME_AFTER.match(text, end))


def _own_position(text: str, start: int, end: int, title: str) -> bool:
    """Whether a number in the body stands where a text shows its own number."""
    before_line = _span_back(text, start, "\n", limit=200)
    after_line = _span_forward(text, end, "\n", limit=200)
    if _NUMBER_LABEL.search(before_line):
        return True
    rest = (before_line + after_line).strip(" \t()（）:：")
    rest_bare = re.sub(r"[\s()（）]", "", rest)
    title_bare = re.sub(r"[\s()（）]", "", title)
    if len(rest_bare) <= 20 and (not rest_bare or rest_bare in title_bare or _ORG.fullmatch(rest_bare) or _ORG_BEFORE_SERIAL.fullmatch(rest_bare)):
        return True
    if rest_bare and title_bare and rest_bare.startswith(title_bare[: max(8, len(title_bare) - 4)]):
        return True  # the title repeated at the top of the body, number after it
    if start < 60 and not re.search(r"[。，,；;:：]", text[:start]) and not _LIST_ITEM.match(before_line):
        return True  # flattened header: the number comes before the first sentence (not in "一、…")
    if _PROMULGATED.fullmatch(rest_bare):
        return True  # "（2016年9月5日上海市人民政府令第43号公布）" under a rule's name
    return bool(_FILE_NAME_AFTER.match(text, end))  # "附件：…的函（浙市监函〔2020〕61号）.pdf"


_LIST_ITEM = re.compile(r"\s*(?:[一二三四五六七八九十]+\s*[、.．]|[(（]\s*[一二三四五六七八九十0-9]+\s*[)）]|[0-9]+\s*[、.．])")
# what else a promulgation line under a rule's name says: "（2003年4月3日…局务会议审议通过
# 2003年4月24日…令第46号公布 自2003年6月1日起施行）", "（…令第15号发布自发布之日起施行）"
_PROMULGATED = re.compile(
    rf"(?:(?:{_DATE})?[^()（）《》。，,]{{0,40}}?(?:会议|会)(?:审议|讨论)?通过)?(?:{_DATE})?(?:公布|发布|印发)?[?？]*"
    rf"(?:自?(?:{_DATE}|(?:发布|公布)之日)起?(?:施行|实施))?|《[^《》]+》"
)
_FILE_NAME_AFTER = re.compile(r"\s*[)）]?\s*\.(?:pdf|docx?|wps|ofd|xlsx?|zip|rar)\b", re.IGNORECASE)


_MAX_CANDIDATES = 200  # per kind and text: an own number is near the top or the bottom


def _number_candidates(text: str, in_title: bool) -> list[_NumberCandidate]:
    found: list[_NumberCandidate] = []
    taken = bytearray(len(text) + 1)  # characters already inside a found number

    def take(start: int, end: int) -> None:
        taken[start:end] = b"\x01" * (end - start)

    for match in islice(_BRACKET_NUMBER.finditer(text), _MAX_CANDIDATES):
        head_end = match.start()
        while head_end > 0 and text[head_end - 1] in " \t":
            head_end -= 1
        prefix = _number_prefix(text[_run_start(text, head_end, _PREFIX_MAX) : head_end])
        if not prefix:
            continue
        value = f"{prefix}〔{match['year']}〕{int(match['serial'])}号"
        start = head_end - len(prefix)
        found.append(_NumberCandidate(value, match["year"], match["serial"], "", in_title, start, match.end(), text[start : match.end()]))
        take(start, match.end())
    for match in islice(_YEAR_SERIAL.finditer(text), _MAX_CANDIDATES):
        if taken[match.start()]:
            continue
        if not match["nian"] and not _stands_alone(text, match.start(), match.end()):
            continue  # "2015第54号" without 年 is a number only on a line of its own
        post = re.sub(r"\s+", "", match["post"] or "")
        head = _ORG_BEFORE_SERIAL.search(text[max(0, match.start() - 40) : match.start()].split("\n")[-1])
        org = re.sub(r"\s+", "", head["org"]) if head and head["org"] else ""
        kw = head["kw"] if head and head["kw"] else ""
        start = match.start() - (len(head.group()) if head else 0)
        serial_part = f"{match['year']}年第{int(match['serial'])}号"
        prefixed = f"{org.strip('、和与')}{kw}{serial_part}{post}" if org else None
        bare = re.sub(r"\s+", "", match.group()[: match.start("post") - match.start()] if match["post"] else match.group())
        found.append(
            _NumberCandidate(prefixed, match["year"], match["serial"], post or kw, in_title, start, match.end(), text[start : match.end()], bare)
        )
        take(match.start(), match.end())
    for match in islice(_SERIAL.finditer(text), _MAX_CANDIDATES):
        if taken[match.start()]:
            continue
        candidate = _serial_candidate(text, match, in_title)
        if candidate is not None:
            found.append(candidate)
    if "/" in text:
        for match in islice(_SLASH_NUMBER.finditer(text), _MAX_CANDIDATES):
            # a title that is the number, or a line of its own at the top of a paper
            if (in_title and match.start() == 0) or _stands_alone(text, match.start(), match.end()):
                value = re.sub(r"\s+", "", match.group())
                found.append(_NumberCandidate(value, "", "", "", in_title, match.start(), match.end(), match.group()))
    found.sort(key=lambda c: c.start)
    return found


# numbers written with a slash: Macau's laws and regulations (第38/2023号行政法规, 第1/98/M号法律)
# and Hong Kong's council papers (立法局CB(1)406/96-97号文件)
_SLASH_NUMBER = re.compile(
    r"第[^\S\n]*[0-9]{1,4}/(?:19|20)?[0-9]{2}(?:/[A-Z])?[^\S\n]*号[^\S\n]*(?:法律|行政法规|法令|批示|公告)"
    rf"|[{_CJK}]{{0,6}}[A-Z]{{1,4}}[^\S\n]*\([0-9]\)[^\S\n]*[0-9]{{1,5}}/[0-9]{{2}}-[0-9]{{2}}[^\S\n]*号[^\S\n]*文件"
)


# 第N号 of an order (令) and its forms as written: 国家市场监督管理总局令第61号, 政府令第182号,
# 总局第132号令, 国家质量监督检验检疫总局 第75号, or 第63号 alone under a heading.
_SERIAL = re.compile(r"第[^\S\n]*(?P<serial>[0-9]{1,4})[^\S\n]*号(?P<order>[^\S\n]*令)?")
_ORDER_BEFORE = re.compile(r"令[^\S\n]*(?:[(（][^\S\n]*(?P<year>[0-9]{4})[^\S\n]*年[^\S\n]*[)）][^\S\n]*)?$")
_ORG_LIKE_END = re.compile(r"(?:委员会|委|总局|局|部|署|厅|政府|办公室)$")
_ORDER_PREFIX_MAX = 24


def _run_start(text: str, end: int, limit: int, floor: int = 0) -> int:
    """Where the run of Chinese characters that ends at ``end`` starts (at most ``limit`` back,
    never before ``floor``)."""
    start = end
    floor = max(floor, end - limit)
    while start > floor and _is_cjk(text[start - 1]):
        start -= 1
    return start


def _serial_candidate(text: str, match: re.Match[str], in_title: bool) -> _NumberCandidate | None:
    serial = int(match["serial"])
    line_before = _after_last_date(_span_back(text, match.start(), "\n", limit=60))
    line_start = match.start() - len(line_before)
    order = _ORDER_BEFORE.search(line_before)
    if order:  # …令第N号
        ling = line_start + order.start()
        prefix = _number_prefix(text[_run_start(text, ling, _ORDER_PREFIX_MAX, line_start) : ling])
        year = f"{order['year']}年" if order["year"] else ""
        value, start = f"{prefix}令{year}第{serial}号", ling - len(prefix)
    else:
        head_end = match.start()
        while head_end > line_start and text[head_end - 1] in " \t":
            head_end -= 1
        prefix = _number_prefix(text[_run_start(text, head_end, _ORDER_PREFIX_MAX, line_start) : head_end])
        if match["order"]:  # …第N号令
            value, start = f"{prefix}第{serial}号令", head_end - len(prefix)
        elif prefix and _ORG_LIKE_END.search(prefix):  # 国家质量监督检验检疫总局 第75号
            value, start = f"{prefix}第{serial}号", head_end - len(prefix)
        else:  # 第N号 alone: only where a heading or a title puts it
            alone = _stands_alone(text, match.start(), match.end())
            title_end = in_title and not text[match.end() :].strip(" )）")
            if not (alone or title_end):
                return None
            value, start = f"第{serial}号", match.start()
    return _NumberCandidate(value, "", match["serial"], "令", in_title, start, match.end(), text[start : match.end()])


def _after_last_date(window: str) -> str:
    """"2016年9月5日上海市人民政府" → "上海市人民政府" (an org name never starts with a date)."""
    last = None
    for last in _ANY_DATE.finditer(window):
        pass
    return window[last.end() :] if last else window


def _doc_number(title: str, body: str, *, correction: bool = False, explaining: bool = False) -> tuple[str | None, str]:
    """``correction``: a 更正 names the text it corrects in its body ("…2024年第20号公告原定…"),
    so only a number standing on its own line there is the correction's own.  ``explaining``: an
    interpretation's title names the text it explains ("《…公告》（2024年第20号）的解读"): only a
    number on a line of its own in the body (a repost of the text under its heading) is its own."""
    for candidate in [] if explaining else _number_candidates(title, True):
        # "《…办法》（总局令第178号）" names the title's own text; "关于贯彻《…》（国认监〔2019〕6号）…" cites
        if "关于" in title and _is_cited(title, candidate.start, candidate.end):
            continue
        if _CITING_CUE.search(_span_back(title, candidate.start, _CLAUSE_END, limit=40)):
            continue
        return _complete(candidate), candidate.snippet
    own = [
        c
        for c in _number_candidates(body, False)
        if (_stands_alone(body, c.start, c.end) if correction or explaining else _is_own_in_body(body, c, title))
    ]
    if not own:
        labelled = _labelled_order(body)
        return labelled if labelled[0] else _promulgating_serial(body)
    # an order's number is written several ways (文书字号：…总局第119号, …总局令第119号公布): the
    # 令 form is the official one
    chosen = next(
        (c for c in own if c.value and _BARE_SERIAL.fullmatch(c.value)),  # 第20号 under the 令 heading
        next((c for c in own if "令" in (c.value or "")), own[0]),
    )
    return _complete(chosen), chosen.snippet


_BARE_SERIAL = re.compile(r"第[0-9]+号")
# a law site's metadata whose order number lost its 号: "【发布文号】 质检总局令第36"
_LABELLED_ORDER = re.compile(
    r"(?:发文字号|发布文号|发文号|文号)\s*[:：】\]|]?[^\S\n]*(?P<number>[^\s|:：]{0,24}令[^\S\n]*第[^\S\n]*[0-9]{1,4})[^\S\n]*(?=\n|$)"
)


# Taiwan's 字號: "<date><body>台内消字第1120827499号令订定发布…" — the order, letter or notice
# that issued or amended the text (a law's history lists them oldest first: the last one is
# the version shown).  The issuing body's name before the 字 word is not part of the number.
_WORD_SERIAL = re.compile(
    rf"(?P<head>[{_CJK}]{{1,24}}?)字\s*第\s*(?P<serial>[0-9]{{3,12}})\s*号\s*(?P<kind>令|函|公告)"
    r"(?=[^。；;\n]{0,12}?(?:订定|修正|发布|公布|废止|核定|施行))"
)
_WORD_SERIAL_HINT = re.compile(r"字\s*第\s*[0-9]")
_BODY_NAME = re.compile(r"^(?:总统|[\u4e00-\u9fff]+?(?:委员会|部|局|院|署|会|府|厅|处))(?=[\u4e00-\u9fff])")


def _promulgating_serial(body: str) -> tuple[str | None, str]:
    if not _WORD_SERIAL_HINT.search(body):
        return None, ""  # a literal first: the pattern itself starts at every Chinese character
    last = None
    for last in islice(_WORD_SERIAL.finditer(body), _MAX_CANDIDATES):
        pass
    if last is None:
        return None, ""
    line = _span_back(body, last.end("head"), "\n", limit=80)
    word = _after_last_date(line)[-len(last["head"]) :]  # "…28日总统华总一义字" → "总统华总一义"
    while (name := _BODY_NAME.match(word)) is not None:
        word = word[name.end() :]  # 经济部标准检验局经标检政 → 经标检政
    return f"{word}字第{int(last['serial'])}号", _sentence(body, last.start(), last.end())


def _labelled_order(body: str) -> tuple[str | None, str]:
    match = _LABELLED_ORDER.search(body[:800]) or _LABELLED_DASHED.search(body[:400])
    if not match:
        return None, ""
    return re.sub(r"\s+", "", match["number"]), match.group()


# a listed company's own announcement number after its label: "编号:临2008-001"
_LABELLED_DASHED = re.compile(r"(?:公告编号|编号|文号)\s*[:：]\s*(?P<number>[\u4e00-\u9fffA-Za-z]{0,3}(?:19|20)[0-9]{2}-[0-9]{2,4})(?![0-9-])")


# "国家认监委2009年第42号公告《关于…的公告》": the number followed by its own title
_OWN_TITLE_AFTER = re.compile(r"\s*《[^《》]{2,80}(?:公告|通知|通告|决定)》")


# "附件：国家认监委2019年第6号公告" at the end names an attached text, not this one (a file
# name "…（浙市监函〔2020〕61号）.pdf" is read as own before this rule)
_ATTACHMENT_LINE = re.compile(r"\s*附件\s*[0-9一二三四五六七八九十]*\s*[:：.、]?")


def _is_own_in_body(body: str, candidate: _NumberCandidate, title: str) -> bool:
    if _under_basis_heading(body, candidate.start):
        return False
    if _stands_alone(body, candidate.start, candidate.end):
        return True
    if _promulgated_under_name(body, candidate, title):
        return True
    if _INTRO_THEN_TEXT.match(body, candidate.end) and body[max(0, candidate.start - 4) : candidate.start + 1].rstrip(" (（").endswith("》"):
        return True  # the intro names the text it gives next, with its number
    if _is_cited(body, candidate.start, candidate.end):
        return False
    tail = (
        len(body) - candidate.end < 150
        and "。" not in body[candidate.end :].rstrip("。 \n")
        and not _ATTACHMENT_LINE.match(_span_back(body, candidate.start, "\n", limit=200))
    )
    if tail or _own_position(body, candidate.start, candidate.end, title):
        return True
    return bool(_OWN_TITLE_AFTER.match(body, candidate.end)) and candidate.post in ("公告", "通告")


# "五、上报依据\n《…的决定》（质检总局令第164号）": the documents a text rests on, listed under a heading
_BASIS_HEADING = re.compile(r"(?:依据|根据|参考文件|相关文件|引用文件|政策文件)\s*[:：]?\s*\n\s*$")


def _under_basis_heading(body: str, start: int) -> bool:
    line_start = body.rfind("\n", 0, start)
    if line_start < 0:
        return False
    return bool(_BASIS_HEADING.search(body, max(0, line_start - 30), line_start + 1))


# a repost's intro naming the text it reproduces: "…发布《…的公告》(2018年第29号公告),详情如下:"
_INTRO_THEN_TEXT = re.compile(r"\s*(?:公告|通告|令)?\s*[)）]\s*[,，]?\s*(?:详情|全文|原文|具体内容|内容)如下\s*[:：]")
# "（2015年4月9日国家质量监督检验检疫总局令第163号公布，根据2021年…修改）" under the rule's name
_PROMULGATION_OPEN = re.compile(rf"[(（]\s*(?:{_DATE})?\s*$")


def _promulgated_under_name(body: str, candidate: _NumberCandidate, title: str) -> bool:
    if not re.match(r"\s*(?:公布|发布)", body[candidate.end : candidate.end + 4]):
        return False
    opening = _PROMULGATION_OPEN.search(body, max(0, candidate.start - 20), candidate.start)
    if not opening:
        return False
    name = re.sub(r"\s+", "", body[max(0, opening.start() - 80) : opening.start()]).split("。")[-1]
    title_bare = re.sub(r"\s+", "", title)
    return bool(name) and (name == title_bare or (len(name) <= 40 and opening.start() < 120 and bool(_RULES_WORD.search(name))))


def _complete(candidate: _NumberCandidate) -> str:
    """A number is given as written: a bare "2024年第11号" (after a title's 公告, under a heading
    公告, or as a title "2018年第6号公告") stays bare — the labelling guide's rule, no issuer
    prefix is invented (``issuers`` says who issued it)."""
    return candidate.value if candidate.value is not None else candidate.bare


# ---------------------------------------------------------------------------------------
# Effective date

_TAKES_EFFECT = r"(?:正式|全面|开始|统一)?\s*(?:施行|实施|执行|生效|启用)"
_EFFECTIVE_AFTER_DATE = re.compile(rf"\s*(?:起|开始)?\s*(?:(?:发布|公布|印发)\s*并?\s*)?{_TAKES_EFFECT}(?!\s*(?:日期|时间))")
# "施行日期：…", and the metadata tables of law sites: "生效日期 | 2012-03-08", "【生效日期】\n2003-02-01"
_EFFECTIVE_LABEL = re.compile(rf"(?:施行|实施|生效)(?:日期|时间)[\s|:：】\]]*(?:为|是)?\s*(?P<date>{_DATE})")
_ON_PUBLICATION = (
    r"自\s*(?:本?(?:公告|通知|通告|办法|规定|规则|细则|决定|文件|标准|指南|要求))?\s*"
    r"(?:发布|公布|印发|发文|签发|下发|公告)\s*(?:之日起|之日|日起|日(?=\s*(?:施行|实施|生效)))"  # 自发布日施行 (Taiwan)
)
_EFFECTIVE_ON_PUBLICATION = re.compile(rf"{_ON_PUBLICATION}\s*{_TAKES_EFFECT}|现予(?:以)?(?:发布|公布|印发)(?:施行|实施)")
# Measures that apply from a day without the word 施行: "自公告发布之日起，撤销…",
# "自2009年9月1日起，各指定认证机构颁发…" (weaker than an explicit 施行; not a cut-over's 不得…)
_APPLIES_ON_PUBLICATION = re.compile(rf"{_ON_PUBLICATION}(?![^。；;\n]{{0,6}}?[0-9一二三四五六七八九十]+\s*(?:个)?(?:日|天|月|工作日)内)")
_APPLIES_FROM = re.compile(r"\s*起\s*[,，]")
_SUBJECT_THEN_EFFECT = re.compile(rf"\s*(?:起|开始)\s*[,，]?\s*(?:该|本|新版|上述|新)[^。；;\n,，]{{0,12}}?{_TAKES_EFFECT}")
# A correction moves a date: "“自2024年6月1日起施行”更正为“自2024年7月1日起施行”", "“本公告自…”
# 应为“本公告自…”", "实施日期“2024年6月1日”更正为“2024年7月1日”", "原定自…施行，现推迟至…".
_CORRECTION_VERB = r"(?:应?更正为|应?改为|修改为|调整为|变更为|更改为|应为|推迟至|延期至|延迟至|推迟到|延期到)"
_CORRECTED_TO = re.compile(
    rf"{_CORRECTION_VERB}\s*[“\"「'‘]?\s*(?:本(?:公告|通知|通告|办法|规定|规则|细则|决定|指南|目录|标准|要求))?\s*(?:自|从|于|由)?\s*$"
)
_CORRECTED_FROM = re.compile(rf"^\s*[”\"」'’]?\s*(?:有误\s*[,，]?\s*)?(?:现\s*)?{_CORRECTION_VERB}")
_DATE_WORDS = re.compile(r"施行|实施|生效|执行")
_OWN_SUBJECT = re.compile(r"本(?:公告|通知|通告|办法|规定|规则|实施规则|细则|决定|文件|标准|指南|要求|目录|方案|意见)")


def _effective_date(text: str, dates: list[_Date], published: str | None, *, cutover: bool = False) -> tuple[str | None, str]:
    """``cutover``: the text has a cut-over date (自D起…不得出厂); then a "自D起，…" without
    施行 is when the transition starts (受理认证委托), not when the text takes effect."""
    issued = _issued_names(text)
    ranked: list[tuple[int, int, str, str]] = []  # (rank, position, date, snippet): lowest wins
    spans: list[tuple[int, int, str | None, bool]] = []  # (start, end, date, explicit 施行)
    for d in dates:
        if not d.iso:
            continue
        if m := _EFFECTIVE_AFTER_DATE.match(text, d.end) or _SUBJECT_THEN_EFFECT.match(text, d.end):
            spans.append((d.start, m.end(), d.iso, True))
        elif (m := _APPLIES_FROM.match(text, d.end)) and text[d.start - 1 : d.start] == "自":
            if not _CUTOVER.match(text, d.start):
                spans.append((d.start - 1, m.end(), d.iso, False))
        elif _CORRECTED_TO.search(text, max(0, d.start - 20), d.start) and _DATE_WORDS.search(_sentence(text, d.start, d.end)):
            spans.append((d.start, d.end, d.iso, True))  # "实施日期“2024年6月1日”更正为“2024年7月1日”"
    spans += [(m.start(), m.end(), _iso(m["date"]), True) for m in islice(_EFFECTIVE_LABEL.finditer(text), _MAX_CANDIDATES)]
    if published:
        spans += [(m.start(), m.end(), published, True) for m in islice(_EFFECTIVE_ON_PUBLICATION.finditer(text), _MAX_CANDIDATES)]
        spans += [(m.start(), m.end(), published, False) for m in islice(_APPLIES_ON_PUBLICATION.finditer(text), _MAX_CANDIDATES)]
    for start, end, iso, explicit in spans:
        if iso is None or (cutover and not explicit):
            continue
        rank = _effective_rank(text, start, end, issued)
        if rank is not None:
            ranked.append((rank if explicit else max(rank, 3), start, iso, _sentence(text, start, end)))
    if not ranked:
        return None, ""
    _, _, iso, snippet = min(ranked)
    return iso, snippet


_ISSUES_NAME = re.compile(r"(?:发布|印发|公布|颁布|制定|修订|起草|现将|予以公示)了?\s*《([^《》]{1,120})》")


def _issued_names(text: str) -> frozenset[str]:
    """《names》 this text issues: in its title (the first line) or after 发布/印发/制定…."""
    first_line = text.split("\n", 1)[0]
    names = {m[1] for m in _BRACKETED_NAME.finditer(first_line)}
    names.update(m[1] for m in _ISSUES_NAME.finditer(text))
    return frozenset(names)


_STANDARD_CODE = re.compile(r"(?:GB|JJF|JJG|YY|QB|SN)(?:\s*/\s*T)?\s*[0-9]{2,5}", re.IGNORECASE)


def _effective_rank(text: str, start: int, end: int, issued: frozenset[str]) -> int | None:
    """0 a corrected date, 1 "本公告自…", 2 any other of this text's (3: without 施行);
    None: not this text's."""
    after = text[end : end + 12]
    if re.match(r"\s*的", after) or _CORRECTED_FROM.match(after):
        return None  # "…起施行的《…》" describes another text; "“…”更正为" is the old date
    before = _span_back(text, start, _SENTENCE_END, limit=120)
    if _CORRECTED_TO.search(before):
        return 0
    paren = max(before.rfind("("), before.rfind("（"))
    if paren >= 0 and ")" not in before[paren:] and "）" not in before[paren:] and before[:paren].rstrip().endswith("》"):
        return None
    clause = _span_back(text, start, _CLAUSE_END, limit=60)
    if _OWN_SUBJECT.search(before):
        return 1
    if re.search(r"根据|依据|按照|依照|参照|已于|此前|原", clause):
        return None
    if _STANDARD_CODE.search(clause):
        return None  # "GB 4943.1—2022将于2023年8月1日起实施": a standard's date, not this text's
    named = [m[1] for m in _BRACKETED_NAME.finditer(clause)]
    if named and not all(name in issued for name in named):
        return None  # "《认证认可条例》自2003年11月1日起施行": another text's date
    return 2


# ---------------------------------------------------------------------------------------
# Transition end

_TRANSITION_TO = re.compile(
    rf"过渡期[^。；\n]{{0,14}}?(?:至|到|截止|截至|止于|结束于|为)\s*(?:日期|时间)?\s*(?:为|是|:|：)?\s*(?P<date>{_DATE})"
)
_TRANSITION_BEFORE = re.compile(rf"(?P<date>{_DATE})\s*(?:前|之前|以前)\s*为\s*过渡期")
_CUTOVER = re.compile(
    rf"(?P<date>{_DATE})\s*(?:起|后|以后|之后)\s*[,，]?[^。；;\n]{{0,90}}?(?:不得|禁止|停止|不准|不予|不再允许|方可|方能|才能|才可)[^。；;\n]{{0,16}}?"
    r"(?:出厂|销售|进口|生产|制造|使用|经营|出售|上市|投放|流通|展示|登记|上牌)"
)
# "证书…应在2016年12月31日前符合新版规则要求，逾期…": the old version's last day
_COMPLY_BY = re.compile(
    rf"(?:(?:应|须|需|应当)\s*(?:在|于)\s*(?P<date>{_DATE})\s*(?:前|之前|以前)[^。；;\n]{{0,30}}?(?:符合|转换|换证|换发|满足)"
    rf"|(?:在|于)\s*(?P<date2>{_DATE})\s*(?:前|之前|以前)\s*完成[^。；;\n]{{0,20}}?(?:转换|换证|换版))"
)
_NEW_VERSION = re.compile(r"新版|换版|新标准|新规则|旧版|逾期")
_TRANSITION_MONTHS = re.compile(r"过渡期\s*(?:为|是|设|设置)?\s*(?P<n>[0-9]{1,2}|[一二三四五六七八九十]{1,3})\s*个\s*月")
_RANGE_END = re.compile(rf"\s*(?:至|到|—|–|-|~|～)\s*(?P<date>{_DATE})")
_START_IN_SENTENCE = re.compile(rf"自\s*(?P<date>{_DATE})\s*起")


def _transition_end(text: str) -> tuple[str | None, str]:
    for match in islice(_TRANSITION_TO.finditer(text), _MAX_CANDIDATES):
        end = _RANGE_END.match(text, match.end())
        iso = _iso(end["date"] if end else match["date"])
        if iso:
            return iso, _sentence(text, match.start(), match.end())
    for match in islice(_TRANSITION_BEFORE.finditer(text), _MAX_CANDIDATES):
        iso = _iso(match["date"])
        if iso:
            return iso, _sentence(text, match.start(), match.end())
    for match in islice(_CUTOVER.finditer(text), _MAX_CANDIDATES):
        if _is_quoted_elsewhere(text, match.start()):
            continue
        iso = _iso(match["date"])
        if iso:
            return _day_before(iso), _sentence(text, match.start(), match.end())
    for match in islice(_COMPLY_BY.finditer(text), _MAX_CANDIDATES):
        sentence = _sentence(text, match.start(), match.end())
        iso = _iso(match["date"] or match["date2"])
        if iso and _NEW_VERSION.search(sentence) and "证书" in sentence:
            return iso, sentence
    for match in islice(_TRANSITION_MONTHS.finditer(text), _MAX_CANDIDATES):
        sentence = _sentence(text, match.start(), match.end())
        start = _START_IN_SENTENCE.search(sentence)
        months = int(match["n"]) if match["n"].isdigit() else _cn_small(match["n"])
        if start and months:
            iso = _iso(start["date"])
            if iso:
                return _plus_months_minus_a_day(iso, months), sentence
    return None, ""


def _is_quoted_elsewhere(text: str, start: int) -> bool:
    clause = _span_back(text, start, _SENTENCE_END, limit=60)
    return bool(re.search(r"根据|依据|按照|已于|此前", clause))


# ---------------------------------------------------------------------------------------
# Comment deadline

_ASKS_FOR_COMMENTS = re.compile(r"意见|建议")
_CONSULTS = re.compile(r"征求|征询|意见稿|公示|异议")
_OTHER_SUBMISSION = re.compile(r"报告|材料|申请|申报|回执|总结|报名|名单|数据|年报|统计")
_SENDS = re.compile(r"反馈|报送|提交|发送|寄送|发至|电子邮件|邮箱|传真|提出")
# "截止日期为X", and an open window "即日起至X" / "自发布之日起至X"
_DEADLINE_LABEL = re.compile(
    rf"(?:(?P<label>截止|截至)\s*(?:日期|时间)?\s*(?:为|是|到|至|:|：)?|(?:即日|之日)\s*起?\s*(?:至|到))\s*(?P<date>{_DATE})"
)
_WEEKDAY = r"(?:\s*[(（]\s*(?:星期|周|礼拜)[一二三四五六日天]\s*[)）])?"
_BEFORE_AFTER_DATE = re.compile(rf"{_WEEKDAY}\s*(?:[0-9]{{1,2}}\s*[:：时点]\s*[0-9]{{0,2}}\s*分?)?\s*(?:前|之前|以前|止|为止)")
# a deadline label that is about something else than comments: 报名截止时间, 申报截止日期
_OTHER_DEADLINE = re.compile(r"报名|申请|申报|报送材料|提交材料|缴费|注册")
_RANGE_AFTER_DATE = re.compile(r"\s*(?:[0-9]{1,2}[:：][0-9]{2}\s*)?(?:至|到|—|–|-|~|～)\s*")
_MONTH_DAY_AT = re.compile(_MONTH_DAY)
_DEADLINE_MONTH_DAY = re.compile(rf"(?P<md>{_MONTH_DAY})\s*(?:前|之前|以前|止)")
# "公示期截止日期为10月15日" (two patterns: one alternation would lose the literal start's speed)
_DEADLINE_LABEL_MONTH_DAY = re.compile(rf"(?:截止|截至)\s*(?:日期|时间)?\s*(?:为|是|到|至|:|：)?\s*(?P<md>{_MONTH_DAY})")
# an objection window of a 公示 is its comment window ("公示期截止日期为…"), even when the
# sentence does not say 意见
_OBJECTION_WINDOW = re.compile(r"公示期|异议期")


def _comment_deadline(text: str, dates: list[_Date], doc_type: str, published: str | None) -> tuple[str | None, str]:
    """The last day to send comments.  Every way of writing one is read (in the order below);
    of what is found, a deadline before the text's own date is an earlier round that is over
    ("第一次征求意见截止日期为…"), and a request to the reader ("请…于X前反馈") beats a deadline
    quoted from someone else ("总局…截止日期为X。请各会员单位于Y前…" → Y)."""
    today = published or _signature_day(text, dates)
    first: tuple[str, str] | None = None
    for iso, sentence in islice(_deadline_candidates(text, dates, doc_type, published), _MAX_CANDIDATES):
        if today and iso < today:
            continue
        if _REQUEST.search(sentence):
            return iso, sentence
        first = first or (iso, sentence)
    return first or (None, "")


# a sentence that asks the reader for comments by a date, not one that reports a deadline
_REQUEST = re.compile(r"请[^。；;\n]{0,40}?(?:于|在)?\s*[0-9]{1,4}\s*(?:年|月)[^。；;\n]{0,12}?(?:前|之前|以前)")


def _signature_day(text: str, dates: list[_Date]) -> str | None:
    """The date at the very end of a text (its signature), when the publication date is unknown."""
    last = next((d for d in reversed(dates) if d.iso), None)
    if last is None or len(text) - last.end > 40:
        return None
    return last.iso


def _deadline_candidates(text: str, dates: list[_Date], doc_type: str, published: str | None) -> Iterator[tuple[str, str]]:
    is_call = doc_type == "call-for-comments"

    def asks(start: int, end: int) -> str | None:
        sentence = _sentence(text, start, end)
        if is_call:
            return sentence if _ASKS_FOR_COMMENTS.search(sentence) or _SENDS.search(sentence) else None
        # outside a call, "意见" beside a report, an application or a reply slip is not a
        # consultation: "请于3月31日前将年度报告及意见建议报送我委"
        if _ASKS_FOR_COMMENTS.search(sentence) and (_CONSULTS.search(sentence) or not _OTHER_SUBMISSION.search(sentence)):
            return sentence
        return sentence if _OBJECTION_WINDOW.search(sentence) else None

    for match in islice(_DEADLINE_LABEL.finditer(text), _MAX_CANDIDATES):
        sentence = asks(match.start(), match.end())
        if not sentence and is_call and match["label"]:
            # a call's bare "截止时间：X", unless it is another deadline's label
            clause = _span_back(text, match.start(), _SENTENCE_END, limit=20)
            sentence = None if _OTHER_DEADLINE.search(clause) else _sentence(text, match.start(), match.end())
        iso = _iso(match["date"]) if sentence else None
        if iso:
            yield iso, sentence or ""
    for found in dates:
        before = _BEFORE_AFTER_DATE.match(text, found.end)
        if before and found.iso:
            sentence = asks(found.start, before.end())
            if sentence:
                yield found.iso, sentence
    starting_at = {d.start: d for d in dates}
    for found in dates:
        joint = _RANGE_AFTER_DATE.match(text, found.end)
        if not joint or not found.iso:
            continue
        sentence = _sentence(text, found.start, joint.end())
        if re.search(r"已于|已经|曾于|此前|前期", _span_back(text, found.start, _CLAUSE_END, limit=30)):
            continue  # a window that is over: "已于2021年11月22日至12月22日…征求意见"
        if not (is_call or "征求意见" in sentence or "意见反馈" in sentence or "公示" in sentence):
            continue
        end_date = starting_at.get(joint.end())
        if end_date is not None:
            iso = end_date.iso
        else:
            month_day = _MONTH_DAY_AT.match(text, joint.end())
            iso = _month_day_in(month_day.group(), int(found.iso[:4])) if month_day else None
        if iso and iso >= found.iso:
            yield iso, sentence
    year_source = published or next((d.iso for d in dates if d.iso), None)
    if year_source:
        month_days = chain(islice(_DEADLINE_MONTH_DAY.finditer(text), _MAX_CANDIDATES), islice(_DEADLINE_LABEL_MONTH_DAY.finditer(text), _MAX_CANDIDATES))
        for match in month_days:
            written, written_at = match["md"], match.start("md")
            if written_at and text[written_at - 1] in "0123456789年./-":
                continue  # the tail of a full date, read above
            sentence = asks(match.start(), match.end())
            if not sentence:
                continue
            iso = _month_day_in(written, int(year_source[:4]))
            if iso and published and iso < published:
                iso = _month_day_in(written, int(year_source[:4]) + 1)
            if iso:
                yield iso, sentence


def _month_day_in(text: str, year: int) -> str | None:
    match = _MONTH_DAY_PARTS.search(text)
    return _valid(year, int(match[1]), int(match[2])) if match else None


# ---------------------------------------------------------------------------------------
# References


def _references(title: str, body: str, doc_type: str) -> tuple[str, ...]:
    """Every 《name》 but the text's own title: a text does not cite itself."""
    own = _own_names(title, body, doc_type)
    names: list[str] = []
    for text in (title, body):
        for match in _BRACKETED_NAME.finditer(text):
            name = re.sub(r"\s+", "", match[1])
            if not name:
                continue
            # an older text of the same name that this one repeals is another document
            if name not in own or _is_repealed_here(text, match.start(), match.end()):
                names.append(name)
    return _dedupe(names)


def _is_repealed_here(text: str, start: int, end: int) -> bool:
    """"原…发布的《X》…同时废止": this 《X》 is the older text being repealed."""
    before = _span_back(text, start, _SENTENCE_END, limit=30).rsplit("》", 1)[-1]
    after = _span_forward(text, end, _SENTENCE_END, limit=40).split("《", 1)[0]
    return "原" in before or "废止" in after


def _own_names(title: str, body: str, doc_type: str) -> frozenset[str]:
    """The names a text goes by: a title that is a 《name》 ("《…的公告》 2014年第12号",
    "…总局《…办法》（总局令第178号）"), and for a rule the title itself or, without a title,
    the name on one of the first lines of the body."""
    own: set[str] = set()
    # a headline about a named text cites it: "《…办法》将于12月起施行", "就《…规例》展开咨询"
    if _names_only(title):
        own.update(re.sub(r"\s+", "", m[1]) for m in _BRACKETED_NAME.finditer(title))
    if doc_type == "rules":
        heads = [title] if title.strip() else [line for line in body.split("\n")[:6] if line.strip()][:3]
        for head in heads:
            if "《" in head:
                continue
            stem = _TRAILING_NOTE.sub("", _TITLE_TAG.sub("", head)).strip()
            if 0 < len(stem) <= 60:
                own.add(re.sub(r"\s+", "", stem))
    return frozenset(own)


# ---------------------------------------------------------------------------------------
# The whole


def extract_fields(title: str, body: str, published: str | None = None) -> Fields:
    """The seven fields of one announcement (see the module docstring for the rules).

    ``published`` is the publication date (``YYYY-MM-DD``), used for 自发布之日起 and for
    deadlines written without a year; anything else there is ignored.
    """
    title_text = prepare(title or "", join_cjk=False).strip()
    title_joined = join_cjk_gaps(title_text)
    body_text = prepare(body or "")
    published_iso = _valid_published(published)
    evidence: list[tuple[str, str]] = []

    doc_type, type_cue = _doc_type(title_text, body_text)
    if type_cue:
        evidence.append(("doc_type", _snippet(type_cue)))
    references = _references(title_joined, body_text, doc_type)

    issuers: tuple[str, ...] = ()
    interpreting = doc_type == "interpretation"  # explains another text: its dates are that text's
    found = _issuers_from_title(title_text) or (
        None if interpreting else _issuers_from_signature(body_text) or _issuers_from_metadata(body_text)
    )
    if found:
        issuers = found[0]
        evidence.append(("issuers", _snippet(found[1])))
    # the title first, then the body: the title is where an announcement names itself
    doc_number, number_snippet = _doc_number(title_joined, body_text, correction=doc_type == "correction", explaining=interpreting)
    if doc_type == "news" and _is_reporter_story(body_text, signed=bool(found) or bool(doc_number)):
        # A reporter's story repeats other texts' numbers and dates: none of them is its own.
        return Fields(doc_type=doc_type, references=references, evidence=tuple(evidence))
    if doc_number:
        evidence.append(("doc_number", _snippet(number_snippet)))
        if not issuers:
            issuers = _issuers_in_number(doc_number)
    if not issuers:
        issuers = _issuers_of_order(body_text[:1500]) or _issuers_in_own_words(body_text)

    if interpreting:
        return Fields(doc_number=doc_number, doc_type=doc_type, issuers=issuers, references=references, evidence=tuple(evidence))
    text = title_joined + "\n" + body_text
    dates = _scan_dates(text)
    transition, transition_snippet = _transition_end(text)
    effective, snippet = (None, "")
    if doc_type != "call-for-comments":  # a draft is not in force: "本办法自…起施行" is its proposal
        effective, snippet = _effective_date(text, dates, published_iso, cutover=bool(_CUTOVER.search(text)))
    if effective:
        evidence.append(("effective_date", _snippet(snippet)))
    if transition:
        evidence.append(("transition_end", _snippet(transition_snippet)))
    deadline, snippet = _comment_deadline(text, dates, doc_type, published_iso)
    if deadline:
        evidence.append(("comment_deadline", _snippet(snippet)))

    return Fields(
        doc_number=doc_number,
        doc_type=doc_type,
        issuers=issuers,
        effective_date=effective,
        transition_end=transition,
        comment_deadline=deadline,
        references=references,
        evidence=tuple(evidence),
    )


_ORDER_HEADING = re.compile(
    rf"(?P<orgs>(?:(?:{_KNOWN_ORG}|{_LOCAL_BUREAU}|{_LOCAL_GOVERNMENT})[\s、,，和]*)+)$"
)


def _issuers_of_order(head: str) -> tuple[str, ...]:
    """An order's heading names its issuers: "国家质量监督检验检疫总局，国家工商行政管理总局令"."""
    at = head.find("令")
    while at != -1:  # str.find, then a short look back: a regex over the whole head is slow
        line = _span_back(head, at, "\n", limit=80)
        match = _ORDER_HEADING.search(line)
        # a heading line, or a promulgation line "（2015年11月27日…令第176号公布）"; not a citation
        if match and _HEADING_LEAD.fullmatch(line[: match.start()]):
            return _dedupe(_org_short(m) for m in _ORG.finditer(match["orgs"]))
        at = head.find("令", at + 1)
    return ()


_HEADING_LEAD = re.compile(rf"\s*(?:[(（]\s*(?:{_DATE})?)?\s*")
_METADATA_ISSUER = re.compile(
    r"(?:发布单位|颁布单位|发文机关|发文单位|制定机关|制定机构|发布机构|发文部门)\s*[|:：】\]]*\s*(?P<org>[^\s|\n]{2,40})"
)


def _issuers_from_metadata(body: str) -> tuple[tuple[str, ...], str] | None:
    """Law sites' tables: "颁布单位 国家质量监督检验检疫总局", "【发布单位】 质检总局"."""
    match = _METADATA_ISSUER.search(body[:600])
    if not match:
        return None
    found = _split_issuers(match["org"])
    return (found, match.group()) if found else None


_ADOPTED_BY = re.compile(
    rf"(?:经|已经|已于)[^。\n]{{0,20}}?(?P<org>{_KNOWN_ORG})\s*(?:[0-9]{{4}}\s*年)?\s*(?:第\s*[0-9]+\s*次)?\s*局务会"
)


def _issuers_in_own_words(body: str) -> tuple[str, ...]:
    """An order adopted "经…国家质量监督检验检疫总局局务会议审议通过"."""
    adopted = _ADOPTED_BY.search(body[:1500])
    if adopted:
        return (_ORG_SHORT[adopted["org"]],)
    return ()


def _issuers_in_number(number: str) -> tuple[str, ...]:
    return _dedupe(_org_short(m) for m in _ORG.finditer(number))


def extract_json_line(line: str, line_number: int = 1) -> dict[str, Any]:
    """``cnca-watch fields --json``: one request line ``{"title", "body", "date"}`` → the seven
    keys.  ``UsageError`` naming the line for anything else."""
    import json  # only this entry point needs it

    try:
        request = json.loads(line)
    except json.JSONDecodeError as exc:
        raise UsageError(f'line {line_number}: not JSON ({exc.msg}); expected {{"title": …, "body": …, "date": "YYYY-MM-DD"}}') from None
    if not isinstance(request, dict):
        raise UsageError(f'line {line_number}: expected a JSON object {{"title": …, "body": …, "date": "YYYY-MM-DD"}}')
    for key in ("title", "body", "date"):
        value = request.get(key)
        if value is not None and not isinstance(value, str):
            raise UsageError(f'line {line_number}: "{key}" must be a string')
    if not (request.get("title") or request.get("body")):
        raise UsageError(f'line {line_number}: give a "title" or a "body"')
    published = request.get("date")
    if published and _valid_published(published) is None:
        raise UsageError(f'line {line_number}: "date" must be YYYY-MM-DD, got {published!r}')
    return extract_fields(request.get("title") or "", request.get("body") or "", published).to_json()


# ---------------------------------------------------------------------------------------
# Versions


def _shown(value: str | tuple[str, ...] | None) -> str:
    if value is None or value == ():
        return "none"
    if isinstance(value, tuple):
        return "、".join(value)
    return value


def fields_changed(old: Fields | None, new: Fields) -> tuple[str, ...]:
    """Names of the fields whose value differs (lists as sets); () without an old version."""
    if old is None:
        return ()
    changed = []
    for name in FIELD_NAMES:
        before, after = getattr(old, name), getattr(new, name)
        if name in _LIST_FIELDS:
            if set(before) != set(after):
                changed.append(name)
        elif before != after:
            changed.append(name)
    return tuple(changed)


def diff_fields(old: Fields | None, new: Fields) -> list[str]:
    """One line per changed field, e.g. ``effective_date: 2024-06-01 → 2024-07-01``.

    Without an old version (a new announcement, or one stored before fields existed) nothing
    can have moved: ``[]``.
    """
    if old is None:
        return []
    return [f"{name}: {_shown(getattr(old, name))} → {_shown(getattr(new, name))}" for name in fields_changed(old, new)]
