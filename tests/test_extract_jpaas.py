"""jpaas column pages: finding the list API and reading its answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cnca_watch.errors import ExtractError
from cnca_watch.extract import (
    JpaasPayload,
    JpaasUnit,
    find_jpaas_unit,
    parse_jpaas_payload,
)

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
CNCA_COLUMN = "https://www.cnca.gov.cn/zwxx/gg/index.html"
SAMR_COLUMN = "https://www.samr.gov.cn/zw/zfxxgk/fdzdgknr/rzjgs/"
UNIT_PATH = "/api-gateway/jpaas-publish-server/front/page/build/unit"


def read(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def test_cnca_bulidstatic_script() -> None:
    unit = find_jpaas_unit(read("cnca_column_page.html"), CNCA_COLUMN)
    assert unit == JpaasUnit(
        api_url="https://www.cnca.gov.cn" + UNIT_PATH,
        params={
            "webId": "e0d9d5cf9d6a4a1e9b6b0b5f1e8f2a11",
            "pageId": "1b0ff3b2ad3e4a1c8c1f7d9d0e2b6c41",
            "tplSetId": "a4d7b3c2e1f04d5e9a8b7c6d5e4f3a21",
            "pageType": "column",
            "tagId": "内容区域",
            "editType": "null",
            "parseType": "bulidstatic",
        },
    )


def test_page_params_add_param_json_only() -> None:
    unit = find_jpaas_unit(read("cnca_column_page.html"), CNCA_COLUMN)
    assert unit is not None
    params = unit.page_params(3, 20)
    assert params["paramJson"] == '{"pageNo":3,"pageSize":20}'
    assert "pageNo" not in params and "pageSize" not in params
    assert {k: v for k, v in params.items() if k != "paramJson"} == unit.params
    assert all(isinstance(v, str) for v in params.values())
    assert "paramJson" not in unit.params  # the unit itself is not modified


def test_samr_unitbuild_script_without_url_uses_the_default_endpoint() -> None:
    unit = find_jpaas_unit(read("samr_column_unitbuild.html"), SAMR_COLUMN)
    assert unit is not None
    assert unit.api_url == "https://www.samr.gov.cn" + UNIT_PATH
    assert unit.params["webId"] == "29e9522dc89d4e088a953d8cede72f4c"
    assert unit.params["pageId"] == "7d2c5e4b3a1f4e6d8c9b0a1f2e3d4c5b"


def test_querydata_values_become_strings_and_url_may_be_absolute() -> None:
    html = (
        "<script url=\"http://127.0.0.1:8123/unit\" querydata=\"{'webId':'w','size':20,"
        "'flag':true,'none':null}\"></script>"
    )
    unit = find_jpaas_unit(html, "http://127.0.0.1:8123/col/index.html")
    assert unit == JpaasUnit(
        "http://127.0.0.1:8123/unit", {"webId": "w", "size": "20", "flag": "true", "none": "null"}
    )


def test_bulidstatic_script_preferred_over_other_querydata_scripts() -> None:
    html = (
        "<script src=\"/x/unitbuild.js\" querydata=\"{'pageId':'side'}\"></script>"
        '<script parsetype="bulidstatic" url="/u" querydata="{\'pageId\':\'main\'}"></script>'
    )
    unit = find_jpaas_unit(html, "https://www.samr.gov.cn/a/")
    assert unit == JpaasUnit("https://www.samr.gov.cn/u", {"pageId": "main"})


def test_static_page_has_no_unit() -> None:
    assert find_jpaas_unit(read("static_li.html"), "http://x.gov.cn/tzgg/") is None
    assert find_jpaas_unit("", "http://x.gov.cn/") is None


def test_unreadable_querydata_is_an_extract_error() -> None:
    html = '<script parseType="bulidstatic" url="/u" querydata="{webId: oops"></script>'
    with pytest.raises(ExtractError, match="unreadable querydata"):
        find_jpaas_unit(html, CNCA_COLUMN)


def test_cnca_payload() -> None:
    payload = parse_jpaas_payload(read("cnca_list_api.json"))
    assert isinstance(payload, JpaasPayload)
    assert payload.total == 137
    assert '<ul class="common_list_ul">' in payload.html


def test_samr_payloads() -> None:
    assert parse_jpaas_payload(read("samr_list_api.json")).total == 58
    assert parse_jpaas_payload(read("samr_zjdc_api.json")).total == 2


def test_payload_without_pagination_has_no_total() -> None:
    text = json.dumps({"success": True, "code": "200", "data": {"html": "<ul><li>x</li></ul>"}})
    assert parse_jpaas_payload(text) == JpaasPayload(html="<ul><li>x</li></ul>", total=None)
    text = "\ufeff" + json.dumps({"success": True, "data": {"html": "", "total": 12}})
    assert parse_jpaas_payload(text) == JpaasPayload(html="", total=12)


@pytest.mark.parametrize(
    ("text", "cause"),
    [
        (
            "<!DOCTYPE html><html><body>请开启JavaScript</body></html>",
            "answered with an HTML page instead of JSON",
        ),
        ("  \n<html>waf</html>", "answered with an HTML page instead of JSON"),
        ("", "empty body"),
        ('{"success": true, "data": {"html": "<ul>', "malformed JSON from the list API: "),
        ("[1, 2]", "malformed JSON from the list API: expected an object"),
        (
            '{"success": false, "code": "500", "msg": "系统繁忙"}',
            "list API reported failure: code 500 (系统繁忙)",
        ),
        ('{"code": 403}', "list API reported failure: code 403"),
        ('{"success": true, "code": "200", "data": {}}', "no data.html"),
        ('{"success": true, "code": "200", "data": "html"}', "no data.html"),
        ('{"success": true, "code": "200"}', "no data.html"),
    ],
)
def test_unusable_payloads_raise_extract_error(text: str, cause: str) -> None:
    with pytest.raises(ExtractError) as caught:
        parse_jpaas_payload(text)
    assert cause in str(caught.value)


def test_the_content_area_unit_wins_over_other_units_on_the_page() -> None:
    html = (
        "<html><body>"
        "<script src=\"/x/unitbuild.js\" querydata=\"{'webId':'w','pageId':'nav','tagId':'导航','pageType':'index'}\"></script>"
        "<script src=\"/x/unitbuild.js\" querydata=\"{'webId':'w','pageId':'list','tagId':'内容区域','pageType':'column'}\"></script>"
        "</body></html>"
    )
    unit = find_jpaas_unit(html, "https://www.samr.gov.cn/zw/zfxxgk/fdzdgknr/rzjgs/")
    assert unit is not None
    assert unit.params["pageId"] == "list"
    assert unit.api_url == "https://www.samr.gov.cn/api-gateway/jpaas-publish-server/front/page/build/unit"
