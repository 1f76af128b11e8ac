"""Read playbooks (Markdown, plain text, HTML, .docx) into titled, intent-tagged sections.

Every section keeps the source line number of each of its lines, so a chunk or a scan finding can
be traced back to ``file:line``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import get_args

import yaml

from replydraft.errors import FieldProblem
from replydraft.knowledge.cleaning import clean_lines
from replydraft.knowledge.models import Intent
from replydraft.languages import LANGUAGES, Language
from replydraft.text.script import language_of
from replydraft.yamlfile import safe_load_bounded

PLAYBOOK_SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm", ".docx")
INTENTS: frozenset[str] = frozenset(get_args(Intent))
_INTENT_LINE = re.compile(r"^\s*intent\s*[:：]\s*(\S+)\s*$", re.I)


@dataclass
class Section:
    title: str
    intent: str
    lines: list[tuple[int, str]]  # (1-based source line, text)
    position: int = 0

    @property
    def text(self) -> str:
        return "\n".join(line for _, line in self.lines).strip()

    @property
    def first_line(self) -> int:
        return self.lines[0][0] if self.lines else 1

    def line_at(self, offset: int) -> int:
        """The source line of character ``offset`` in ``self.text``."""
        consumed = 0
        stripped_lead = len("\n".join(line for _, line in self.lines)) - len(
            "\n".join(line for _, line in self.lines).lstrip())
        offset += stripped_lead
        for number, line in self.lines:
            consumed += len(line) + 1
            if offset < consumed:
                return number
        return self.lines[-1][0] if self.lines else 1


@dataclass
class Playbook:
    source: str
    language: Language
    title: str
    sections: list[Section] = field(default_factory=list)


@dataclass
class PlaybookFile:
    playbook: Playbook | None
    problems: list[FieldProblem]


def read_playbook(path: Path, rel: str, *, max_bytes: int | None = None) -> PlaybookFile:
    """Parse one playbook file; its format follows the suffix. ``max_bytes`` bounds the XML
    inside a .docx (a zip: its own size says little about what it unpacks to)."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".docx":
            raw = _docx_lines(path, max_bytes)
        else:
            text = path.read_text(encoding="utf-8-sig")
            if suffix not in (".html", ".htm"):
                numbered = list(enumerate(text.splitlines(), start=1))
                if suffix == ".txt":
                    return _plain_text(numbered, rel)
                return _markdown(numbered, rel)
            raw = _html_lines(text)
    except UnicodeDecodeError as error:
        return PlaybookFile(None, [FieldProblem(rel, f"not UTF-8 text (byte {error.start})")])
    except OSError as error:
        # strerror, not str(error): that one carries the absolute path.
        return PlaybookFile(None, [FieldProblem(rel, f"cannot read: {error.strerror}")])
    except ValueError as error:  # python-docx: not a Word file
        return PlaybookFile(None, [FieldProblem(rel, f"cannot read as {suffix}: {error}")])
    return _headed(raw, rel)


# ------------------------------------------------------------------------------ Markdown


def _markdown(numbered: list[tuple[int, str]], rel: str) -> PlaybookFile:
    problems: list[FieldProblem] = []
    front, body = _split_front_matter(numbered, rel, problems)
    language = _language(front.get("language"), rel, body, problems, line=front.get("_line", 1))
    title = str(front.get("title") or "").strip()
    if not title:
        problems.append(FieldProblem(f"{rel}:1 title", "front matter needs a `title`"))
    unknown = set(front) - {"language", "title", "_line", "tags"}
    for key in sorted(unknown):
        problems.append(FieldProblem(f"{rel}:1 {key}", "unknown front-matter field"))
    sections: list[Section] = []
    current = Section(title=title, intent="", lines=[])
    in_fence = False
    for number, line in body:
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        heading = None if in_fence else re.match(r"^##\s+(.+?)\s*#*\s*$", line)
        if heading:
            sections.append(current)
            current = Section(title=heading.group(1).strip(), intent="", lines=[])
            continue
        if not in_fence and re.match(r"^#\s+", line):
            continue  # a document title heading repeats the front matter
        current.lines.append((number, line))
    sections.append(current)
    kept = [_take_intent(section, rel, problems) for section in sections if section.text]
    for position, section in enumerate(kept):
        section.position = position
    if problems:
        return PlaybookFile(None, problems)
    return PlaybookFile(Playbook(rel, language, title, kept), [])


