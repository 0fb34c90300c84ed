"""Text shapes the field extractor must read right (issue 11, precision work): corrections that
move a date, date spellings, own vs cited numbers, deadlines, and the classes of error found on
the labelled pool.  Each case is a real announcement's shape, shortened; every expected value is
written by hand from the labelling guide (tests/fixtures/fields/GUIDE.md)."""

from __future__ import annotations

import pytest

from cnca_watch.fields import diff_fields, extract_fields, fields_changed

DEMO_BODY = (
    "认办认证函〔2024〕19号\n各省、自治区、直辖市和新疆生产建设兵团市场监管局（厅、委）：\n"
    "为规范认证机构资质审批工作，统一审批尺度，国家认监委组织制定了《认证机构资质审批工作指南》，现印发给你们，请遵照执行。\n"
    "本指南自2024年6月1日起施行，此前发布的审批工作要求与本指南不一致的，以本指南为准。\n"
    "附件：认证机构资质审批工作指南.pdf\n国家认监委秘书处\n2024年5月16日\n（此件公开发布）"
)
DEMO_NOTE = "\n更正说明：原文第二段中“自2024年6月1日起施行”更正为“自2024年7月1日起施行”，特此更正。"
DEMO_TITLE = "关于印发《认证机构资质审批工作指南》的通知"


# --- corrections (更正) -----------------------------------------------------------------


def test_demo_correction_moves_only_the_date_not_the_issuer() -> None:
    before = extract_fields(DEMO_TITLE, DEMO_BODY, "2024-05-20")
    after = extract_fields(DEMO_TITLE + "（更正）", DEMO_BODY + DEMO_NOTE, "2024-05-20")
    assert (before.effective_date, after.effective_date) == ("2024-06-01", "2024-07-01")
    assert before.issuers == after.issuers == ("国家认监委秘书处",)
    assert fields_changed(before, after) == ("doc_type", "effective_date")
    assert "effective_date: 2024-06-01 → 2024-07-01" in diff_fields(before, after)


@pytest.mark.parametrize(
    "note",
    [
        "更正声明：原文中“自2024年6月1日起施行”更正为“自2024年7月1日起施行”。",
        "勘误：原文中“自2024年6月1日起施行”应为“自2024年7月1日起施行”。",
        "原文第二段“自2024年6月1日起施行”有误，现更正为“自2024年7月1日起施行”。特此更正。",
    ],
)
def test_a_correction_note_after_the_signature_is_not_a_signer(note: str) -> None:
    fields = extract_fields(DEMO_TITLE + "（更正）", DEMO_BODY + "\n" + note, "2024-05-20")
    assert fields.issuers == ("国家认监委秘书处",)
    assert fields.effective_date == "2024-07-01"


def test_correction_notice_of_its_own_written_with_ying_wei() -> None:
    fields = extract_fields(
        "国家认监委关于《关于发布电动汽车供电设备强制性产品认证实施规则的公告》的更正公告",
        "我委于2024年5月20日发布的《关于发布电动汽车供电设备强制性产品认证实施规则的公告》（国家认监委2024年第11号公告）中，"
        "“本公告自2024年6月1日起施行”应为“本公告自2024年7月1日起施行”。\n特此更正。\n国家认监委\n2024年5月28日",
        "2024-05-28",
    )
    assert fields.doc_type == "correction"
    assert fields.effective_date == "2024-07-01"
    assert fields.doc_number is None  # the number is the corrected announcement's
    assert fields.issuers == ("国家认监委",)


def test_correction_of_the_implementation_date_without_shi_xing_around_the_dates() -> None:
    fields = extract_fields(
        "关于《认证机构资质审批工作指南》实施日期的更正",
        "我委2024年5月16日印发的《认证机构资质审批工作指南》（认办认证函〔2024〕19号）实施日期“2024年6月1日”更正为“2024年7月1日”。"
        "特此更正。\n国家认监委秘书处\n2024年5月30日",
        "2024-05-30",
    )
    assert fields.effective_date == "2024-07-01"
    assert fields.doc_number is None


