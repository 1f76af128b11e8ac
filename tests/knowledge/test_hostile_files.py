"""Knowledge files that try to leak or exhaust: links out of the folder, oversized files,
YAML alias bombs. Each is refused before parsing, named with its file (and line), and the
serving index stays as it was."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import docx
import pytest

from replydraft.config import Settings
from replydraft.errors import KnowledgeError
from replydraft.knowledge.base import KnowledgeBase
from replydraft.knowledge.catalog import read_product_file
from replydraft.knowledge.playbooks import read_playbook

from .kb_helpers import JEANS, CountingEmbedder, write_knowledge

SECRET_PRODUCT = JEANS.replace("TT-JN-01", "TT-SECRET-9").replace(
    "Four-way stretch straight jeans", "Bank account 6222 0000 1111 2222")
SECRET_PLAYBOOK = """\
---
language: en
title: Secrets
---

## Payment
intent: payment_reminder

Transfer to bank account 6222 0000 1111 2222 please.
"""


@pytest.fixture
def kb(tmp_path: Path, make_settings: Callable[..., Settings],
       embedding_cache: Path) -> KnowledgeBase:
    knowledge = write_knowledge(tmp_path / "knowledge")
    return KnowledgeBase(make_settings(knowledge_dir=knowledge),
                         embedder=CountingEmbedder(cache=embedding_cache))


def _refused(kb: KnowledgeBase) -> dict[str, str]:
    with pytest.raises(KnowledgeError) as caught:
        kb.refresh()
    return {p.location: p.message for p in caught.value.problems}


def test_links_out_of_the_knowledge_folder_are_refused_and_never_indexed(
        kb: KnowledgeBase, tmp_path: Path) -> None:
    knowledge = kb.settings.knowledge_dir
    kb.refresh()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.yaml").write_text(SECRET_PRODUCT, encoding="utf-8")
    (outside / "secret.md").write_text(SECRET_PLAYBOOK, encoding="utf-8")
    (knowledge / "products" / "secret.yaml").symlink_to(outside / "secret.yaml")
    (knowledge / "playbooks" / "en" / "secret.md").symlink_to(outside / "secret.md")
    (knowledge / "products" / "linked-dir").symlink_to(outside, target_is_directory=True)
    # A link that stays inside the folder is an ordinary file.
    (knowledge / "originals").mkdir()
    (knowledge / "products" / "jeans.yaml").rename(knowledge / "originals" / "jeans.yaml")
    (knowledge / "products" / "jeans.yaml").symlink_to(knowledge / "originals" / "jeans.yaml")

    problems = _refused(kb)

    assert set(problems) == {"products/secret.yaml", "playbooks/en/secret.md"}
    assert "outside the knowledge folder" in problems["products/secret.yaml"]
    assert "outside the knowledge folder" in problems["playbooks/en/secret.md"]
    assert kb.version == 1
    assert kb.product("TT-SECRET-9") is None
    assert all("6222" not in hit.text for hit in kb.search("bank account 6222", k=10))

    for name in ("products/secret.yaml", "playbooks/en/secret.md"):
        (knowledge / name).unlink()
    report = kb.refresh()
    assert report.version == 2
    assert kb.product("TT-JN-01") is not None  # read through the link inside the folder
    assert kb.product("TT-SECRET-9") is None


def test_a_store_profile_linked_from_outside_is_refused(
        kb: KnowledgeBase, tmp_path: Path) -> None:
    knowledge = kb.settings.knowledge_dir
    outside = tmp_path / "store.yaml"
    (knowledge / "store.yaml").rename(outside)
    (knowledge / "store.yaml").symlink_to(outside)

    problems = _refused(kb)

    assert list(problems) == ["store.yaml"]
    assert "outside the knowledge folder" in problems["store.yaml"]
    assert kb.version is None


def test_a_knowledge_folder_that_is_itself_a_link_still_works(
        tmp_path: Path, make_settings: Callable[..., Settings], embedding_cache: Path) -> None:
    real = write_knowledge(tmp_path / "real-knowledge")
    (tmp_path / "knowledge-link").symlink_to(real, target_is_directory=True)
    kb = KnowledgeBase(make_settings(knowledge_dir=tmp_path / "knowledge-link"),
                       embedder=CountingEmbedder(cache=embedding_cache))
    assert kb.refresh().version == 1


def _alias_bomb(levels: int, width: int = 9) -> str:
    """A product file whose ``features`` alias their way to ``width ** levels`` strings."""
    lines = ["sku: TT-BOMB-01", "category: jeans", "price: 1", "names: {en: Bomb}",
             "colours: [{id: red, names: {en: Red}}]", "size_chart: [{label: M}]",
             'x0: &x0 "lol"']
    for level in range(1, levels + 1):
        lines.append(f"x{level}: &x{level} [{', '.join([f'*x{level - 1}'] * width)}]")
    lines.append(f"features: *x{levels}")
    return "\n".join(lines) + "\n"


BOMB_CHILD = """
import resource, sys, time
from pathlib import Path
resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))
from replydraft.knowledge.catalog import read_product_file
from replydraft.knowledge.playbooks import read_playbook
started = time.perf_counter()
product = read_product_file(Path(sys.argv[1]), "products/bomb.yaml")
playbook = read_playbook(Path(sys.argv[2]), "playbooks/bomb.md")
print(round(time.perf_counter() - started, 3))
for problem in product.problems + playbook.problems:
    print(problem)
