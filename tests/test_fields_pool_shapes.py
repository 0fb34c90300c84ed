"""Text shapes found on the second tuning pool (tests/fixtures/fields/pool-2026-12-02.jsonl,
helper fieldsx2): each class of error fixed there, as a real text's shape, shortened.  Every
expected value is written by hand from the labelling guide (tests/fixtures/fields/GUIDE.md);
each class also has the near miss that must stay ``None``."""

from __future__ import annotations

import pytest

from cnca_watch.fields import extract_fields, prepare

# --- dates: Chinese-numeral month-days, Taiwan's (Republic of China) years ----------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("至九月五日止", "至9月5日止"),
        ("公众可在 九 月 三 十 日 前", "公众可在 9月30日 前"),
        ("今年十二月三十一日前", "今年12月31日前"),
        ("2024年七月一日起", "2024年7月1日起"),
        ("十一五规划", "十一五规划"),  # no 月…日: not a date
        ("星期一月三日", "星期一月三日"),  # 一 belongs to 星期
    ],
)
def test_chinese_numeral_month_days_become_digits(raw: str, expected: str) -> None:
    assert prepare(raw, join_cjk=False) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("中華民國一百十二年十二月二十一日內政部", "2023年12月21日内政部"),
        ("中華民國89年12月30日行政院新聞局令;並自90年1月1日起實施", "2000年12月30日行政院新闻局令;并自2001年1月1日起实施"),
        ("日期:110-07-01\n中華民國110年1月28日經濟部公告", "日期:2021-07-01\n2021年1月28日经济部公告"),
        ("民国时期的12年3月4日", "民国时期的12年3月4日"),  # no year after 民国: nothing is converted
    ],
)
def test_republic_of_china_years_become_western_years(raw: str, expected: str) -> None:
    assert prepare(raw, join_cjk=False) == expected


# --- Taiwan's law-history pages: the order that issued or amended the text -----------------


@pytest.mark.parametrize(
    ("body", "published", "number", "effective"),
    [
        (
            "沿革\n\n1.中華民國一百十二年十二月二十一日內政部台內消字第 1120827499 號\n令訂定發布全文 10 條;並自發布日施行",
            "2023-12-21",
            "台内消字第1120827499号",
            "2023-12-21",
        ),
        (
            "法規資訊中央現行法規\n\n行政/經濟/標準、度量衡\n中華民國104年11月3日\n"
            "中華民國112年12月7日經濟部標準檢驗局經標檢政字第11220204230號令修正發布全文六點,並自113年1月1日生效",
            "2023-12-07",
            "经标检政字第11220204230号",
            "2024-01-01",
        ),
        (  # the history's last entry is the version shown; a 函 that issued nothing is not it
            "日期:110-07-01 資料來源:消費者保護處\n中華民國87年6月17日經濟部經商字第87014523號函。 "
            "中華民國110年1月28日經濟部經商字第10902435080號公告修正,自110年7月1日生效。",
            "2021-01-28",
            "经商字第10902435080号",
            "2021-07-01",
        ),
    ],
)
def test_taiwan_order_lines(body: str, published: str, number: str, effective: str) -> None:
    fields = extract_fields("", body, published)
    assert (fields.doc_number, fields.effective_date) == (number, effective)


def test_a_taiwan_number_cited_in_a_sentence_is_not_own() -> None:
    fields = extract_fields("", "依據經濟部經商字第10902435080號函辦理,請查照。", "2021-03-01")
    assert fields.doc_number is None


# --- numbers -------------------------------------------------------------------------------


def test_an_order_number_with_its_year_over_the_rule_it_issues() -> None:
    fields = extract_fields(
        "商业特许经营备案管理办法",
        "商业特许经营备案管理办法\n\n商务部\n\n商务部令2007年第15号 商业特许经营备案管理办法\n\n"
        "  《商业特许经营备案管理办法》已于2007年4月6日经中华人民共和国商务部第六次部务会讨论通过,现予以公布,自2007年5月1日起施行。\n"
        "      部 长:薄熙来\n      二〇〇七年四月三十日",
        "2007-04-30",
    )
    assert (fields.doc_number, fields.effective_date) == ("商务部令2007年第15号", "2007-05-01")