def test_correction_naming_the_corrected_number_in_its_first_sentence() -> None:
    fields = extract_fields(
        "市场监管总局关于更正《强制性产品认证目录》实施日期的公告",
        "市场监管总局2024年第20号公告原定自2024年6月1日起施行，现更正为自2024年7月1日起施行。\n特此公告。\n市场监管总局\n2024年5月28日",
        "2024-05-28",
    )
    assert (fields.doc_number, fields.effective_date) == (None, "2024-07-01")


# --- date spellings -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "body", "published", "effective"),
    [
        ("国家认监委关于发布某规则的公告", "本规则自二〇二四年七月一日起施行。\n特此公告。\n国家认监委\n二〇二四年五月二十日", None, "2024-07-01"),
        ("国家认监委关于发布某规则的公告", "本规则自二○二四年七月三十一日起施行。\n国家认监委\n二○二四年五月二十日", None, "2024-07-31"),
        ("国家认监委关于发布某规则的公告", "本公告自２０２４年７月１日起施行。\n国家认监委", None, "2024-07-01"),
        ("国家认监委关于发布某规则的公告", "本公告自 2024 年 7 月 1 日起施行。\n国家认监委", None, "2024-07-01"),
        ("國家認監委關於發布某規則的公告", "本規則於2024年7月1日起正式實施。\n國家認監委\n2024年5月20日", None, "2024-07-01"),
        ("国家认监委关于发布某规则的公告", "本公告自发布之日起施行。\n国家认监委\n2024年5月20日", "2024-05-20", "2024-05-20"),
        ("国家认监委关于某事项的通知", "本通知自印发之日起施行。\n国家认监委\n2024年5月28日", "2024-05-28", "2024-05-28"),
        ("国家认监委关于发布某规则的公告", "本公告自发布之日起施行。", None, None),  # no publication date: no guess
        ("国家认监委关于发布某规则的公告", "本规则自2024年7月起施行。\n国家认监委", "2024-05-20", None),  # no day: not a date
    ],
)
def test_effective_date_spellings(title: str, body: str, published: str | None, effective: str | None) -> None:
    assert extract_fields(title, body, published).effective_date == effective


def test_traditional_full_width_title_number_is_read_bare() -> None:
    fields = extract_fields("國家認監委關於發布某規則的公告（２０２４年第１１號）", "本公告自２０２４年７月１日起實施。\n國家認監委\n２０２４年５月２０日", "2024-05-20")
    assert (fields.doc_number, fields.effective_date) == ("2024年第11号", "2024-07-01")


# --- dates that are not this text's effective date ---------------------------------------


@pytest.mark.parametrize(
    ("title", "body", "published"),
    [
        # an interpretation repeats the date of the measure it explains
        ("《强制性产品认证管理规定》解读", "《强制性产品认证管理规定》自2023年1月1日起施行。一、修订背景……", "2022-10-10"),
        # a reporter's story repeats another text's date
        ("市场监管总局发布《强制性产品认证管理规定》", "近日，市场监管总局发布《强制性产品认证管理规定》（国家市场监督管理总局令第61号），自2023年1月1日起施行。", "2022-10-10"),
        # a meeting date, and a transition window then a cut-over
        ("国家认监委关于召开2024年认证认可工作会议的通知", "各有关单位：\n经研究，定于2024年6月15日起在北京召开工作会议。请于2024年6月5日前将参会回执发送至邮箱。\n国家认监委办公室\n2024年5月20日", "2024-05-20"),
        ("国家认监委关于强制性产品认证目录调整的公告", "2024年第15号\n自2024年7月1日至2024年12月31日为过渡期。自2025年1月1日起，未获得强制性产品认证证书的产品不得出厂。\n国家认监委\n2024年6月1日", "2024-06-01"),
        # a standard's date
        ("关于实施GB 4943.1—2022的公告", "GB 4943.1—2022将于2023年8月1日起实施。认证机构应做好换版工作。\n国家认监委\n2023年1月1日", "2023-01-01"),
        # a law site's metadata: the date before the next label, and a placeholder
        ("沧州市人民政府关于进一步加强食品安全监管工作的意见", "发文字号:沧政发〔2009〕3号\n颁布日期:2009-01-15生效日期:1900-01-01\n各县(市、区)人民政府:\n现提出如下意见。", "2009-01-15"),
    ],
)
def test_dates_that_are_not_this_texts_effective_date(title: str, body: str, published: str) -> None:
    assert extract_fields(title, body, published).effective_date is None


