"""Parsing knowledge files: products (YAML, JSON, CSV), playbooks (Markdown, text, HTML, docx),
and the precise locations of every problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from replydraft.knowledge.catalog import read_product_file, read_store
from replydraft.knowledge.models import Product
from replydraft.knowledge.playbooks import read_playbook
from replydraft.knowledge.render import product_headline, render_product

REPO_ROOT = Path(__file__).resolve().parents[2]

PRODUCT_YAML = """\
sku: TS-JN-01
category: jeans
price: 189
names: {zh-Hans: 测试弹力牛仔裤, en: Test Stretch Jeans}
fabric: {zh-Hans: 棉氨纶, en: Cotton with spandex}
colours:
  - id: indigo
    names: {zh-Hans: 深蓝, en: Indigo}
size_chart:
  - {label: "36", height_cm: [170, 180], weight_kg: [70, 85]}
  - label: "38"
    height_cm: [175, 185]
    weight_kg: [90, 80]
"""

CSV_HEADER = ("sku,category,price,name.zh-Hans,name.en,fabric.en,features.zh-Hans,features.en,"
              "colours,sold_out,size_chart\n")


def write(tmp_path: Path, rel: str, text: str) -> Path:
    path = tmp_path / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_error_names_line_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, "products/jeans.yaml", PRODUCT_YAML)
    parsed = read_product_file(path, "products/jeans.yaml")
    assert parsed.products == []
    [problem] = parsed.problems
    # weight_kg [90, 80] is reversed; the key sits on line 13
    assert problem.location == "products/jeans.yaml:13 size_chart[1].weight_kg"
    assert "greater than max" in problem.message


def test_yaml_unknown_field_is_an_error_with_its_line(tmp_path: Path) -> None:
    text = PRODUCT_YAML.replace("[90, 80]", "[80, 90]") + "colour_note: typo\n"
    parsed = read_product_file(write(tmp_path, "products/j.yaml", text), "products/j.yaml")
    [problem] = parsed.problems
    assert problem.location == "products/j.yaml:14 colour_note"


def test_yaml_syntax_error_has_line(tmp_path: Path) -> None:
    text = "sku: A1B\nnames: {en: x\nprice: 3\n"
    parsed = read_product_file(write(tmp_path, "products/bad.yaml", text), "products/bad.yaml")
    [problem] = parsed.problems
    assert problem.location.startswith("products/bad.yaml:")
    assert "invalid YAML" in problem.message


def test_yaml_product_list_and_json_read_the_same(tmp_path: Path) -> None:
    good = PRODUCT_YAML.replace("[90, 80]", "[80, 90]")
    import yaml

    data = yaml.safe_load(good)
    listed = write(tmp_path, "products/list.yaml", yaml.safe_dump({"products": [data]},
                                                                    allow_unicode=True))
    as_json = write(tmp_path, "products/one.json", json.dumps(data, ensure_ascii=False,
                                                              indent=2))
    from_list = read_product_file(listed, "products/list.yaml")
    from_json = read_product_file(as_json, "products/one.json")
    assert from_list.problems == [] and from_json.problems == []
    assert from_list.products[0].product == from_json.products[0].product
    assert from_json.products[0].product.size_chart[1].weight_kg is not None


def test_json_error_in_second_product_points_at_it(tmp_path: Path) -> None:
    import yaml

    good = yaml.safe_load(PRODUCT_YAML.replace("[90, 80]", "[80, 90]"))
    bad = dict(good, sku="TS-JN-02", price=-5)
    text = json.dumps({"products": [good, bad]}, ensure_ascii=False, indent=2)
    parsed = read_product_file(write(tmp_path, "products/two.json", text), "products/two.json")
    assert [p.product.sku for p in parsed.products] == ["TS-JN-01"]
    [problem] = parsed.problems
    assert problem.location.endswith(" products[1].price")
    line = int(problem.location.split(":")[1].split()[0])
    assert text.splitlines()[line - 1].strip().startswith('"price": -5')


def test_csv_row_becomes_product(tmp_path: Path) -> None:
    row = ("TS-TS-01,tshirt,69,速干T恤,Quick-dry tee,Polyester,速干|防晒,Dries fast|UPF 40,"
           "black:黑色//Black/블랙|navy:藏青/藏青/Navy/,navy:3XL,"
           '"L=170-180cm,65-75kg;XL=175-185cm,75-85kg,len72"\n')
    path = write(tmp_path, "products/tees.csv", "\ufeff" + CSV_HEADER + row)
    parsed = read_product_file(path, "products/tees.csv")
    assert parsed.problems == []
    product = parsed.products[0].product
    assert product.names == {"zh-Hans": "速干T恤", "en": "Quick-dry tee"}
    assert product.features[1] == {"zh-Hans": "防晒", "en": "UPF 40"}
    assert product.colours[0].names == {"zh-Hans": "黑色", "en": "Black", "ko": "블랙"}
    assert product.colours[1].sold_out_sizes == ["3XL"]
    xl = product.size_chart[1]
    assert (xl.label, xl.height_cm.min, xl.weight_kg.max, xl.length_cm) == ("XL", 175, 85, 72)
    assert parsed.products[0].line == 2


def test_csv_rows_a_refresh_already_read_are_listed_not_parsed(tmp_path: Path) -> None:
    first = ("TS-TS-01,tshirt,69,速干T恤,Quick-dry tee,Polyester,,,black:黑色//Black/,,"
             '"L=170-180cm,65-75kg"\n')
    second = first.replace("TS-TS-01", "TS-TS-02").replace("69", "79")
    path = write(tmp_path, "products/tees.csv", CSV_HEADER + first + second)
    everything = read_product_file(path, "products/tees.csv")
    digests = {located.product.sku: located.digest for located in everything.products}
    assert len(set(digests.values())) == 2

    # The second row moves down one line and the first is dropped: still recognised.
    path.write_text(CSV_HEADER + "\n" + second, encoding="utf-8")
    again = read_product_file(path, "products/tees.csv", known_rows={digests["TS-TS-02"]})
    assert again.products == [] and again.problems == []
    assert [(row.number, row.digest) for row in again.known] == [(3, digests["TS-TS-02"])]
    # An edited row is a new row: parsed and validated again.
    path.write_text(CSV_HEADER + second.replace("79", "not a price"), encoding="utf-8")
    edited = read_product_file(path, "products/tees.csv", known_rows=set(digests.values()))
    assert edited.known == [] and edited.problems


def test_an_alteration_column_is_read_and_rendered_in_the_products_block(tmp_path: Path) -> None:
    header = CSV_HEADER.replace("size_chart\n", "size_chart,alteration.en\n")
    row = ("TS-TR-01,trousers,99,工装裤,Cargo trousers,Cotton,口袋多,Many pockets,"
           'black:黑色/黑色/Black/블랙,,"L=170-180cm,65-75kg",Legs shortened free on request\n')
    parsed = read_product_file(write(tmp_path, "products/t.csv", header + row), "products/t.csv")
    assert parsed.problems == []
    product = parsed.products[0].product
    assert product.alteration == {"en": "Legs shortened free on request"}
    assert "Alterations: Legs shortened free on request" in render_product(product, "en").text
    assert "Alterations" not in render_product(
        product.model_copy(update={"alteration": {}}), "en").text


def test_product_headline_leaves_out_the_sku_and_a_category_the_name_says() -> None:
    product = Product.model_validate({
        "sku": "TS-JN-01", "category": "jeans", "price": 189,
        "names": {"zh-Hans": "测试弹力牛仔裤", "en": "Test Stretch Jeans"},
        "fabric": {"zh-Hans": "棉氨纶"}, "features": [{"zh-Hans": "松紧腰", "en": "Elastic waist"}],
        "colours": [{"id": "indigo", "names": {"zh-Hans": "深蓝"}}],
        "size_chart": [{"label": "36", "height_cm": [170, 180], "weight_kg": [70, 85]}]})
    assert product_headline(product) == "测试弹力牛仔裤 Test Stretch Jeans 松紧腰"
    renamed = product.model_copy(update={"names": {"zh-Hans": "测试弹力长裤"}})
    assert product_headline(renamed) == "测试弹力长裤 牛仔裤 松紧腰"  # the category adds meaning


def test_csv_bad_cells_name_row_and_column(tmp_path: Path) -> None:
    good = ("TS-TS-01,tshirt,69,速干T恤,Quick-dry tee,Polyester,,,black:黑色//Black/,,"
            "L=170-180cm\n")
    bad_size = ("TS-TS-02,tshirt,69,T恤,Tee,Polyester,,,black:黑色//Black/,,"
                '"L=170-180cm,65-75lb"\n')
    bad_colour = "TS-TS-03,tshirt,69,T恤,Tee,Polyester,,,black:黑色/Black,,L=170-180cm\n"
    bad_price = "TS-TS-04,tshirt,free,T恤,Tee,Polyester,,,black:黑色//Black/,,L=170-180cm\n"
    bad_features = ("TS-TS-05,tshirt,69,T恤,Tee,Polyester,a|b,only one,black:黑色//Black/,,"
                    "L=170-180cm\n")
    path = write(tmp_path, "products/tees.csv",
                 CSV_HEADER + good + bad_size + bad_colour + bad_price + bad_features)
    parsed = read_product_file(path, "products/tees.csv")
    assert [p.product.sku for p in parsed.products] == ["TS-TS-01"]
    locations = [p.location for p in parsed.problems]
    assert "products/tees.csv:3 column size_chart" in locations
    assert "products/tees.csv:4 column colours" in locations
    assert "products/tees.csv:5 column price (price)" in locations
    assert "products/tees.csv:6 column features.*" in locations
    by_location = {p.location: p.message for p in parsed.problems}
    assert "65-75lb" in by_location["products/tees.csv:3 column size_chart"]


def test_csv_unknown_column_is_reported_on_the_header(tmp_path: Path) -> None:
    path = write(tmp_path, "products/x.csv", "sku,category,price,colour,size_chart\n")
    parsed = read_product_file(path, "products/x.csv")
    locations = {p.location for p in parsed.problems}
    assert "products/x.csv:1 column colour" in locations
    assert "products/x.csv:1 column colours" in locations  # the required one is missing


def test_repo_store_and_products_validate() -> None:
    store = read_store(REPO_ROOT / "knowledge" / "store.yaml", "store.yaml")
    assert store.problems == [] and store.store is not None
    files = sorted((REPO_ROOT / "knowledge" / "products").iterdir())
    assert {f.suffix for f in files} >= {".yaml", ".csv"}
    for path in files:
        parsed = read_product_file(path, f"products/{path.name}")
        assert parsed.problems == [], parsed.problems
        assert parsed.products


# ---------------------------------------------------------------- playbooks

MARKDOWN = """\
---
language: zh-Hant
title: 尺碼建議
---