@pytest.mark.parametrize(
    ("title", "body", "expected"),
    [
        ("第38/2023号行政法规", "消费者谘询委员会\n\n2023年10月24日\n《第38/2023号行政法规》经行政长官制定。\n第一条 标的", "第38/2023号行政法规"),
        ("", "立法局CB(1)406/96-97號文件\n(此份會議紀要業經政府當局審閱)\n檔 號:CB1/BC/29/95/2\n會議紀要", "立法局CB(1)406/96-97号文件"),
        ("关于修订某条例的说明", "消费者委员会根据第9/2021号法律《消费者权益保护法》第二十条的规定收集资讯。", None),  # cited
    ],
)
def test_slash_numbers(title: str, body: str, expected: str | None) -> None:
    assert extract_fields(title, body, None).doc_number == expected


# --- document type: titles without a type word ---------------------------------------------


def test_a_headline_about_a_named_rule_is_news_and_keeps_no_date() -> None:
    fields = extract_fields(
        "《食品经营许可和备案管理办法》将于12月起施行",
        "为进一步规范食品经营许可和备案管理工作,市场监管总局12日发布《食品经营许可和备案管理办法》,自2023年12月1日起施行。\n"
        "办法聚焦企业反映的堵点难点问题,作出了简化许可的规定。",
        None,
    )
    assert (fields.doc_type, fields.effective_date) == ("news", None)


def test_a_rule_titled_by_its_name_alone_is_still_a_rule() -> None:
    fields = extract_fields("第117号令《检验检测机构监督管理办法》", "《检验检测机构监督管理办法》已经审议通过,现予公布,自2021年6月1日起施行。", "2021-04-08")
    assert (fields.doc_type, fields.effective_date) == ("rules", "2021-06-01")


def test_an_unrelated_page_title_over_a_call_for_comments() -> None:
    fields = extract_fields(
        "低碳环保作文200字自然景观的绿色守护者",
        "国家市场监督管理总局认可检测司发布了《检验检测机构能力验证管理办法(修订征求意见稿)》,以下是关于公开征求意见的通知:\n"
        "我们计划对《实验室能力验证实施办法》进行修订。现在,我们正在向社会公开征求意见。"
        "欢迎所有单位和个人提出修改建议,并在2022年2月18日前将意见反馈至市场监管总局认可检测司。\n2022年1月17日",
        "2022-01-17",
    )
    assert (fields.doc_type, fields.comment_deadline) == ("call-for-comments", "2022-02-18")


def test_a_story_about_a_call_under_its_own_headline_stays_news() -> None:
    fields = extract_fields(
        "官方拟规定:网络交易经营者不得删除用户不利评价",
        "市场监管总局30日起就《网络交易监督管理办法(征求意见稿)》公开征求意见。\n"
        "市场监管总局起草了《网络交易监督管理办法(征求意见稿)》,30日起公开征求意见,意见反馈截止时间到2019年5月29日。",
        "2019-04-30",
    )
    assert (fields.doc_type, fields.comment_deadline) == ("news", None)


@pytest.mark.parametrize(
    "title",
    ["", "沙河市市场监督管理局机构设置和职能"],
)
def test_a_text_made_of_articles_is_a_rule(title: str) -> None:
    body = (
        "第一条根据《沙河市机构改革方案》,制定本规定。\n第二条沙河市市场监督管理局为市政府工作部门。\n"
        "第三条本规定自2019年3月1日起施行。"
    )
    fields = extract_fields(title, body, None)
    assert (fields.doc_type, fields.effective_date) == ("rules", "2019-03-01")


# --- comment deadlines ---------------------------------------------------------------------


def test_an_objection_window_written_as_a_month_day() -> None:
    fields = extract_fields(
        "国家有机产品认证示范区(县/市)名单公示",
        "各有关单位:\n现将“第一批国家有机产品认证示范区”名单进行公示,欢迎社会各界提出意见建议。公示期截止日期为10月15日。\n"
        "联系人:赵杉杉\n国家认监委注册管理部\n2015年10月10日",
        "2015-10-10",
    )
    assert fields.comment_deadline == "2015-10-15"


def test_an_application_deadline_as_a_month_day_is_not_a_comment_deadline() -> None:
    fields = extract_fields(
        "关于开展2015年度有机产品认证示范区创建工作的通知",
        "各有关单位:\n请有意向的县市于10月15日前提交申请材料。申报截止日期为10月20日。\n国家认监委注册管理部\n2015年10月10日",
        "2015-10-10",
    )
    assert fields.comment_deadline is None


