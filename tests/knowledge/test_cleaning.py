"""Cleaning of scraped playbook text (own small fixtures; tests never read ../shared)."""

import pytest

from replydraft.knowledge.cleaning import clean_line, clean_lines, clean_text

SCRAPED = """店鋪客服守則
- 1、下载文档前请自行甄别文档内容的完整性,平台不提供额外的编辑服务。
- 2、"仅部分预览"的文档,不可在线预览部分如存在完整性等问题,可反馈申请退款。
本文档下载自某某文库，版权归原作者所有


客服是店鋪形象的窗口,作為電商行業(yè)最基層的崗位(wèi)。下面是學習啦小編搜集整理的一些內容,希望對你有幫助。
如果退款原因只是因?yàn)樽陨,盡量挽回。
尺碼問題???請先問身高體重��
诚实守信Fra Baidu bibliotek原则
有哪些問題?歡迎諮詢。
"""


def test_boilerplate_lines_are_dropped() -> None:
    cleaned = clean_text(SCRAPED)
    assert "下载文档前" not in cleaned
    assert "仅部分预览" not in cleaned
    assert "本文档下载自" not in cleaned
    assert cleaned.startswith("店鋪客服守則\n")


def test_pinyin_glosses_removed_and_characters_kept() -> None:
    cleaned = clean_text(SCRAPED)
    assert "電商行業最基層的崗位" in cleaned
    assert "(yè)" not in cleaned and "(wèi)" not in cleaned


def test_full_width_gloss_removed() -> None:
    assert clean_line("这个专业（yè）词") == "这个专业词"


def test_lost_character_gloss_tail_and_mojibake_runs_removed() -> None:
    cleaned = clean_text(SCRAPED)
    assert "?yàn)" not in cleaned
    assert "因樽陨" in cleaned  # what cannot be repaired is kept, not guessed at
    assert "尺碼問題請先問身高體重" in cleaned
    assert "???" not in cleaned and "\ufffd" not in cleaned


def test_single_question_mark_is_punctuation_and_stays() -> None:
    assert "有哪些問題?歡迎諮詢。" in clean_text(SCRAPED)


def test_content_farm_sentence_and_watermark_removed() -> None:
    cleaned = clean_text(SCRAPED)
    assert "小編" not in cleaned
    assert "诚实守信原则" in cleaned
    assert "客服是店鋪形象的窗口" in cleaned


def test_blank_runs_collapse_and_line_numbers_survive() -> None:
    numbered = list(enumerate(SCRAPED.splitlines(), start=1))
    cleaned = clean_lines(numbered)
    blanks = [i for i, (_, text) in enumerate(cleaned) if not text.strip()]
    assert all(b + 1 not in blanks for b in blanks)  # never two blank lines in a row
    line_of = {text: number for number, text in cleaned}
    assert line_of["诚实守信原则"] == 10


def test_english_download_boilerplate_dropped() -> None:
    assert clean_line("This document was downloaded from docs-example.net") is None
    assert clean_line("All rights reserved.") is None
    assert clean_line("Always ask for the height and weight first.") == \
        "Always ask for the height and weight first."


@pytest.mark.parametrize(
    "line",
    [
        "本資料由網友上傳分享，僅供學習交流使用",
        "【免費下載】淘寶客服話術大全",
        "[免费下载] 客服培训手册",
        "本资料来自互联网，仅供参考",
    ],
)
def test_traditional_and_simplified_sharing_site_lines_dropped(line: str) -> None:
    assert clean_line(line) is None


def test_the_word_download_in_an_authors_sentence_survives() -> None:
    line = "顧客要發票時，提醒他在訂單頁面下載電子發票。"
    assert clean_line(line) == line
