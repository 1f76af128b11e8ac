"""Clean text scraped from document-sharing sites before it becomes a playbook.

Scraped training notes carry the site's noise: download/copyright boilerplate, pinyin glosses
after characters (``業(yè)``), ``?`` runs where characters were lost in a bad encoding round trip,
stray watermarks. The cleaner removes that noise and keeps every other character, and it keeps
the original line numbers so warnings still point at the right line of the file.
"""

from __future__ import annotations

import re

# Whole lines that are the site's, not the author's.
_BOILERPLATE_LINE = re.compile(
    r"下载文档前|仅部分预览|文档侵犯您的权益|本文档(?:下载|来自|由)|文档收集于互联网|"
    r"文档(?:来源|来自)(?:于)?网络|版权归.{0,20}所有|侵权请?联系|如有侵权|"
    r"^\s*(?:合集下载|相关主题|相关文档|最新文档|精品文档|热门文档|猜你喜欢|全文阅读已结束)\s*$|"
    r"下載文檔前|僅部分預覽|文檔侵犯您的權益|本文檔下載|文檔收集於互聯網|版權歸.{0,20}所有|"
    r"網友上傳|网友上传|本資料(?:來自|來源|由)|本资料(?:来自|来源|由)|[【\[]免[費费]下[載载][】\]]|"
    r"(?i:\bdownload(?:ed)? (?:this|the|from)\b|\ball rights reserved\b|^\s*copyright\b|"
    r"\bthis document (?:is|was) (?:collected|downloaded|from)\b)"
)
# Sentences a content farm inserts into the author's paragraph.
_BOILERPLATE_SENTENCE = re.compile(
    r"[^。！？!?\n]*(?:小编|小編)[^。！？!?\n]{0,12}(?:搜集|整理|收集|蒐集)[^。！？!?\n]*[。！？!?]?"
)
_WATERMARKS = re.compile(r"Fra Baidu bibliotek|百度文库|百度文庫|道客巴巴|豆丁网|原创力文档")

_TONED = "a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü"
# A Chinese character followed by its pinyin in half- or full-width brackets: 業(yè), 业（yè）.
_PINYIN_GLOSS = re.compile(rf"(?<=[\u3400-\u9fff])[(（][{_TONED}]{{1,7}}[)）]")
# A lost character (?) followed by the tail of its gloss: 因?yàn)  ->  因
_LOST_GLOSSED = re.compile(rf"[?？]+[{_TONED}]{{1,7}}[)）]")
_MOJIBAKE_RUN = re.compile(r"[?？]{2,}|\ufffd+")
_INLINE_SPACES = re.compile(r"[ \t\u3000]{2,}")


def clean_line(line: str) -> str | None:
    """The line without scrape noise, or ``None`` when the whole line is noise."""
    if _BOILERPLATE_LINE.search(line):
        return None
    text = _WATERMARKS.sub("", line)
    text = _BOILERPLATE_SENTENCE.sub("", text)
    text = _PINYIN_GLOSS.sub("", text)
    text = _LOST_GLOSSED.sub("", text)
    text = _MOJIBAKE_RUN.sub("", text)
    text = _INLINE_SPACES.sub(" ", text).rstrip()
    if line.strip() and not text.strip():
        return None
    return text


def clean_lines(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Clean numbered lines; drops noise lines and collapses runs of blank lines into one."""
    cleaned: list[tuple[int, str]] = []
    for number, line in lines:
        text = clean_line(line)
        if text is None:
            continue
        if not text.strip() and (not cleaned or not cleaned[-1][1].strip()):
            continue
        cleaned.append((number, text))
    while cleaned and not cleaned[-1][1].strip():
        cleaned.pop()
    return cleaned


def clean_text(text: str) -> str:
    """Convenience for whole documents (tests, one-off checks)."""
    numbered = list(enumerate(text.splitlines(), start=1))
    return "\n".join(line for _, line in clean_lines(numbered))