# 尺碼建議

## 依身高體重推薦
intent: size_advice

先問身高和體重。

> 親，您身高180的話建議3XL哦

## 沒有標籤的段落

一般說明。
"""


def test_markdown_sections_intents_and_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "playbooks/zh-Hant/sizing.md", MARKDOWN)
    parsed = read_playbook(path, "playbooks/zh-Hant/sizing.md")
    assert parsed.problems == []
    playbook = parsed.playbook
    assert playbook is not None
    assert (playbook.language, playbook.title) == ("zh-Hant", "尺碼建議")
    first, second = playbook.sections
    assert (first.title, first.intent) == ("依身高體重推薦", "size_advice")
    assert "intent:" not in first.text
    assert first.text.startswith("先問身高和體重。")
    assert first.line_at(first.text.index("> 親")) == 13
    assert (second.title, second.intent) == ("沒有標籤的段落", "")


def test_markdown_problems_are_all_reported(tmp_path: Path) -> None:
    text = MARKDOWN.replace("language: zh-Hant", "language: zh-TW").replace(
        "intent: size_advice", "intent: sizing")
    parsed = read_playbook(write(tmp_path, "playbooks/x.md", text), "playbooks/x.md")
    assert parsed.playbook is None
    locations = {p.location for p in parsed.problems}
    assert "playbooks/x.md:9 intent" in locations
    assert any(loc.endswith(" language") for loc in locations)


def test_markdown_without_front_matter_language_uses_the_folder(tmp_path: Path) -> None:
    text = "---\ntitle: Sizing\n---\n## Size help\nintent: size_advice\nAsk height.\n"
    parsed = read_playbook(write(tmp_path, "playbooks/ko/a.md", text), "playbooks/ko/a.md")
    assert parsed.playbook is not None and parsed.playbook.language == "ko"


def test_plain_text_is_cleaned_sectioned_and_intent_guessed(tmp_path: Path) -> None:
    text = ("客服筆記\n本文档下载自某文库\n一、尺碼推薦\n先問身高體重(zhòng)再看尺碼表。\n"
            "二、退換貨\n七天內可以退換，吊牌要完好。\n")
    parsed = read_playbook(write(tmp_path, "playbooks/zh-Hant/notes.txt", text),
                           "playbooks/zh-Hant/notes.txt")
    playbook = parsed.playbook
    assert playbook is not None and playbook.language == "zh-Hant"
    titles = [s.title for s in playbook.sections]
    assert titles == ["客服筆記", "一、尺碼推薦", "二、退換貨"] or titles[-2:] == [
        "一、尺碼推薦", "二、退換貨"]
    sizing = next(s for s in playbook.sections if s.title == "一、尺碼推薦")
    assert sizing.intent == "size_advice"
    assert "(zhòng)" not in sizing.text and "体重" not in sizing.text  # script kept
    assert sizing.first_line == 3
    assert not any("下载" in s.text for s in playbook.sections)


def test_html_headings_become_sections(tmp_path: Path) -> None:
    html = """<html lang="en"><head><title>Shipping</title><style>p{color:red}</style></head>
