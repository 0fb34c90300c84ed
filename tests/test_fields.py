"""fields: every example of issue 11, each its own case; expected values written by hand."""

from __future__ import annotations

import pytest

from cnca_watch.errors import UsageError
from cnca_watch.fields import DOC_TYPES, Fields, diff_fields, extract_fields, extract_json_line, fields_changed, prepare

# ---------------------------------------------------------------------------------------
# doc_number: the announcement's own number, normalised


@pytest.mark.parametrize(
    ("title", "body", "expected"),
    [
        ("国家认监委2024年第11号公告", "", "国家认监委2024年第11号公告"),
        ("关于发布强制性产品认证目录的公告", "市场监管总局公告2020年第3号\n为贯彻落实……，现公告如下。", "市场监管总局公告2020年第3号"),
        ("国家认监委关于印发《认证机构资质审批工作指南》的通知", "国认监〔2019〕6号\n各有关单位：\n现将指南印发给你们。", "国认监〔2019〕6号"),
        ("市场监管总局关于进一步规范认证活动的通知", "市监认证发〔2023〕12号\n各省、自治区、直辖市市场监管局：", "市监认证发〔2023〕12号"),
        ("认监委公告〔2024〕5号", "", "认监委公告〔2024〕5号"),
    ],
    ids=["cnca-year-serial", "samr-year-serial", "guorenjian-bracket", "shijian-bracket", "renjianwei-bracket"],
)
def test_doc_number_forms_of_the_issue(title, body, expected):
    assert extract_fields(title, body, None).doc_number == expected


def test_doc_number_in_title_parentheses_stays_bare_as_written():
    # the labelling guide: "a title ending （2024年第11号） → 2024年第11号 (no invented prefix)"
    fields = extract_fields("国家认监委关于调整强制性产品认证目录的公告（2024年第11号）", "", None)
    assert fields.doc_number == "2024年第11号"
    assert fields.issuers == ("国家认监委",)  # who issued it is said by issuers


def test_doc_number_as_a_whole_title_drops_the_kind_word():
    assert extract_fields("2018年第6号公告", "", None).doc_number == "2018年第6号"
    assert extract_fields("市场监管总局关于调整强制性产品认证目录的公告（2020年第3号）", "", None).doc_number == "2020年第3号"


@pytest.mark.parametrize(
    "written",
    ["国认监[2019]6号", "国认监【2019】6号", "国认监（2019）6号", "国认监［２０１９］６号", "国认监 〔 2019 〕 6 号"],
    ids=["square", "lenticular", "fullwidth-paren", "fullwidth-square-digits", "spaces"],
)
def test_doc_number_normalised_brackets_digits_spaces(written):
    fields = extract_fields("国家认监委关于印发工作指南的通知", written + "\n各有关单位：", None)
    assert fields.doc_number == "国认监〔2019〕6号"


def test_cited_number_after_a_bracketed_name_is_not_own():
    body = "根据《强制性产品认证管理规定》（国认监〔2019〕6号），现就有关事项通知如下。一、加强管理。"
    assert extract_fields("关于加强强制性产品认证管理的通知", body, None).doc_number is None


def test_cited_order_number_is_not_own():
    body = "依照《认证机构管理办法》（市场监管总局令第61号）的规定，现将有关要求通知如下。"
    assert extract_fields("关于做好认证机构监管工作的通知", body, None).doc_number is None


def test_cited_announcement_number_in_running_text_is_not_own():
    body = "为做好衔接，现将有关事项公告如下。一、国家认监委2019年第6号公告发布的目录继续有效。"
    assert extract_fields("关于强制性产品认证目录衔接的公告", body, None).doc_number is None


def test_own_number_found_beside_a_cited_one():
    body = "国认监〔2024〕3号\n各有关单位：\n根据《认证认可条例》（国认监〔2019〕6号）……"
    assert extract_fields("关于开展认证有效性抽查的通知", body, None).doc_number == "国认监〔2024〕3号"