def _split_front_matter(
    numbered: list[tuple[int, str]], rel: str, problems: list[FieldProblem]
) -> tuple[dict[str, object], list[tuple[int, str]]]:
    if not numbered or numbered[0][1].strip() != "---":
        return {}, numbered
    for index in range(1, len(numbered)):
        if numbered[index][1].strip() in ("---", "..."):
            block = "\n".join(line for _, line in numbered[1:index])
            try:
                data = safe_load_bounded(block) or {}
            except yaml.YAMLError as error:
                mark = getattr(error, "problem_mark", None)
                line = (mark.line + 2) if mark is not None else 1
                reason = getattr(error, "problem", None) or str(error)
                problems.append(FieldProblem(f"{rel}:{line}", f"invalid front matter: {reason}"))
                return {}, numbered[index + 1:]
            if not isinstance(data, dict):
                problems.append(FieldProblem(f"{rel}:2", "front matter must be a mapping"))
                return {}, numbered[index + 1:]
            return {str(k): v for k, v in data.items()}, numbered[index + 1:]
    problems.append(FieldProblem(f"{rel}:1", "front matter opened with --- but never closed"))
    return {}, numbered


def _take_intent(section: Section, rel: str, problems: list[FieldProblem]) -> Section:
    for index, (number, line) in enumerate(section.lines):
        if not line.strip():
            continue
        match = _INTENT_LINE.match(line)
        if match:
            intent = match.group(1)
            if intent not in INTENTS:
                problems.append(FieldProblem(
                    f"{rel}:{number} intent",
                    f"unknown intent {intent!r}; use one of: {' '.join(sorted(INTENTS))}"))
            section.intent = intent
            del section.lines[index]
        break
    return section


def _language(value: object, rel: str, body: list[tuple[int, str]],
              problems: list[FieldProblem], line: object = 1) -> Language:
    if value is not None:
        if value in LANGUAGES:
            return value
        problems.append(FieldProblem(
            f"{rel}:{line} language",
            f"unknown language {value!r}; use one of: {', '.join(LANGUAGES)}"))
    folder = _language_from_folder(rel)
    if folder:
        return folder
    return language_of("\n".join(text for _, text in body))


def _language_from_folder(rel: str) -> Language | None:
    for part in Path(rel).parts[:-1]:
        if part in LANGUAGES:
            return part
    return None


# ------------------------------------------------------------------------------ plain text

_TXT_HEADING = re.compile(
    r"^\s*(?:第[一二三四五六七八九十百\d]+[章节節部分篇]|[一二三四五六七八九十]+\s*[、.．]|"
    r"[(（][一二三四五六七八九十]+[)）]|\d{1,2}\s*[、．.)]\s*\S|[①-⑳]|[IVX]+\.\s)"
)
_SENTENCE_END = re.compile(r"[。！？!?；;，,：:]\s*$|\.\s*$")


def _plain_text(numbered: list[tuple[int, str]], rel: str) -> PlaybookFile:
    """Scraped notes: clean them, then cut sections at the strongest heading pattern found."""
    lines = clean_lines(numbered)
    language = _language_from_folder(rel) or language_of(
        "\n".join(text for _, text in lines))
    title = next((text.strip() for _, text in lines if text.strip()), Path(rel).stem)
    headings = [i for i, (_, text) in enumerate(lines) if _looks_like_heading(text)]
    sections: list[Section] = []
    current = Section(title=title, intent="", lines=[])
    for index, (number, text) in enumerate(lines):
        if index in headings and current.text:
            sections.append(current)
            current = Section(title=_heading_title(text), intent="", lines=[(number, text)])
        elif index in headings:
            current = Section(title=_heading_title(text), intent="", lines=[(number, text)])
        else:
            current.lines.append((number, text))
    sections.append(current)
    kept = [section for section in sections if section.text]
    for position, section in enumerate(kept):
        section.position = position
        section.intent = guess_intent(section.title + "\n" + section.text)
    if not kept:
        return PlaybookFile(None, [FieldProblem(rel, "no text left after cleaning")])
    return PlaybookFile(Playbook(rel, language, title, kept), [])


def _looks_like_heading(text: str) -> bool:
    stripped = text.strip()
    if not stripped or len(stripped) > 40:
        return False
    return bool(_TXT_HEADING.match(stripped)) and not _SENTENCE_END.search(stripped[-2:])


def _heading_title(text: str) -> str:
    return text.strip()[:60]


# Keywords -> intent, for scraped text that has no intent tags; the first match in order wins.
_INTENT_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("security", r"钓鱼|釣魚|链接|鏈接|phishing|link|QQ|微信|安全|보안|링크"),
    ("size_advice", r"尺码|尺碼|码数|碼數|size|사이즈|치수"),
    ("bargaining", r"议价|議價|砍价|砍價|优惠|優惠|便宜|discount|bargain|흥정|할인"),
    ("postage", r"邮费|郵費|运费|運費|包邮|包郵|postage|배송비"),
    ("logistics_delay", r"物流|快递慢|延迟|延遲|delay|logistics|지연"),
    ("shipping_time", r"发货|發貨|ship|발송|출고"),
    ("return_exchange", r"退换|退換|退货|退貨|换货|換貨|return|exchange|반품|교환"),
    ("refund_status", r"退款|refund|환불"),
    ("quality_complaint", r"质量|質量|品质|品質|破损|破損|quality|damage|품질|불량"),
    ("colour_difference", r"色差|colou?r difference|색상 차이"),
    ("payment_reminder", r"催付|未支付|付款|payment|결제"),
    ("invoice", r"发票|發票|invoice|영수증|세금계산서"),
    ("cancel_order", r"取消|cancel|취소"),
    ("address_change", r"地址|address|주소"),
    ("greeting", r"欢迎|歡迎|问候|問候|greet|welcome|인사|환영"),
)