def test_the_start_of_certification_before_a_positive_cut_over_is_not_in_force() -> None:
    fields = extract_fields(
        "市场监管总局关于对电动自行车用锂离子蓄电池实施强制性产品认证管理的公告",
        "2024年第26号\n一、自2024年10月15日起，指定认证机构开始受理电动自行车用锂离子蓄电池CCC认证委托。\n"
        "二、自2025年11月1日起，电动自行车用锂离子蓄电池应当经过CCC认证并标注CCC认证标志后，方可出厂、销售、进口。",
        None,
    )
    assert fields.effective_date is None
    assert fields.transition_end == "2025-10-31"
    assert fields.doc_number == "2024年第26号"


# --- own numbers and cited ones ------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "body", "expected"),
    [
        ("", "国家认监委2009年第42号公告《关于强制性产品认证证书有效期的公告》\n自2009年9月1日起，证书上须列明有效期。", "国家认监委2009年第42号公告"),
        ("質檢總局關于發布《產品質量監督抽查實施規范(2015版)》的公告", "發布時間:2015-07-23\n2015第54號\n現將規范予以批準發布。", "2015第54号"),
        ("解读 | 市场监管总局 海关总署关于发布某对应参考表的公告", "市场监管总局 海关总署\n关于发布某对应参考表的公告\n(2020年第21号)\n现予发布。\n什么是强制性产品认证", "2020年第21号"),
        ("國家計量檢定規程管理辦法(全文)", "【發布單位】 質檢總局\n【發布文號】 質檢總局令第36\n【發布日期】 2002-12-31", "质检总局令第36"),
        ("[體系] 計量基準管理辦法", "第94號令《計量基準管理辦法》2007.6.6\n第94號\n《計量基準管理辦法》現予公布。", "第94号"),
        ("《認監委關于某事項的公告》國家認證認可監督管理委員會(huì )公告2018年第35號", "特此公告。", "国家认证认可监督管理委员会公告2018年第35号"),
        ("国家认监委关于某事项的通知", "国认监 〔 2024 〕 6 号\n各机构：\n现通知如下。\n国家认监委\n2024年5月28日", "国认监〔2024〕6号"),
        ("市场监管总局关于加强认证活动监管的通知（国市监认证发〔2024〕12号）", "各省市场监管局：\n现通知如下。", "国市监认证发〔2024〕12号"),
    ],
)
def test_own_number_shapes(title: str, body: str, expected: str) -> None:
    assert extract_fields(title, body, None).doc_number == expected


@pytest.mark.parametrize(
    ("title", "body"),
    [
        ("关于《市场监管总局关于调整强制性产品认证目录的公告》（2024年第20号）的解读", "一、背景。本公告自2024年7月1日起施行。"),
        ("国家认监委关于做好某工作的通知", "根据《强制性产品认证管理规定》（国认监〔2019〕6号），现通知如下：\n国家认监委\n2024年5月20日"),
        ("国家认监委关于发布某规则的公告", "本公告自2024年7月1日起实施，《关于某规则的公告》（国家认监委2019年第6号公告）同时废止。\n国家认监委\n2024年5月20日"),
        ("某论坛问答页面", "请问2015第54号是什么意思？"),  # a number without 年 inside a sentence
    ],
)
def test_cited_numbers_are_not_own(title: str, body: str) -> None:
    assert extract_fields(title, body, "2024-05-20").doc_number is None