# --- references: a headline about a named text cites it; a title that is the name does not ---


@pytest.mark.parametrize(
    ("title", "cited"),
    [
        ("《食品经营许可和备案管理办法》将于12月起施行", True),
        ("《施政報告》諮詢工作展開", True),
        ("注意|新版《认证机构认可收费管理规则》变化早知道", True),
        ("国家认监委2014年第50号公告《国家认监委关于撤销某认证机构资质的公告》", False),
        ("《关于部分消防产品实施强制性产品认证的公告》 2014年第12号", False),
        ("国家质检总局《强制性产品认证管理规定》（总局令第117号）", False),
    ],
)
def test_a_title_names_itself_only_when_nothing_but_its_number_or_issuer_stands_beside(title: str, cited: bool) -> None:
    fields = extract_fields(title, "特此公告。", None)
    name = prepare(title).split("《", 1)[1].split("》", 1)[0]
    assert (name in fields.references) is cited


@pytest.mark.parametrize(
    ("line", "doc_type"),
    [
        ("中華民國112年12月21日內政部台內消字第1120827499號令訂定發布全文10條", "rules"),
        ("中華民國110年1月28日經濟部經商字第10902435080號公告修正,自110年7月1日生效。", "announcement"),
    ],
)
def test_a_law_history_line_types_the_text(line: str, doc_type: str) -> None:
    assert extract_fields("", "沿革\n" + line, None).doc_type == doc_type


# --- classes met on the held-out third (fixed after its first check) -----------------------


def test_a_presidential_order_line_keeps_neither_the_date_nor_the_signer() -> None:
    fields = extract_fields(
        "", "中央法規條文檢索\n\n行政/教育/組織\n中華民國107年11月28日總統華總一義字第10700127991號令制定公布全文十三條,自公布日施行", "2018-11-28"
    )
    assert (fields.doc_number, fields.effective_date) == ("华总一义字第10700127991号", "2018-11-28")


def test_a_promulgation_parenthetical_under_the_rules_name_on_a_flattened_page() -> None:
    fields = extract_fields(
        "检验检测机构资质认定管理办法",
        "检验检测机构资质认定管理办法 (2015年4月9日国家质量监督检验检疫总局令第163号公布, 根据2021年4月2日《国家市场监督管理总局关于"
        " 废止和修改部分规章的决定》修改) 第一章 总则   第一条为了规范检验检测机构资质认定工作,制定本办法。   第二条本办法所称检验检测机构…",
        "2015-04-09",
    )
    assert fields.doc_number == "国家质量监督检验检疫总局令第163号"


def test_a_rule_citing_another_rules_promulgation_is_not_given_its_number() -> None:
    fields = extract_fields(
        "检验检测机构监督管理办法",
        "第一条为了加强检验检测机构监督管理,根据《检验检测机构资质认定管理办法》(2015年4月9日国家质量监督检验检疫总局令第163号公布),制定本办法。",
        None,
    )
    assert fields.doc_number is None


@pytest.mark.parametrize(
    ("tail", "expected"),
    [
        ("(2018年第29号公告),详情如下:\n为深入贯彻落实有关要求,现将改革措施公布如下:", "2018年第29号"),
        ("(2018年第29号公告)要求,现将有关事项通知如下:", None),  # a cited text, not the one that follows
    ],
)
def test_a_reposts_intro_that_names_the_text_it_gives(tail: str, expected: str | None) -> None:
    body = "今天,国家认监委官网发布《关于进一步落实强制性产品认证目录及实施方式改革的公告》" + tail + "\n市场监管总局 认监委\n2018年12月3日"
    assert extract_fields("", body, "2018-12-03").doc_number == expected


def test_a_listed_companys_correction_keeps_its_labelled_number() -> None:
    fields = extract_fields(
        "中国嘉陵工业股份有限公司(集团)更正公告",
        "证券代码:600877 证券简称:中国嘉陵 编号:临2008-001\n中国嘉陵工业股份有限公司(集团)\n更正公告\n"
        "本公司于2007年12月19日刊登了《关于召开二OO七年第四次临时股东大会的通知》。\n特此更正。",
        "2008-01-14",
    )
    assert (fields.doc_type, fields.doc_number) == ("correction", "临2008-001")