def guess_intent(text: str) -> str:
    """A best-effort intent for untagged scraped sections ("" when nothing matches)."""
    head = text[:400]
    for intent, pattern in _INTENT_KEYWORDS:
        if re.search(pattern, head, re.I):
            return intent
    return ""


# ------------------------------------------------------------------------------ HTML / docx

HeadedLine = tuple[int, str, int]  # (line or paragraph number, text, heading level or 0)


def _headed(raw: tuple[list[HeadedLine], str | None, str], rel: str) -> PlaybookFile:
    """Sections from headed lines: level-1/2 headings start sections (level 1 titles the doc)."""
    lines, declared_language, doc_title = raw
    problems: list[FieldProblem] = []
    body = [(number, text) for number, text, _ in lines]
    language = _language(declared_language if declared_language in LANGUAGES else None,
                         rel, body, problems)
    title = doc_title or next((text for _, text, level in lines if level == 1), "") \
        or Path(rel).stem
    sections: list[Section] = []
    current = Section(title=title, intent="", lines=[])
    for number, text, level in lines:
        if level == 1 and not current.text:
            continue
        if level in (1, 2):
            sections.append(current)
            current = Section(title=text.strip(), intent="", lines=[])
        else:
            current.lines.append((number, text))
    sections.append(current)
    kept = [_take_intent(section, rel, problems) for section in sections if section.text]
    for position, section in enumerate(kept):
        section.position = position
    if problems:
        return PlaybookFile(None, problems)
    if not kept:
        return PlaybookFile(None, [FieldProblem(rel, "no text found")])
    return PlaybookFile(Playbook(rel, language, title, kept), [])


class _HtmlText(HTMLParser):
    """Collects block text with the source line of each block and its heading level."""

    _BLOCKS = frozenset({"p", "div", "li", "br", "tr", "blockquote", "section", "article",
                         "h1", "h2", "h3", "h4", "h5", "h6", "title", "pre", "td"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[HeadedLine] = []
        self.language: str | None = None
        self.title = ""
        self._buffer: list[str] = []
        self._start_line = 1
        self._level = 0
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "html":
            self.language = dict(attrs).get("lang")
        if tag in ("script", "style"):
            self._skip += 1
        if tag in self._BLOCKS:
            self._flush()
            self._start_line = self.getpos()[0]
            self._level = {"h1": 1, "h2": 2}.get(tag, 0)
            self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        if tag in self._BLOCKS:
            self._flush()
            self._level = 0

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if not self._buffer:
            self._start_line = self.getpos()[0]
        self._buffer.append(data)

    def _flush(self) -> None:
        text = re.sub(r"\s+", " ", "".join(self._buffer)).strip()
        self._buffer = []
        if not text:
            return
        if self._in_title:
            self.title = text
            self._in_title = False
            return
        self.lines.append((self._start_line, text, self._level))

    def close(self) -> None:
        super().close()
        self._flush()


def _html_lines(text: str) -> tuple[list[HeadedLine], str | None, str]:
    parser = _HtmlText()
    parser.feed(text)
    parser.close()
    return parser.lines, parser.language, parser.title


def _docx_lines(path: Path, max_bytes: int | None) -> tuple[list[HeadedLine], str | None, str]:
    import zipfile

    import docx  # python-docx; imported here because only .docx playbooks need it
    from docx.opc.exceptions import PackageNotFoundError
    from lxml import etree

    try:
        if max_bytes is not None:
            with zipfile.ZipFile(path) as archive:
                unpacked = sum(info.file_size for info in archive.infolist()
                               if info.filename.endswith(".xml"))
            if unpacked > max_bytes:
                raise ValueError(f"its XML unpacks to {unpacked:,} bytes, over the "
                                 f"{max_bytes:,}-byte limit (REPLYDRAFT_MAX_KNOWLEDGE_FILE_BYTES)")
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError) as error:
        raise ValueError(f"not a Word .docx document ({error})") from None
    except etree.LxmlError as error:  # e.g. "huge text node": python-docx lets it through
        raise ValueError(f"unreadable Word XML ({error})") from None
    lines: list[HeadedLine] = []
    title = ""
    for number, paragraph in enumerate(document.paragraphs, start=1):
        text = paragraph.text.strip()
        if not text:
            continue
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        if style == "Title":
            title = text
            continue
        level_match = re.match(r"Heading (\d)", style)
        level = int(level_match.group(1)) if level_match else 0
        lines.append((number, text, level if level in (1, 2) else 0))
    language = document.core_properties.language or None
    return lines, language, title