def test_order_number_as_written():
    fields = extract_fields("认证机构管理办法", "国家市场监督管理总局令第61号\n《认证机构管理办法》已经……", None)
    assert fields.doc_number == "国家市场监督管理总局令第61号"


def test_doc_number_after_a_label():
    body = "索引号：000013338/2024-00123\n发文字号：国认监〔2024〕7号\n成文日期：2024年5月20日"
    assert extract_fields("关于开展检查的通知", body, None).doc_number == "国认监〔2024〕7号"


def test_no_number_is_none():
    assert extract_fields("认证认可工作会议在京召开", "会议指出，要持续推进认证认可高水平开放。", None).doc_number is None


# ---------------------------------------------------------------------------------------
# doc_type


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("市场监管总局关于开展数据安全管理认证工作的公告", "announcement"),
        ("关于开展2024年检验检测机构能力验证的通知", "notice"),
        ("市场监管总局关于2024年第三季度认证有效性抽查情况的通告", "notice"),
        ("关于对《认证机构监督管理办法》公开征求意见的通知", "call-for-comments"),
        ("认证机构监督管理办法（征求意见稿）", "call-for-comments"),
        ("《强制性产品认证管理规定》解读", "interpretation"),
        ("《认证认可条例》释义", "interpretation"),
        ("检验检测机构资质认定问答", "interpretation"),
        ("关于发布《电动汽车供电设备强制性产品认证实施规则》的公告", "rules"),
        ("关于印发《检验检测机构监督管理办法》的通知", "rules"),
        ("认证机构信用监督管理规定", "rules"),
        ("关于发布强制性产品认证实施细则的公告", "rules"),
        ("关于印发《认证机构资质审批工作指南》的通知", "rules"),
        ("关于发布电动自行车强制性认证实施要求的公告", "rules"),
        ("关于公布2024年度能力验证结果满意机构名单的公告", "list"),
        ("关于发布强制性产品认证目录的公告", "list"),
        ("关于公布第一批认证机构名录的通知", "list"),
        ("认证认可工作会议在京召开", "news"),
        ("关于印发《认证机构资质审批工作指南》的通知（更正）", "correction"),
    ],
    ids=lambda v: v if v in DOC_TYPES else None,
)
def test_doc_type(title, expected):
    assert extract_fields(title, "", None).doc_type == expected


# ---------------------------------------------------------------------------------------
# issuers


def test_joint_issuers_split():
    fields = extract_fields("市场监管总局 国家网信办关于开展数据安全管理认证工作的公告", "", None)
    assert fields.issuers == ("市场监管总局", "国家网信办")


def test_issuers_short_official_names():
    fields = extract_fields("国家市场监督管理总局 中国国家认证认可监督管理委员会关于发布目录的公告", "", None)
    assert fields.issuers == ("市场监管总局", "国家认监委")


def test_provincial_bureau_short_name():
    fields = extract_fields("浙江省市场监督管理局关于开展认证检查的通知", "", None)
    assert fields.issuers == ("浙江省市场监管局",)


def test_issuer_from_signature():
    body = "现将有关事项通知如下。一、加强管理。\n特此通知。\n国家认监委\n2024年5月20日"
    assert extract_fields("关于开展认证检查的通知", body, None).issuers == ("国家认监委",)


def test_news_has_no_issuers():
    assert extract_fields("市场监管总局召开认证认可工作会议", "会议要求……", None).issuers == ()


# ---------------------------------------------------------------------------------------
# effective_date


def test_effective_from_a_date():
    assert extract_fields("关于X的公告", "本公告自2024年7月1日起施行。", None).effective_date == "2024-07-01"


def test_effective_from_publication_is_the_publication_date():
    fields = extract_fields("关于X的通知", "本通知自发布之日起实施。", "2024-05-20")
    assert fields.effective_date == "2024-05-20"


def test_effective_from_publication_without_a_publication_date_is_none():
    assert extract_fields("关于X的通知", "本通知自发布之日起实施。", None).effective_date is None


def test_effective_formally_on():
    fields = extract_fields("关于X的通知", "新版实施规则于2014年9月1日起正式实施。", None)
    assert fields.effective_date == "2014-09-01"


