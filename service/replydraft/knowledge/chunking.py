"""Turn parsed sources into content-addressed chunks.

A chunk's id is a hash of its text, of the text that gets embedded and of the metadata that
matters (source, section, intent, language, SKU): the same content always gets the same id, so a
refresh only embeds ids the index does not already hold. Playbook sections stay whole when they fit
in ``chunk_tokens``; longer ones are split on paragraph/sentence boundaries with overlap.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from replydraft.knowledge.catalog import LocatedProduct
from replydraft.knowledge.lexical import tokenize
from replydraft.knowledge.models import ChunkMeta, SearchHit, SourceType, StoreProfile
from replydraft.knowledge.playbooks import Playbook
from replydraft.knowledge.render import (
    product_languages,
    render_product,
    render_store,
    render_store_answer,
    store_languages,
)
from replydraft.languages import Language

# Break long sections at paragraphs, then lines, then sentence ends in any of our scripts.
# The store profile, relative to the knowledge folder.
STORE_FILE = "store.yaml"
_SEPARATORS = ["\n\n", "\n", "。", "！", "？", ". ", "! ", "? ", "；", "; ", "，", ", ", " ", ""]


@dataclass(frozen=True)
class IndexedChunk:
    """A chunk plus what the index needs: embedding input, lexical terms, source line."""

    id: str
    text: str
    meta: ChunkMeta
    embed_text: str
    terms: list[str]
    line: int

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text, "meta": self.meta.model_dump(),
                "embed_text": self.embed_text, "terms": self.terms, "line": self.line}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IndexedChunk:
        # Written by us and read for every chunk of a 10k-product version: skip validation.
        return cls(id=data["id"], text=data["text"], meta=ChunkMeta.model_construct(**data["meta"]),
                   embed_text=data["embed_text"], terms=data["terms"], line=int(data["line"]))


def relocate(chunk: IndexedChunk, position: int, line: int) -> IndexedChunk:
    """The same chunk at another place in its file (same id: identity ignores position)."""
    if chunk.meta.position == position and chunk.line == line:
        return chunk
    return dataclasses.replace(chunk, meta=chunk.meta.model_copy(update={"position": position}),
                               line=line)


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def chunk_id(text: str, embed_text: str, *, source: str, section: str, intent: str,
             language: str, sku: str) -> str:
    key = json.dumps([text, embed_text, source, section, intent, language, sku],
                     ensure_ascii=False)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


Known = Mapping[str, IndexedChunk]
"""Chunks of the serving version by id: an unchanged chunk reuses its lexical terms."""


def make_chunk(text: str, embed_text: str, *, source: str, source_type: SourceType,
               section: str, intent: str, language: Language, sku: str, position: int,
               line: int, known: Known | None = None) -> IndexedChunk:
    meta = ChunkMeta(source=source, source_type=source_type, section=section, intent=intent,
                     language=language, sku=sku, content_hash=content_hash(text),
                     position=position)
    identity = chunk_id(text, embed_text, source=source, section=section, intent=intent,
                        language=language, sku=sku)
    previous = known.get(identity) if known else None
    # Tokenising is the slow part of chunking (jieba, kiwi): never redo it for known content.
    terms = previous.terms if previous is not None else tokenize(f"{section}\n{text}")
    return IndexedChunk(id=identity, text=text, meta=meta, embed_text=embed_text, terms=terms,
                        line=line)


@lru_cache(maxsize=8)
def _splitter(chunk_tokens: int, chunk_overlap: int) -> Any:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter.from_tiktoken_encoder(
        encoding_name="cl100k_base", chunk_size=chunk_tokens, chunk_overlap=chunk_overlap,
        separators=_SEPARATORS, keep_separator="end", add_start_index=True)


@lru_cache(maxsize=1)
def _encoding() -> Any:
    import tiktoken

    return tiktoken.get_encoding("cl100k_base")


def count_tokens(text: str) -> int:
    return len(_encoding().encode(text, disallowed_special=()))


def split_text(text: str, chunk_tokens: int, chunk_overlap: int) -> list[tuple[int, str]]:
    """``(start offset, piece)`` pieces of at most ``chunk_tokens`` tokens (one when it fits)."""
    if count_tokens(text) <= chunk_tokens:
        return [(0, text)]
    documents = _splitter(chunk_tokens, chunk_overlap).create_documents([text])
    return [(int(doc.metadata.get("start_index", 0)), doc.page_content) for doc in documents]


def playbook_chunks(playbook: Playbook, chunk_tokens: int, chunk_overlap: int,
                    known: Known | None = None) -> list[IndexedChunk]:
    chunks = []
    position = 0
    for section in playbook.sections:
        text = section.text
        for start, piece in split_text(text, chunk_tokens, chunk_overlap):
            heading = section.title if section.title == playbook.title else \
                f"{playbook.title} · {section.title}"
            chunks.append(make_chunk(
                piece, f"{heading}\n{piece}", source=playbook.source, source_type="playbook",
                section=section.title, intent=section.intent, language=playbook.language,
                sku="", position=position, line=section.line_at(max(start, 0)), known=known))
            position += 1
    return chunks


def product_chunks(located: LocatedProduct, position: int, known: Known | None = None
                   ) -> list[IndexedChunk]:
    """One chunk per language the product is named in; all share one headline embedding."""
    product = located.product
    chunks = []
    for language in product_languages(product):
        block = render_product(product, language)
        chunks.append(make_chunk(
            block.text, block.headline, source=located.source, source_type="product",
            section=block.section, intent=block.intent, language=language, sku=product.sku,
            position=position, line=located.line, known=known))
    return chunks


def store_answer_hit(store: StoreProfile, ask: str, language: Language,
                     source: str = STORE_FILE) -> SearchHit | None:
    """The indexed store block holding the store's answer to ``ask`` in ``language``, built the
    way the refresh built it (same text, same id), so a reply can cite it without a search that
    might not rank it. Only that block is rendered: this runs for every draft with an ask."""
    block = render_store_answer(store, ask, language)
    if block is None:
        return None
    identity = chunk_id(block.text, block.headline, source=source, section=block.section,
                        intent=block.intent, language=language, sku="")
    return SearchHit(chunk_id=identity, text=block.text, source=source, source_type="store",
                     section=block.section, intent=block.intent, language=language, sku="",
                     score=1.0)


def store_chunks(store: StoreProfile, source: str, line_of: Any,
                 known: Known | None = None) -> list[IndexedChunk]:
    chunks = []
    position = 0
    for language in store_languages(store):
        for block in render_store(store, language):
            chunks.append(make_chunk(
                block.text, block.headline, source=source, source_type="store",
                section=block.section, intent=block.intent, language=language, sku="",
                position=position, line=line_of(block.field_path), known=known))
            position += 1
    return chunks