# --- comment deadlines ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "body", "published", "deadline"),
    [
        ("市场监管总局关于公开征求《某办法（征求意见稿）》意见的公告", "现公开征求意见。\n序号 | 名称 | 征求意见时间\n1 | 某办法（征求意见稿） | 2026-09-17至2026-10-17\n", "2026-09-17", "2026-10-17"),
        ("关于《某规则（征求意见稿）》公开征求意见的通知", "公开征求意见时间：2024年9月26日—10月26日。意见请发送至邮箱。", "2024-09-26", "2024-10-26"),
        ("关于对《某办法（征求意见稿）》征求意见的函", "现将《某办法（征求意见稿）》印发给你们，请研究提出意见，于2024年8月25日前反馈我局。", "2024-08-10", "2024-08-25"),
        # an earlier round quoted before the current one
        (
            "关于再次公开征求《某办法（征求意见稿）》意见的公告",
            "2024年3月，市场监管总局就《某办法》第一次公开征求意见，意见反馈截止日期为2024年3月31日。"
            "根据反馈意见修改后形成第二稿，现再次公开征求意见，意见反馈截止日期为2024年8月25日。\n市场监管总局\n2024年8月1日",
            None,
            "2024-08-25",
        ),
        (
            "市场监管总局关于公开征求《强制性产品认证实施规则 电动自行车》意见的通知",
            "此前，我局已于2026年3月1日至3月31日就第一稿征求意见。现再次公开征求意见，请于2026年8月25日前将意见反馈至邮箱abc@samr.gov.cn。",
            "2026-08-10",
            "2026-08-25",
        ),
        # an association relays SAMR's draft with SAMR's deadline and asks its members earlier
        (
            "中国认证认可协会关于转发市场监管总局征求意见的通知",
            "市场监管总局正在就《某规定（征求意见稿）》公开征求意见，截止日期为2024年12月18日。请各会员单位于2024年12月15日前将意见反馈至协会邮箱。",
            "2024-12-01",
            "2024-12-15",
        ),
        # no date: "within 30 days" is not a day anybody stated
        ("市场监管总局关于公开征求《某规定（征求意见稿）》意见的通知", "现公开征求意见，请于本通知发布之日起30日内将意见反馈至邮箱abc@samr.gov.cn。", "2024-03-01", None),
        # a report deadline in a notice is not a comment deadline
        ("国家认监委关于开展认证机构年度报告工作的通知", "各认证机构：\n请于2024年3月31日前通过系统提交2023年度工作报告。\n国家认监委\n2024年1月10日", "2024-01-10", None),
    ],
)
def test_comment_deadline_shapes(title: str, body: str, published: str | None, deadline: str | None) -> None:
    assert extract_fields(title, body, published).comment_deadline == deadline


@pytest.mark.parametrize(
    ("title", "body", "expected"),
    [
        ("国家质检总局关于某事项的公告", "中华人民共和国国家质量监督检验检疫总局公告2008年第1号\n现公告如下。\n特此公告。", "中华人民共和国国家质量监督检验检疫总局公告2008年第1号"),
        ("", "中华人民共和国国家质量监督检验检疫总局令\n第75号\n《某办法》已经局务会议审议通过，现予公布，自2005年1月1日起施行。", "第75号"),
        ("关于某事项的通知", "索引号：11100000MB0143028R/2024-00321\n发文机关：市场监管总局\n成文日期：2024年05月20日\n发文字号：国市监认证发〔2024〕12号\n发布日期：2024年05月22日\n各省市场监管局：现通知如下。", "国市监认证发〔2024〕12号"),
        (
            "浙江省市场监督管理局关于转发《市场监管总局关于加强认证活动监管的通知》的通知",
            "浙市监认〔2024〕5号\n各市市场监管局：\n现将《市场监管总局关于加强认证活动监管的通知》（国市监认证发〔2024〕12号）转发给你们。\n浙江省市场监督管理局\n2024年5月20日",
            "浙市监认〔2024〕5号",
        ),
        ("国家认监委关于某事项的通知", "国认监〔2024〕6号\n各机构：\n根据国家认监委2019年第6号公告要求，现通知如下。\n国家认监委\n2024年5月28日", "国认监〔2024〕6号"),
        ("", "市场监管总局 海关总署公告\n2024年第5号\n现公告如下。", "2024年第5号"),
    ],
)
def test_own_number_beside_cited_ones(title: str, body: str, expected: str) -> None:
    assert extract_fields(title, body, None).doc_number == expected