def test_effective_chinese_numeral_date():
    assert extract_fields("关于X的公告", "本公告自二〇二四年七月一日起施行。", None).effective_date == "2024-07-01"


def test_effective_chinese_numeral_two_digit_month_and_day():
    assert extract_fields("关于X的公告", "本办法自二〇二三年十二月三十一日起施行。", None).effective_date == "2023-12-31"


def test_effective_with_spaces_inside_the_date():
    assert extract_fields("关于X的公告", "本公告自 2024 年 7 月 1 日 起施行。", None).effective_date == "2024-07-01"


def test_effective_full_width_digits_and_traditional_characters():
    fields = extract_fields("國家認監委關於發佈實施規則的公告", "本公告自２０２４年７月１日起施行。", None)
    assert fields.effective_date == "2024-07-01"


def test_effective_date_of_a_cited_document_is_not_counted():
    body = "根据《认证机构管理办法》（2020年1月1日起施行），现就有关事项通知如下。"
    assert extract_fields("关于X的通知", body, None).effective_date is None


def test_correction_gives_the_corrected_date():
    # the demo's own story: 自2024年6月1日起施行 corrected to 7月1日
    body = (
        "本指南自2024年6月1日起施行，此前发布的审批工作要求与本指南不一致的，以本指南为准。\n"
        "更正说明：原文第二段中“自2024年6月1日起施行”更正为“自2024年7月1日起施行”，特此更正。"
    )
    fields = extract_fields("关于印发《认证机构资质审批工作指南》的通知（更正）", body, "2024-05-20")
    assert fields.doc_type == "correction"
    assert fields.effective_date == "2024-07-01"


def test_impossible_date_is_dropped():
    assert extract_fields("关于X的公告", "本公告自2024年2月30日起施行。", None).effective_date is None


# ---------------------------------------------------------------------------------------
# transition_end


def test_transition_to_a_date():
    assert extract_fields("关于X的公告", "过渡期至2024年12月31日。", None).transition_end == "2024-12-31"


def test_transition_cutover_is_the_day_before():
    body = "自2025年1月1日起，未获得强制性产品认证证书和未标注强制性认证标志的，不得出厂、销售、进口。"
    assert extract_fields("关于X的公告", body, None).transition_end == "2024-12-31"


def test_transition_range_takes_its_end():
    body = "过渡期为2024年1月1日至2024年6月30日。"
    assert extract_fields("关于X的公告", body, None).transition_end == "2024-06-30"


def test_transition_months_from_a_stated_start():
    body = "过渡期为6个月，自2024年3月1日起计算。"
    assert extract_fields("关于X的公告", body, None).transition_end == "2024-08-31"


def test_no_transition():
    assert extract_fields("关于X的公告", "本公告自2024年7月1日起施行。", None).transition_end is None


# ---------------------------------------------------------------------------------------
# comment_deadline


def test_comment_deadline_stated():
    body = "现公开征求意见，意见反馈截止日期为2024年10月26日。"
    assert extract_fields("关于X（征求意见稿）的说明", body, None).comment_deadline == "2024-10-26"


def test_comment_deadline_before():
    body = "请于2026年8月25日前将意见反馈至rzjgc@samr.gov.cn。"
    assert extract_fields("关于公开征求《X办法》意见的通知", body, None).comment_deadline == "2026-08-25"


def test_comment_deadline_from_a_list_row_range():
    fields = extract_fields("市场监管总局关于CCC认证便利化试点措施公开征求意见的公告", "2026-09-17至2026-10-17", "2026-09-17")
    assert fields.comment_deadline == "2026-10-17"


def test_comment_deadline_full_width_traditional():
    body = "意見反饋截止日期為２０２４年８月１０日。"
    assert extract_fields("關於《X辦法》徵求意見的通知", body, None).comment_deadline == "2024-08-10"


def test_comment_deadline_without_year_takes_the_publication_year():
    body = "请于10月26日前将意见反馈至邮箱。"
    assert extract_fields("关于X公开征求意见的通知", body, "2024-09-26").comment_deadline == "2024-10-26"