<body><h1>Shipping</h1>
<h2>When do you ship?</h2>
<p>intent: shipping_time</p>
<p>Orders paid before 16:00 leave the <b>same day</b>.</p>
<h2>Late parcels</h2><p>Apologise, then check the tracking.</p>
</body></html>"""
    parsed = read_playbook(write(tmp_path, "playbooks/ship.html", html), "playbooks/ship.html")
    playbook = parsed.playbook
    assert parsed.problems == [] and playbook is not None
    assert playbook.language == "en" and playbook.title == "Shipping"
    assert [(s.title, s.intent) for s in playbook.sections] == [
        ("When do you ship?", "shipping_time"), ("Late parcels", "")]
    assert "same day" in playbook.sections[0].text and "color" not in playbook.sections[0].text
    assert playbook.sections[1].first_line == 6


def test_docx_heading_styles_become_sections(tmp_path: Path) -> None:
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_heading("退货指南", level=0)
    document.add_heading("七天无理由", level=2)
    document.add_paragraph("intent: return_exchange")
    document.add_paragraph("签收7天内吊牌完好可以退。")
    document.add_heading("质量问题", level=2)
    document.add_paragraph("先请顾客拍照。")
    path = tmp_path / "playbooks" / "zh-Hans" / "returns.docx"
    path.parent.mkdir(parents=True)
    document.save(str(path))
    parsed = read_playbook(path, "playbooks/zh-Hans/returns.docx")
    playbook = parsed.playbook
    assert parsed.problems == [] and playbook is not None
    assert playbook.language == "zh-Hans" and playbook.title == "退货指南"
    assert [(s.title, s.intent) for s in playbook.sections] == [
        ("七天无理由", "return_exchange"), ("质量问题", "")]
    assert playbook.sections[0].text == "签收7天内吊牌完好可以退。"


def test_unreadable_docx_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = write(tmp_path, "playbooks/broken.docx", "not a zip file")
    parsed = read_playbook(path, "playbooks/broken.docx")
    assert parsed.playbook is None
    assert parsed.problems[0].location == "playbooks/broken.docx"


def test_a_broken_store_answer_names_its_line_and_field(tmp_path: Path) -> None:
    """Content staff editing ``answers:`` get the line and the field, not a stack trace."""
    text = (REPO_ROOT / "knowledge" / "store.yaml").read_text(encoding="utf-8")
    broken = text + "\n  gift_card:\n    intent: gift_cards\n    text: {zh-Hans: ''}\n"
    path = write(tmp_path, "store.yaml", broken)
    store = read_store(path, "store.yaml")
    assert store.store is None
    problems = " ".join(str(p) for p in store.problems)
    assert "answers.gift_card.intent" in problems and "answers.gift_card.text" in problems
    line = broken[:broken.index("intent: gift_cards")].count("\n") + 1
    assert f"store.yaml:{line}" in problems


def test_a_mistyped_timezone_is_refused_with_its_line(tmp_path: Path) -> None:
    """The store's calendar decides whether a restock date has passed: a zone nobody can read
    is a mistake in the file, not the server's clock silently."""
    text = (REPO_ROOT / "knowledge" / "store.yaml").read_text(encoding="utf-8")
    broken = text.replace("timezone: Asia/Shanghai", "timezone: Asia/Shang-hai")
    assert broken != text
    store = read_store(write(tmp_path, "store.yaml", broken), "store.yaml")
    assert store.store is None
    problems = " ".join(str(p) for p in store.problems)
    assert "timezone" in problems and "Asia/Shang-hai" in problems
    line = broken[:broken.index("timezone:")].count("\n") + 1
    assert f"store.yaml:{line}" in problems
