"""Extraction: pure functions from page text to typed values (no I/O).

- ``find_jpaas_unit`` / ``parse_jpaas_payload``: jpaas column pages whose list comes from an API
  (``refuse_jpaas_api``: a source pointed at that API instead of its page)
- ``extract_list``: the announcement rows of a list page or API fragment
- ``whole_title``: a list title cut short ("…"), completed from the detail page's title
- ``extract_detail``: title, date, issuer, body and attachments of an announcement page
"""

from __future__ import annotations

from .dates import parse_date
from .detail import extract_detail, is_announcement_page, is_attachment_url
from .families import JpaasPayload, JpaasUnit, find_jpaas_unit, parse_jpaas_payload, refuse_jpaas_api
from .lists import extract_list, whole_title

__all__ = [
    "JpaasPayload",
    "JpaasUnit",
    "extract_detail",
    "extract_list",
    "find_jpaas_unit",
    "is_announcement_page",
    "is_attachment_url",
    "parse_date",
    "parse_jpaas_payload",
    "refuse_jpaas_api",
    "whole_title",
]