def test_a_report_deadline_is_not_a_comment_deadline():
    body = "请于2024年10月26日前将工作总结报送至认证监管司。"
    assert extract_fields("关于报送工作总结的通知", body, None).comment_deadline is None


# ---------------------------------------------------------------------------------------
# references


def test_references_in_order_without_brackets_deduplicated():
    body = "根据《认证认可条例》《强制性产品认证管理规定》，制定本规则。《认证认可条例》另有规定的除外。"
    fields = extract_fields("关于发布《电动自行车实施规则》的公告", body, None)
    assert fields.references == ("电动自行车实施规则", "认证认可条例", "强制性产品认证管理规定")


def test_references_include_repealed():
    body = "本公告自2024年7月1日起施行，《强制性产品认证目录描述与界定表（2020年修订）》同时废止。"
    fields = extract_fields("关于X的公告", body, None)
    assert fields.references == ("强制性产品认证目录描述与界定表（2020年修订）",)


def test_quoted_names_are_not_references():
    assert extract_fields("关于X的公告", "开展“认证提升行动”。", None).references == ()


# ---------------------------------------------------------------------------------------
# the whole record


def test_to_json_has_the_seven_keys_null_and_empty_where_absent():
    assert extract_fields("认证认可工作会议在京召开", "", None).to_json() == {
        "doc_number": None,
        "doc_type": "news",
        "issuers": [],
        "effective_date": None,
        "transition_end": None,
        "comment_deadline": None,
        "references": [],
    }


def test_evidence_shows_where_a_value_came_from():
    fields = extract_fields("关于X的公告", "一、加强管理。本公告自2024年7月1日起施行。", None)
    assert "自2024年7月1日起施行" in fields.evidence_for("effective_date")
    assert "evidence" in fields.to_json(with_evidence=True)
    assert fields.evidence_for("comment_deadline") is None


def test_from_json_round_trip():
    fields = extract_fields("市场监管总局 国家网信办关于X的公告（2024年第3号）", "本公告自2024年7月1日起施行。", None)
    assert Fields.from_json(fields.to_json(with_evidence=True)) == fields


def test_prepare_normalises_what_the_patterns_read():
    assert prepare("國家認監委 ２０２４年　七月") == "国家认监委 2024年七月"
    assert prepare("二〇二四年七月一日") == "2024年7月1日"
    assert prepare("认 证") == "认证"


# ---------------------------------------------------------------------------------------
# versions


def test_diff_fields_reads_like_the_issue():
    old = Fields(doc_type="notice", effective_date="2024-06-01")
    new = Fields(doc_type="correction", effective_date="2024-07-01")
    assert diff_fields(old, new) == ["doc_type: notice → correction", "effective_date: 2024-06-01 → 2024-07-01"]


def test_diff_fields_lists_as_sets_and_absent_values():
    old = Fields(issuers=("市场监管总局", "国家网信办"), comment_deadline=None)
    new = Fields(issuers=("国家网信办", "市场监管总局"), comment_deadline="2026-10-17")
    assert diff_fields(old, new) == ["comment_deadline: none → 2026-10-17"]
    assert fields_changed(old, new) == ("comment_deadline",)


def test_diff_fields_without_old_version():
    assert diff_fields(None, Fields(effective_date="2024-07-01")) == []


def test_demo_correction_moves_the_effective_date():
    title = "关于印发《认证机构资质审批工作指南》的通知"
    day1 = "本指南自2024年6月1日起施行，此前发布的审批工作要求与本指南不一致的，以本指南为准。"
    day2 = day1 + "\n更正说明：原文第二段中“自2024年6月1日起施行”更正为“自2024年7月1日起施行”，特此更正。"
    before = extract_fields(title, day1, "2024-05-20")
    after = extract_fields(title + "（更正）", day2, "2024-05-20")
    assert "effective_date: 2024-06-01 → 2024-07-01" in diff_fields(before, after)