@pytest.mark.parametrize(
    ("title", "body"),
    [
        (
            "浙江省市场监督管理局关于转发《市场监管总局关于加强认证活动监管的通知》的通知",
            "各市市场监管局：\n现将《市场监管总局关于加强认证活动监管的通知》（国市监认证发〔2024〕12号）转发给你们。\n浙江省市场监督管理局\n2024年5月20日",
        ),
        ("关于贯彻落实《市场监管总局关于调整强制性产品认证目录的公告》（2024年第20号）的通知", "各机构：现通知如下。\n国家认监委\n2024年5月20日"),
        ("国家认监委关于某事项的通知", "各机构：\n国家认监委2019年第6号公告发布以来，各机构认真执行。现通知如下。\n国家认监委\n2024年5月28日"),
        ("国家认监委关于某事项的通知", "各机构：\n《关于某事项的公告》（2019年第6号）实施以来，各机构认真执行。现通知如下。\n国家认监委\n2024年5月28日"),
        ("国家认监委关于某事项的通知", "各机构：\n现通知如下。\n国家认监委\n2024年5月28日\n附件：国家认监委2019年第6号公告"),
    ],
)
def test_only_cited_numbers_give_none(title: str, body: str) -> None:
    assert extract_fields(title, body, None).doc_number is None


def test_report_and_opinions_in_a_notice_are_not_a_consultation() -> None:
    body = "各认证机构：\n请于2024年3月31日前将2023年度工作报告及意见建议报送我委。\n国家认监委\n2024年1月10日"
    assert extract_fields("国家认监委关于开展认证机构年度报告工作的通知", body, "2024-01-10").comment_deadline is None


def test_a_notice_asking_for_comments_on_a_revision_has_a_deadline() -> None:
    body = "各认证机构：\n我委组织修订了某规则，请于2024年3月31日前将修改意见反馈我委。\n国家认监委\n2024年1月10日"
    assert extract_fields("国家认监委关于某规则修订的通知", body, "2024-01-10").comment_deadline == "2024-03-31"


@pytest.mark.parametrize(
    ("title", "body", "expected"),
    [
        (
            "法定计量检定机构监督管理办法",
            "来源:国资数据中心\n(2001年1月21日国家质量技术监督局令第15号发布自发布之日起施行)\n第一条为加强法定计量检定机构的监督管理,制定本办法。",
            "国家质量技术监督局令第15号",
        ),
        (
            "氣瓶安全監察規定2003最新版",
            "氣瓶安全監察規定\n(2003年4月3日國家質量監督檢驗檢疫總局局務會議審議通過2003年4月24日國家質量監督檢驗檢疫總局令第46號公布)\n第一章 總則",
            "国家质量监督检验检疫总局令第46号",
        ),
    ],
)
def test_promulgation_line_under_a_rules_name(title: str, body: str, expected: str) -> None:
    assert extract_fields(title, body, None).doc_number == expected


def test_a_rule_citing_another_rules_promulgation_line_keeps_none() -> None:
    body = "第一条 根据《某条例》（2003年4月24日国家质量监督检验检疫总局令第46号公布），制定本办法。"
    assert extract_fields("某实施办法", body, None).doc_number is None