"""


def test_a_603_byte_alias_bomb_fails_fast_naming_file_and_line(tmp_path: Path) -> None:
    """The issue's bomb: nine levels of nine aliases. Read in a child process capped at 1.5 GB
    of address space, so a regression fails the test instead of exhausting the machine."""
    bomb = _alias_bomb(9)
    assert len(bomb.encode()) < 700
    product = tmp_path / "bomb.yaml"
    product.write_text(bomb, encoding="utf-8")
    front = "\n".join(line for line in bomb.splitlines() if line.startswith("x"))
    playbook = tmp_path / "bomb.md"
    playbook.write_text(f"---\ntitle: t\n{front}\n---\n\n## A\nintent: shipping_time\n\ntext\n",
                        encoding="utf-8")

    done = subprocess.run([sys.executable, "-c", BOMB_CHILD, str(product), str(playbook)],
                          capture_output=True, text=True, timeout=60, check=False)

    assert done.returncode == 0, done.stderr[-2000:]
    seconds, product_problem, playbook_problem, *_ = done.stdout.strip().splitlines()
    assert float(seconds) < 2.0
    # Line 13 holds x6, the first list whose expansion (9**6) passes the bound.
    assert product_problem.startswith("products/bomb.yaml:13: invalid YAML: aliases expand")
    assert playbook_problem.startswith("playbooks/bomb.md:9: invalid front matter: aliases "
                                       "expand")


def test_refresh_refuses_alias_bombs_and_recursive_aliases_and_keeps_serving(
        kb: KnowledgeBase) -> None:
    knowledge = kb.settings.knowledge_dir
    kb.refresh()
    (knowledge / "products" / "bomb.yaml").write_text(_alias_bomb(7), encoding="utf-8")
    (knowledge / "products" / "loop.yaml").write_text("&a [*a]\n", encoding="utf-8")

    started = time.perf_counter()
    problems = _refused(kb)

    assert time.perf_counter() - started < 10
    assert "aliases expand" in problems.pop("products/bomb.yaml:13")
    assert "refers to a node that contains it" in problems.pop("products/loop.yaml:1")
    assert problems == {}
    assert kb.version == 1


def test_shared_values_through_aliases_still_read(kb: KnowledgeBase) -> None:
    """Anchors are a normal YAML feature: a size chart shared by many products is fine."""
    knowledge = kb.settings.knowledge_dir
    chart = "[{label: M, height_cm: [165, 175]}, {label: L, height_cm: [175, 185]}]"
    common = ("category: jeans, price: 59, fabric: {en: Cotton}, "
              "colours: [{id: red, names: {en: Red}}]")
    lines = ["products:",
             f"  - {{sku: TT-SH-999, names: {{en: First}}, {common}, size_chart: &chart {chart}}}"]
    lines += [f"  - {{sku: TT-SH-{n:03d}, names: {{en: Tee {n}}}, {common}, size_chart: *chart}}"
              for n in range(300)]
    (knowledge / "products" / "tees.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = kb.refresh(dry_run=True)
    assert report.products == 303


def test_files_over_the_size_limit_are_refused_before_parsing(
        tmp_path: Path, make_settings: Callable[..., Settings], embedding_cache: Path) -> None:
    knowledge = write_knowledge(tmp_path / "knowledge")
    kb = KnowledgeBase(make_settings(knowledge_dir=knowledge, max_knowledge_file_bytes=4096),
                       embedder=CountingEmbedder(cache=embedding_cache))
    kb.refresh()
    big = knowledge / "playbooks" / "en" / "big.md"
    big.write_text("---\nlanguage: en\ntitle: Big\n---\n\n## A\n" + "words " * 1000,
                   encoding="utf-8")
    # Not even valid: were it parsed, its own error would be reported instead.
    (knowledge / "products" / "big.json").write_text("{" * 5000, encoding="utf-8")

    problems = _refused(kb)

    assert set(problems) == {"playbooks/en/big.md", "products/big.json"}
    assert "over the 4,096-byte limit" in problems["playbooks/en/big.md"]
    assert "REPLYDRAFT_MAX_KNOWLEDGE_FILE_BYTES" in problems["products/big.json"]
    assert kb.version == 1


def test_docx_unpacking_past_the_limit_or_with_a_huge_text_node_names_the_file(
        tmp_path: Path) -> None:
    path = tmp_path / "huge.docx"
    document = docx.Document()
    document.add_paragraph("x" * 11_000_000)  # lxml refuses text nodes over 10 MB
    document.save(str(path))
    assert path.stat().st_size < 100_000

    bounded = read_playbook(path, "playbooks/huge.docx", max_bytes=5_000_000)
    unbounded = read_playbook(path, "playbooks/huge.docx")

    assert [p.location for p in bounded.problems] == ["playbooks/huge.docx"]
    assert "over the 5,000,000-byte limit" in bounded.problems[0].message
    assert [p.location for p in unbounded.problems] == ["playbooks/huge.docx"]
    assert "unreadable Word XML" in unbounded.problems[0].message


def test_json_nested_too_deeply_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    parsed = read_product_file(path, "products/deep.json")
    assert [str(p) for p in parsed.problems] == [
        "products/deep.json: invalid JSON: nested too deeply"]