# ---------------------------------------------------------------------------------------
# texts as law sites and mirrors store them (rules met while labelling; texts written here)


def test_order_number_under_its_heading_is_written_as_the_line_shows():
    body = "国家市场监督管理总局令\n\n第 82 号\n\n《某某办法》已经2023年8月17日市场监管总局第18次局务会议通过，现予公布，自2023年10月1日起施行。"
    fields = extract_fields("某某办法", body, "2023-08-29")
    assert fields.doc_number == "第82号"
    assert fields.doc_type == "rules"
    assert fields.issuers == ("市场监管总局",)
    assert fields.effective_date == "2023-10-01"


def test_order_number_in_a_promulgation_line():
    body = "《某某规定》已经市政府常务会议通过，现予公布，自2016年11月1日起施行。\n某某规定\n(2016年9月5日上海市人民政府令第43号公布)\n第一章 总则"
    assert extract_fields("", body, None).doc_number == "上海市人民政府令第43号"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("国家质检总局第117号令《强制性产品认证管理规定》", "国家质检总局第117号令"),
        ("商品量计量违法行为处罚规定(国家质量技术监督局令第3号)", "国家质量技术监督局令第3号"),
    ],
)
def test_order_number_in_a_title_that_is_the_rule(title, expected):
    assert extract_fields(title, "", None).doc_number == expected


def test_bare_year_serial_in_a_body_is_kept_as_written():
    body = "国家市场监督管理总局公告\n2023年第36号\n为进一步明确产品范围，现予发布。"
    assert extract_fields("", body, None).doc_number == "2023年第36号"


def test_number_in_an_attachment_file_name_is_own():
    body = "现下达2020年第一批计划。\n附件：浙江省市场监督管理局关于下达计划的函(浙市监函〔2020〕61号).pdf\n浙江省市场监督管理局\n2020年4月1日"
    assert extract_fields("关于下达计划的函", body, None).doc_number == "浙市监函〔2020〕61号"


def test_reporter_story_keeps_no_dates_of_its_own():
    body = "本报讯 记者从市场监管总局获悉，自2024年8月1日起，未获得CCC认证证书的，不得出厂、销售。本公告自2023年7月1日起施行。"
    fields = extract_fields("锂电池、移动电源将实施CCC认证", body, None)
    assert (fields.doc_type, fields.effective_date, fields.transition_end, fields.doc_number) == ("news", None, None, None)


def test_headline_reporting_a_text_is_news():
    assert extract_fields("市场监管总局发布《互联网广告管理办法（公开征求意见稿）》", "", None).doc_type == "news"


def test_official_public_notice_typed_news_keeps_its_window():
    body = "我局组织专家进行了评审，现予以公示，公示期2019年12月27日至2020年1月27日。如有异议，请以书面形式反馈我局。\n广东省市场监督管理局\n2019年12月27日"
    fields = extract_fields("", body, "2019-12-27")
    assert fields.doc_type == "news"
    assert fields.comment_deadline == "2020-01-27"
    assert fields.issuers == ("广东省市场监管局",)


def test_type_from_a_body_without_title():
    call = "为加强管理，我局起草了《某某办法（征求意见稿）》，现向社会公开征求意见。请于2024年3月15日前将意见反馈至邮箱。"
    assert extract_fields("", call, None).doc_type == "call-for-comments"
    assert extract_fields("", call, None).comment_deadline == "2024-03-15"
    embedded = "沪市监规范〔2020〕9号\n上海市市场监督管理局\n关于印发《某某备案管理办法（试行）》的通知\n各区市场监管局："
    assert extract_fields("", embedded, None).doc_type == "rules"
    qa = "一、《实施办法》的制定目的是什么？\n为规范管理。\n二、《实施办法》何时施行？\n本办法自2021年6月1日起施行。"
    fields = extract_fields("", qa, None)
    assert (fields.doc_type, fields.effective_date) == ("interpretation", None)


def test_pinyin_glosses_of_mirrors_are_dropped():
    fields = extract_fields("國家認(rèn)監(jiān)委關(guān)于加強(qiáng)認證規則管理的公告", "", None)
    assert fields.issuers == ("国家认监委",)
    assert fields.doc_type == "announcement"