@pytest.mark.parametrize(
    ("title", "body", "expected"),
    [
        ("", "国家市场监督管理总局令 第 61 号\n《强制性产品认证管理规定》已经局务会议通过，现予公布，自2023年1月1日起施行。", "国家市场监督管理总局令第61号"),
        ("强制性产品认证管理规定（市场监管总局令第61号）", "第一章 总则", "市场监管总局令第61号"),
        ("国家认监委关于某事的公告", "国家认监委 2024年第11号公告\n现公告如下。", "国家认监委2024年第11号公告"),
        ("深圳市市场监督管理局关于公开征求意见的通告", "深市监通告〔2020〕21号\n现公开征求意见。", "深市监通告〔2020〕21号"),
        ("市场监管总局关于某目录的公告", "（2024年第20号）\n现公告如下。", "2024年第20号"),
        ("国家认监委关于某事项的公告", "国家认监委\n2024年5月20日\n国认监〔2024〕6号", "国认监〔2024〕6号"),
        ("市场监管总局关于2024年第20号公告的补充说明", "现补充说明如下。", None),
        ("市场监管总局关于某事项的公告", "为落实市场监管总局2023年第12号公告要求，现公告如下。\n市场监管总局\n2024年5月20日", None),
        # a number at the top, but inside a list item's sentence
        ("市场监管总局关于某事项的公告", "现公告如下：\n一、市场监管总局2023年第12号公告继续有效。\n市场监管总局\n2024年5月20日", None),
        ("国家认监委关于某事项的公告", "现公告如下：\n一、自2024年7月1日起执行《某规则》（CNCA-C11-01:2024）。\n二、国认监〔2019〕6号文件同时废止。\n国家认监委\n2024年5月20日", None),
    ],
)
def test_more_number_positions(title: str, body: str, expected: str | None) -> None:
    assert extract_fields(title, body, None).doc_number == expected


CALL = "市场监管总局关于公开征求《某办法（征求意见稿）》意见的公告"


@pytest.mark.parametrize(
    ("body", "deadline"),
    [
        ("现公开征求意见。请于2024年10月26日（星期六）前将意见反馈至邮箱。", "2024-10-26"),
        ("意见反馈时间：即日起至2024年10月26日。", "2024-10-26"),
        ("截止时间：2024年10月26日17:00。", "2024-10-26"),
        ("公开征求意见时间为2024年9月26日至10月25日。", "2024-10-25"),
        ("意见反馈截止日期为2024年10月26日(周六)。", "2024-10-26"),
        ("公众可于2024年10月26日24时前登录网站提出意见。", "2024-10-26"),
        ("本次意见反馈截止到二〇二四年十月二十六日。", "2024-10-26"),
        ("报名截止时间：2024年10月10日。", None),  # another deadline's label in a call
        ("现公开征求意见，征求意见期为30天。", None),
        ("本办法自2025年1月1日起施行。现公开征求意见。", None),  # the draft's own date is no deadline
    ],
)
def test_call_deadline_spellings(body: str, deadline: str | None) -> None:
    fields = extract_fields(CALL, body + "\n市场监管总局\n2024年9月26日", "2024-09-26")
    assert fields.comment_deadline == deadline
    assert fields.effective_date is None  # a draft is not in force


def test_a_story_that_reproduces_the_whole_announcement_carries_its_number() -> None:
    body = (
        "核心提示:据认监委官网消息,市场监管总局、国家网信办联合发布关于实施个人信息保护认证的公告。\n"
        "2022年第37号\n关于实施个人信息保护认证的公告\n为规范个人信息处理活动,现决定实施个人信息保护认证。\n特此公告。\n"
        "附件:个人信息保护认证实施规则\n国家市场监督管理总局\n国家互联网信息办公室\n2022年11月4日"
    )
    assert extract_fields("个人信息保护认证实施规则发布", body, "2022-11-04").doc_number == "2022年第37号"


def test_a_story_that_only_reports_keeps_nothing() -> None:
    body = "本报讯 记者获悉，市场监管总局近日发布2022年第37号公告，自2023年1月1日起施行。业内人士认为……"
    fields = extract_fields("个人信息保护认证实施规则发布", body, "2022-11-04")
    assert (fields.doc_number, fields.effective_date) == (None, None)


def test_several_drafts_with_their_own_deadlines_give_the_first_stated() -> None:
    # one call for three drafts: the first deadline is the first thing an analyst must act on
    body = (
        "现将以下标准征求意见稿公开征求意见：\n1.《电动自行车安全技术规范》征求意见稿，反馈截止日期为2026年9月1日；\n"
        "2.《电动自行车用锂离子蓄电池》征求意见稿，反馈截止日期为2026年9月15日；\n"
        "3.《电动自行车充电器》征求意见稿，反馈截止日期为2026年9月30日。"
    )
    assert extract_fields("关于对3项强制性国家标准征求意见的通知", body, "2026-08-10").comment_deadline == "2026-09-01"
