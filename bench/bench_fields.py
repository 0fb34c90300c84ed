"""Field extraction throughput: title+body texts per second on one core.

    .venv/bin/python bench/bench_fields.py [--texts N] [--runs R]

Bodies are 1-2 KB of announcement-style Chinese: numbers of their own and cited ones,
effective dates, transition periods, comment deadlines, 《》 citations, some in traditional
characters or full-width digits, some with no field at all.  Prints the median rate of R
runs.  Brief F's target is >= 2,000 texts/s.
"""

from __future__ import annotations

import argparse
import statistics
import time

from cnca_watch.fields import extract_fields

_PARAGRAPHS = [
    "根据《中华人民共和国认证认可条例》《强制性产品认证管理规定》（国家质检总局令第117号），市场监管总局决定对电动自行车用锂离子蓄电池"
    "和充电器实施强制性产品认证管理。自2025年1月1日起，未获得强制性产品认证证书和未标注强制性认证标志的，不得出厂、销售、进口。",
    "各省级市场监管部门要加强组织领导，压实认证机构主体责任，结合双随机、一公开监督检查，严厉打击虚假认证、"
    "买证卖证等违法违规行为，对出具不实检验报告的检验检测机构依法予以处罚，并向社会公开。",
    "为进一步规范认证活动，市场监管总局起草了《认证机构监督管理办法（征求意见稿）》，现向社会公开征求意见。"
    "请于2026年8月25日前将意见反馈至电子邮箱rzjgc@samr.gov.cn，邮件主题请注明“认证机构监督管理办法意见”。",
    "会议指出，要持续推进认证认可高水平开放，深化与一带一路共建国家的国际互认合作，积极参与国际认可论坛和"
    "国际实验室认可合作组织相关工作，推动更多国家和地区承认我国认证认可结果。",
    "本公告自二〇二四年七月一日起施行。原国家认监委2019年第6号公告同时废止。过渡期至2024年12月31日，"
    "过渡期内企业可继续使用原证书。",
    "小微企业质量管理体系认证提升行动开展以来，各地累计帮扶企业十余万家，帮助企业降本增效，"
    "认证贷等质量融资增信产品为中小企业提供资金支持，有力服务产业链供应链稳定和县域经济发展。",
    "認證認可檢驗檢測是市場監管的重要技術手段，是質量基礎設施的重要組成部分。本辦法自２０２４年　９月１日起實施，"
    "意見反饋截止日期為２０２４年８月１０日。",
    "征求意见时间：2026-09-17至2026-10-17。联系人：张某，电话：010-82260000。",
    "世界认可日期间，各地围绕主题开展宣传活动，举办检验检测机构开放日，发布典型案例和行业统计数据，"
    "推动认证结果在政府采购、行业管理中广泛采信，持续提升质量认证的社会认知度。",
    "ＣＣＣ认证产品联网核查工作持续推进，海关与市场监管部门加强协作，拦截无证商品。"
    "本通知自印发之日起施行。",
]

_TITLES = [
    "市场监管总局关于对电动自行车用锂离子蓄电池、电动自行车用充电器实施强制性产品认证管理的公告（2024年第11号）",
    "市场监管总局关于公开征求《认证机构监督管理办法（征求意见稿）》意见的通知",
    "加快推进认证认可高水平开放行动方案（2024—2030年）",
    "國家認監委關於發佈電動汽車供電設備強制性產品認證實施規則的公告",
    "国家认监委关于印发《认证机构资质审批工作指南》的通知（更正）",
    "市场监管总局办公厅关于开展2024年全国检验检测机构开放日活动的通知",
    "浙江省市场监督管理局关于公布2024年度检验检测机构能力验证结果名单的公告",
    "市场监管总局 国家网信办关于开展数据安全管理认证工作的公告",
]


def make_texts(count: int) -> list[tuple[str, str, str]]:
    texts = []
    for i in range(count):
        # 4-8 paragraphs drawn deterministically: ~1-2 KB of text (3 bytes a character).
        size = 4 + i % 5
        header = "国认监〔2024〕5号\n" if i % 3 == 0 else ""
        body = header + "\n".join(_PARAGRAPHS[(i * 7 + k * 3) % len(_PARAGRAPHS)] for k in range(size))
        texts.append((_TITLES[i % len(_TITLES)], body, "2024-05-20"))
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    texts = make_texts(args.texts)
    mean_chars = sum(len(t) + len(b) for t, b, _ in texts) / len(texts)
    extract_fields(*texts[0])  # warm caches (translation table, compiled patterns)
    rates, cpu_rates = [], []
    for _ in range(args.runs):
        start, cpu_start = time.perf_counter(), time.process_time()
        for title, body, published in texts:
            extract_fields(title, body, published)
        rates.append(len(texts) / (time.perf_counter() - start))
        cpu_rates.append(len(texts) / max(time.process_time() - cpu_start, 1e-9))
    print(f"{len(texts)} texts, mean {mean_chars:.0f} characters ({mean_chars * 3 / 1024:.1f} KB UTF-8) each")
    print(f"runs: {', '.join(f'{r:,.0f}' for r in rates)} texts/s")
    print(f"median: {statistics.median(rates):,.0f} texts/s wall clock")
    # on a busy machine wall time mostly measures the neighbours: CPU time is shown beside it
    print(f"median: {statistics.median(cpu_rates):,.0f} texts/s of CPU time")


if __name__ == "__main__":
    main()
