"""Classification throughput: title+body pairs and titles per second on one core.

    .venv/bin/python bench/bench_classify.py [--pairs N] [--runs R] [--vocabulary-only]

Bodies are 1-2 KB of announcement-style Chinese (in and out of the domain, some in
traditional characters, some with full-width text).  Prints the median rate of R runs of
`classify_text` (vocabulary, patterns and the n-gram model): for pairs as `check` classifies
them (a body is read only when the title alone gives no area), for pairs with every body
read (`[model] body = "add"`, the worst case), and for titles alone (what `classify --json`
reads).  The issue's target is >= 5,000 texts/s.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace

from cnca_watch.classify import package_blend, classify, classify_text, load_vocabulary

_PARAGRAPHS = [
    "为贯彻落实党中央、国务院关于加快建设全国统一大市场的决策部署，深化检验检测机构资质认定制度改革，"
    "市场监管总局研究起草了相关公告，现公开征求社会各界意见。各有关单位可在规定期限内提出修改意见。",
    "根据《中华人民共和国认证认可条例》《强制性产品认证管理规定》，市场监管总局决定对电动自行车用锂离子蓄电池"
    "和充电器实施强制性产品认证管理。自公告发布之日起，指定认证机构开始受理认证委托，企业应当按照实施规则要求取得认证证书。",
    "各省级市场监管部门要加强组织领导，压实认证机构主体责任，结合双随机、一公开监督检查，严厉打击虚假认证、"
    "买证卖证等违法违规行为，对出具不实检验报告的检验检测机构依法予以处罚，并向社会公开。",
    "会议指出，要持续推进认证认可高水平开放，深化与一带一路共建国家的国际互认合作，积极参与国际认可论坛和"
    "国际实验室认可合作组织相关工作，推动更多国家和地区承认我国认证认可结果。",
    "小微企业质量管理体系认证提升行动开展以来，各地累计帮扶企业十余万家，帮助企业降本增效，"
    "认证贷等质量融资增信产品为中小企业提供资金支持，有力服务产业链供应链稳定和县域经济发展。",
    "为做好2025年食品安全监督抽检工作，各地市场监管部门要按照国家食品安全抽检监测计划要求，"
    "科学制定抽检方案，加强对重点品种、重点区域的抽检，及时核查处置不合格食品，依法公布抽检信息。",
    "国家标准化管理委员会批准发布一批重要国家标准，涉及智能制造、绿色低碳、消费品安全等领域。"
    "各有关单位要做好标准宣贯实施工作，推动标准化与科技创新互动发展。计量技术规范同步发布。",
    "認證認可檢驗檢測是市場監管的重要技術手段，是質量基礎設施的重要組成部分。會議要求加強行風建設，"
    "推進數字化轉型，建設高素質專業化人才隊伍，組織開展能力驗證和職業技能大賽。",
    "世界认可日期间，各地围绕主题开展宣传活动，举办检验检测机构开放日，发布典型案例和行业统计数据，"
    "推动认证结果在政府采购、行业管理中广泛采信，持续提升质量认证的社会认知度。",
    "ＣＣＣ认证产品联网核查工作持续推进，海关与市场监管部门加强协作，拦截无证商品。"
    "本通知自印发之日起施行。联系人：张某，电话：０１０－８２２６００００。",
]

_TITLES = [
    "市场监管总局关于对电动自行车用锂离子蓄电池、电动自行车用充电器实施强制性产品认证管理的公告",
    "市场监管总局关于2024年第三季度食品安全监督抽检情况的通告",
    "加快推进认证认可高水平开放行动方案（2024—2030年）",
    "國家認監委關于發布電動汽車供電設備強制性產品認證實施機構指定決定的公告",
    "国家标准化管理委员会关于下达2025年第一批推荐性国家标准计划的通知",
    "市场监管总局办公厅关于开展2024年全国检验检测机构开放日活动的通知",
    "国家认监委秘书处关于请提供“小微企业质量管理体系认证提升行动”工作总结的通知",
    "市场监管总局 公安部关于开展虚假认证专项整治行动的通知",
]


def make_pairs(count: int) -> list[tuple[str, str]]:
    pairs = []
    for i in range(count):
        # 8-14 paragraphs drawn deterministically: ~1-2 KB of text (3 bytes a character).
        size = 4 + i % 5
        body = "\n".join(_PARAGRAPHS[(i * 7 + k * 3) % len(_PARAGRAPHS)] for k in range(size))
        pairs.append((_TITLES[i % len(_TITLES)], body))
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--vocabulary-only", action="store_true", help="time classify() (no model) instead")
    args = parser.parse_args()
    vocabulary = load_vocabulary()
    every_body = replace(package_blend(), body="add")
    if args.vocabulary_only:
        run = lambda title, body: classify(title, body, vocabulary)  # noqa: E731
        run_all = run
    else:
        run = lambda title, body: classify_text(title, body, vocabulary)  # noqa: E731
        run_all = lambda title, body: classify_text(title, body, vocabulary, blend=every_body)  # noqa: E731
    pairs = make_pairs(args.pairs)
    mean_chars = sum(len(t) + len(b) for t, b in pairs) / len(pairs)
    run(*pairs[0])  # warm caches (translation table, compiled pattern, the model file)
    print(f"{len(pairs)} pairs, mean {mean_chars:.0f} characters ({mean_chars * 3 / 1024:.1f} KB UTF-8) each")
    cases = (
        ("pairs", pairs, run),
        ("pairs, every body read", pairs, run_all),
        ("titles", [(title, "") for title, _ in pairs], run),
    )
    for label, texts, run in cases:
        rates = []
        for _ in range(args.runs):
            start = time.perf_counter()
            for title, body in texts:
                run(title, body)
            rates.append(len(texts) / (time.perf_counter() - start))
        print(f"{label}: runs {', '.join(f'{r:,.0f}' for r in rates)} /s; median {statistics.median(rates):,.0f}/s")


if __name__ == "__main__":
    main()
