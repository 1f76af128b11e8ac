"""LLM overhead benchmark: the time replydraft adds around one model call, excluding the model.

A fake OpenAI-compatible server (tests/fakes, a real HTTP server on 127.0.0.1) answers instantly,
so what is measured is ours: rendering the prompt files, tiktoken budgeting, the openai client's
HTTP round trip over loopback, parsing the cited sentences, and the policy filter on the result.
The fake server's own handling time is included, so the figures are an upper bound.
Target: p50 overhead <= 25 ms. Writes benchmarks/out/llm_overhead.json.

    python benchmarks/llm_overhead_bench.py [--iterations 300]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out" / "llm_overhead.json"
sys.path.insert(0, str(ROOT / "tests"))  # the fake server lives with the tests

from fakes.contexts import context, hit  # noqa: E402
from fakes.openai_server import FakeOpenAIServer, Reply  # noqa: E402
from replydraft.config import Settings  # noqa: E402
from replydraft.drafting.backend import Fact  # noqa: E402
from replydraft.drafting.llm.backend import OpenAIBackend  # noqa: E402
from replydraft.drafting.llm.output import parse_json_reply  # noqa: E402
from replydraft.knowledge.models import StoreProfile  # noqa: E402
from replydraft.offline import prepare_offline  # noqa: E402

TARGET_MS = 25.0

# Written for this benchmark: a realistic amount of data around one size question.
CHUNK_TEXTS = [
    "尺码表：XL 身高170-180cm 体重75-85kg；2XL 身高175-185cm 体重85-95kg；3XL 身高180-190cm "
    "体重95-110kg；4XL 身高185-195cm 体重110-125kg。腰部松紧设计，介于两码之间建议选大一码。",
    "面料：四面弹牛仔布（棉72% 聚酯纤维26% 氨纶2%），久坐不勒，机洗请反面冷水，避免暴晒。",
    "颜色：深蓝、黑色、烟灰。黑色3XL暂时缺货，预计下周补货；深蓝全码有货。",
    "尺码建议话术：先确认身高体重，再按尺码表推荐；客户担心紧，可提醒本款腰部有弹力。",
    "退换说明：支持7天无理由退换，吊牌完好、未水洗；换码运费由买家承担，运费险可抵扣。",
    "发货：16点前付款当天发出，最晚48小时内发货；中通一般2-5天，顺丰加12元1-3天。",
]
HISTORY = [
    ("customer", "在吗？想问一下这条牛仔裤"),
    ("agent", "亲，在的，请问有什么可以帮您？"),
    ("customer", "我平时穿34码的，腰围大概98"),
    ("agent", "好的亲，方便告诉我身高体重吗？我帮您对照尺码表"),
    ("customer", "黑色的还有吗"),
    ("agent", "黑色3XL暂时缺货，其他尺码有货的亲"),
]
ANSWER = Reply.sentences(
    ("亲，按您身高178cm、体重92kg，建议选2XL。", ["c-0"]),
    ("这款是四面弹面料，腰部有弹力，久坐也不勒。", ["c-1"]),
    ("黑色2XL目前有货，16点前付款当天就能发出哦。", ["c-2", "c-5"]),
    ("还有什么想了解的随时找我～", []),
)


def _store() -> StoreProfile:
    data = yaml.safe_load((ROOT / "knowledge" / "store.yaml").read_text(encoding="utf-8"))
    return StoreProfile.model_validate(data)


def _context() -> Any:
    return context(
        *HISTORY,
        "我178，184斤，黑色的穿多大？",
        hits=[hit(f"c-{i}", text, rank=i) for i, text in enumerate(CHUNK_TEXTS)],
        facts=[Fact(key="recommended_size", text="按身高178cm、体重92kg，尺码表对应2XL。",
                    chunk_id="c-0", value="2XL")],
        store_profile=_store(),
    )


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"p50": round(statistics.median(ordered), 3), "p95": round(pick(0.95), 3),
            "p99": round(pick(0.99), 3), "mean": round(statistics.fmean(ordered), 3)}


def _time(call: Callable[[], object], iterations: int) -> list[float]:
    samples = []
    for _ in range(iterations):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def _policy_check() -> Callable[[str], object] | None:
    try:
        from replydraft.policy import check
    except ImportError:
        return None  # the policy filter has not landed in this checkout
    return lambda text: check(text, language="zh-Hans", platform="taobao")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=300)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="llm-bench-"))
    prepare_offline(data_dir)
    check = _policy_check()
    ctx = _context()
    with FakeOpenAIServer() as server:
        server.default = ANSWER
        backend = OpenAIBackend(Settings(
            data_dir=data_dir, prompts_dir=ROOT / "prompts", llm_base_url=server.base_url,
            llm_model="fake-model",
        ))
        rendered = backend.render(ctx)
        content = ANSWER.content or ""

        def overhead() -> None:
            generated = backend.generate(ctx)
            if check is not None:
                check(generated.text)

        for _ in range(20):  # warm-up: connection pool, caches, tiktoken
            overhead()
        phases = {
            "render_and_budget": _time(lambda: backend.render(ctx), args.iterations),
            "parse": _time(lambda: parse_json_reply(content, known_ids=rendered.known_ids,
                                                    language="zh-Hans"), args.iterations),
            "generate_total": _time(lambda: backend.generate(ctx), args.iterations),
            "overhead_total": _time(overhead, args.iterations),
        }
        if check is not None:
            text = backend.generate(ctx).text
            phases["policy_filter"] = _time(lambda: check(text), args.iterations)
        backend.close()

    figures = {name: _percentiles(samples) for name, samples in phases.items()}
    result = {
        "benchmark": "llm_overhead",
        "target_ms": {"overhead_total.p50": TARGET_MS},
        "met": figures["overhead_total"]["p50"] <= TARGET_MS,
        "iterations": args.iterations,
        "prompt_tokens": rendered.tokens,
        "prompt_version": rendered.prompt_version,
        "policy_filter_included": check is not None,
        "figures_ms": figures,
        "machine": {"python": platform.python_version(), "processor": platform.machine(),
                    "cpus": os.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 2)},
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")

    print(f"prompt: {rendered.tokens} tokens ({rendered.prompt_version})")
    print(f"{'phase':<20}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}")
    for name, row in figures.items():
        print(f"{name:<20}{row['p50']:>10.2f}{row['p95']:>10.2f}{row['p99']:>10.2f}")
    verdict = "met" if result["met"] else "MISSED"
    print(f"target p50 overhead <= {TARGET_MS} ms: {verdict}; wrote {OUT}")
    return 0 if result["met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