def test_effective_date_from_a_metadata_table():
    body = "发布单位 | 中国认证认可协会 | 发布文号 | 中认协监[2012]42号 |\n发布日期 | 2012-03-08 | 生效日期 | 2012-03-08 |"
    fields = extract_fields("", body, "2012-03-08")
    assert fields.effective_date == "2012-03-08"
    assert fields.doc_number == "中认协监〔2012〕42号"
    assert fields.issuers == ("中国认证认可协会",)


def test_measures_applying_on_publication_are_its_effective_date():
    body = "经审查，国家认监委决定自公告发布之日起，撤销该公司有机产品认证资质。\n特此公告。"
    assert extract_fields("国家认监委关于撤销某公司认证资质的公告", body, "2014-12-29").effective_date == "2014-12-29"


def test_start_of_a_transition_is_not_the_effective_date():
    body = (
        "自2019年10月1日起，防爆电气等产品纳入CCC认证管理范围，指定认证机构开始受理认证委托。"
        "自2020年10月1日起，以上产品未获得强制性产品认证证书的，不得出厂、销售、进口。"
    )
    fields = extract_fields("市场监管总局关于防爆电气等产品实施强制性产品认证管理的公告", body, None)
    assert (fields.effective_date, fields.transition_end) == (None, "2020-09-30")


def test_a_past_comment_window_is_not_the_deadline():
    body = "该条例已于2021年11月22日至12月22日向社会公开征求意见。现再次公开征求意见，请于2023年7月29日前反馈意见。"
    assert extract_fields("", body, None).comment_deadline == "2023-07-29"


def test_an_order_does_not_cite_itself():
    body = "《某某管理办法》已经局务会议审议通过，现予公布。\n第一条 根据《中华人民共和国计量法》，制定本办法。"
    assert extract_fields("某某管理办法", body, None).references == ("中华人民共和国计量法",)


# ---------------------------------------------------------------------------------------
# the JSON lines entry point (cnca-watch fields --json)


def test_extract_json_line():
    line = '{"title": "关于X的通知", "body": "本通知自发布之日起施行。", "date": "2024-05-20"}'
    assert extract_json_line(line)["effective_date"] == "2024-05-20"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{", "line 3: not JSON"),
        ("[1]", "line 3: expected a JSON object"),
        ('{"title": 1}', 'line 3: "title" must be a string'),
        ('{"date": "2024-05-20"}', 'line 3: give a "title" or a "body"'),
        ('{"title": "x", "date": "20.5.2024"}', 'line 3: "date" must be YYYY-MM-DD'),
    ],
)
def test_extract_json_line_errors_name_the_line(line, message):
    with pytest.raises(UsageError) as caught:
        extract_json_line(line, 3)
    assert str(caught.value).startswith(message)


def test_a_standards_date_is_not_the_texts():
    body = "各有关单位：\nGB 4943.1—2022将于2023年8月1日起实施，请做好准备。\n特此通知。"
    assert extract_fields("关于做好标准换版工作的通知", body, None).effective_date is None


def test_a_cited_laws_date_is_not_the_texts():
    body = "各有关单位：\n新修订的《中华人民共和国产品质量法》将于2024年1月1日起施行，请做好宣传。\n特此通知。"
    assert extract_fields("关于做好宣传工作的通知", body, None).effective_date is None


def test_long_tables_of_numbers_and_dates_still_read_the_head_and_the_signature():
    rows = "\n".join(f"{i}. 根据《某办法》（国认监〔2019〕{i}号），于2019年1月{i % 28 + 1}日发证。" for i in range(1, 2000))
    body = "国认监〔2024〕3号\n各有关单位：\n" + rows + "\n特此通知。\n国家认监委\n2024年5月20日"
    fields = extract_fields("关于公布证书情况的通知", body, None)
    assert fields.doc_number == "国认监〔2024〕3号"
    assert fields.issuers == ("国家认监委",)
