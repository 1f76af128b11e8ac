"""The drafter: understand → retrieve → facts → write → filter → cite, never losing a request.

``Drafter.draft`` returns a ``DraftResult``; ``Drafter.stream`` yields filtered sentences as they
are written and then the result. The writer is a ``ReplyBackend``: the offline composer, or the
OpenAI-compatible model when configured. When the model fails (``LLMError``) or the policy filter
leaves nothing of its reply, the offline composer writes it instead and ``fallback_reason`` says
why — the agent always gets a draft.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import cast

from replydraft.config import Settings
from replydraft.drafting.backend import (
    CitedSentence,
    DraftContext,
    Fact,
    Generated,
    ReplyBackend,
    StreamEvent,
)
from replydraft.drafting.composing.citations import build_citations
from replydraft.drafting.composing.facts import (
    FactInputs,
    Retrieved,
    build_facts,
    retrieval_query,
    retrieve,
)
from replydraft.drafting.composing.offline import OfflineBackend
from replydraft.drafting.composing.sentences import SentenceSplitter
from replydraft.drafting.composing.templates import template_library
from replydraft.drafting.models import (
    AnswerPlan,
    DraftRequest,
    DraftResult,
    IntentScore,
    UnderstandingReport,
)
from replydraft.drafting.planning.plan import (
    PlanInputs,
    make_plan,
    planned_intents,
)
from replydraft.drafting.understanding.asks import load_asks
from replydraft.drafting.understanding.conversation import SHOES
from replydraft.drafting.understanding.cues import load_cues
from replydraft.drafting.understanding.embedder import query_embedder_of
from replydraft.drafting.understanding.intents import (
    IntentClassifier,
    intent_classifier,
)
from replydraft.drafting.understanding.lexicon import load_lexicon
from replydraft.drafting.understanding.mentions import family_colours
from replydraft.drafting.understanding.understand import ASKED, Understanding, understand
from replydraft.errors import LLMError
from replydraft.knowledge.chunking import store_answer_hit
from replydraft.knowledge.models import Product
from replydraft.knowledge.reader import KnowledgeReader
from replydraft.languages import is_chinese
from replydraft.policy import check, scan_customer
from replydraft.policy.models import PolicyResult, RiskFlag, Violation
from replydraft.text.script import language_of, script_family

log = logging.getLogger(__name__)


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)


# Items listed for a use ("for hiking"): enough to choose from, short enough to read.
_FOR_USE_MAX = 4


@dataclass
class Prepared:
    """Everything before the writing: the context a backend gets, and the time spent so far."""

    context: DraftContext
    retrieved: Retrieved
    timings: dict[str, float] = field(default_factory=dict)
    started: float = 0.0


# One per language and script: each loads its segmenter and conversion tables.
_WARM_UP_MESSAGES = ("这条裤子多少钱？包邮吗？", "這件外套有黑色嗎？", "Do you ship today?",
                     "배송은 며칠 걸려요?")


class Drafter:
    def __init__(self, settings: Settings, knowledge: KnowledgeReader,
                 backend: ReplyBackend | None = None,
                 today: Callable[[], date] | None = None) -> None:
        """``today``: the store's calendar when a request brings no date of its own; by default
        the clock in the store's timezone."""
        self.settings = settings
        self.knowledge = knowledge
        self._today = today if today is not None else (lambda: self.knowledge.store.today())
        self.offline = OfflineBackend(settings.prompts_dir)
        self.backend: ReplyBackend = backend if backend is not None else self.offline
        self._lexicon = load_lexicon(settings.prompts_dir / "offline" / "lexicon.yaml")
        self._cues = load_cues(settings.prompts_dir / "understanding" / "cues.yaml")
        self._asks = load_asks(settings.prompts_dir / "understanding" / "asks.yaml")
        self._classifier: IntentClassifier | None = None

    # ------------------------------------------------------------ understanding and facts

    @property
    def classifier(self) -> IntentClassifier:
        if self._classifier is None:
            embedder = query_embedder_of(self.knowledge, self.settings)
            self._classifier = intent_classifier(
                self.settings.prompts_dir, embedder, self.settings.data_dir / "cache")
        return self._classifier

    def understand(self, request: DraftRequest, *, rules_only: bool = False) -> Understanding:
        """``rules_only``: without the trained intent model (the understanding eval's baseline)."""
        return understand(request, store=self.knowledge.store,
                          products=self.knowledge.products(), classifier=self.classifier,
                          lexicon=self._lexicon, cues=self._cues, asks=self._asks,
                          rules_only=rules_only)

    def prepare(self, request: DraftRequest) -> Prepared:
        started = time.perf_counter()
        store = self.knowledge.store
        today = request.today or self._today()
        seen = self.understand(request)
        understood = time.perf_counter()
        product = self.knowledge.product(seen.slots.sku) if seen.slots.sku else None
        query = retrieval_query(request.latest, seen.previous_text, seen.followup)
        answered = self._answered_intents(seen)
        retrieved = retrieve(self.knowledge, query, language=seen.language,
                             intents=answered, sku=product.sku if product else None,
                             k=self.settings.retrieval_k)
        # "有西装吗": what we make instead (the store's `our_range` answer) is the rest of a
        # "we don't sell that"
        lacking = ["our_range"] if any(s.intent == "not_sold" for s in answered) else []
        answerable = [*seen.asks, *lacking]
        answers = [hit for ask in answerable
                   if (hit := store_answer_hit(store, ask, seen.language)) is not None]
        retrieved = Retrieved([*retrieved.hits, *answers])
        library = template_library(self.settings.prompts_dir, store.voice.korean_speech_level)
        facts, missing = build_facts(FactInputs(
            language=seen.language, intents=answered, slots=seen.slots, store=store,
            product=product, retrieved=retrieved, templates=library[seen.language],
            latest_text=request.latest, order_id=seen.order_id, asks=answerable,
            candidates=self._candidates(seen),
            whole_catalogue=self._whole_catalogue(seen) if product is None else (),
            shoes=self._shoes(seen) if product is None else (),
            in_colour=self._in_colour(seen) if product is None else (),
            for_use=self._for_use(seen) if product is None else (),
            sizes=self._sizes(seen) if product is None else (),
            size_label=seen.slots.clothing_size,
            dispatch=seen.acts.ordering or seen.urgent, today=today))
        platform = request.platform or store.platform
        risks = scan_customer(request.latest, language=seen.language, platform=platform,
                              store=store)
        report = seen.report()
        plan = self._plan(request, seen, report, facts, missing, risks)
        context = DraftContext(
            request=request, language=seen.language, platform=platform, intents=answered,
            slots=seen.slots, store=store, product=product, hits=retrieved.hits, facts=facts,
            risks=risks, first_reply=seen.first_reply, missing=missing,
            understanding=report, plan=plan, today=today)
        timings = {"understand": round((understood - started) * 1000, 2),
                   "retrieve": _ms(understood)}
        return Prepared(context, retrieved, timings, started)

    def _candidates(self, seen: Understanding) -> list[Product]:
        """Our items of the kind the customer names (product resolution's candidates)."""
        wanted = set(seen.product.candidates)
        if not wanted:
            return []
        return [p for p in self.knowledge.products() if p.sku in wanted]

    def _whole_catalogue(self, seen: Understanding) -> list[Product]:
        """"现在有什么活动", "有赠品吗", "价位多少", "女生能穿吗" with no item in view: every item
        answers together (its offers, its prices, where its sizes start)."""
        if not {"offers", "freebie", "multi_buy", "price_range", "women"} & set(seen.asks):
            return []
        return list(self.knowledge.products())

    def _in_colour(self, seen: Understanding) -> list[tuple[Product, list[str]]]:
        """"有红色的吗" with no item in view: our items that come in the colour named, with the
        ids of those colours (none named, or several: which item first)."""
        if seen.slots.colour_family is None:
            return []
        words = self._lexicon.colours[seen.slots.colour_family]
        # "카키색 255 있나요?": a foot or shoe size asks for shoes in that colour, not trousers
        shoes_only = seen.slots.foot_length_mm is not None or seen.slots.shoe_size is not None
        return [(p, ids) for p in self.knowledge.products()
                if (not shoes_only or p.category in SHOES) and (ids := family_colours(p, words))]

    def _for_use(self, seen: Understanding) -> list[Product]:
        """"跑步穿什么", "something for rainy days" with no item in view: our items of the
        categories that use calls for, the most fitting kind first, at most four; a kind named
        too narrows them ("跑步穿的鞋": the running shoes, not the boots)."""
        wanted = seen.slots.wanted_for
        named = set(seen.product.candidates)
        items = [p for p in self.knowledge.products()
                 if p.category in wanted and (not named or p.sku in named)]
        return sorted(items, key=lambda p: wanted.index(p.category))[:_FOR_USE_MAX]

    def _sizes(self, seen: Understanding) -> list[Product]:
        """"사이즈 뭐뭐 나와요?", "M 있나요?", "腰围38有吗" with no item in view: every item, for
        the sizes the shop makes."""
        slots = seen.slots
        if "size_range" in seen.asks or slots.sizes_spoken or slots.waist_cm is not None or \
                slots.waist_sizes or slots.shoe_size is not None:
            return list(self.knowledge.products())
        return []

    def _shoes(self, seen: Understanding) -> list[Product]:
        """"240 주세요" with no item in view: a foot length is a size of our shoes."""
        if seen.slots.foot_length_mm is None:
            return []
        return [p for p in self.knowledge.products() if p.category in SHOES]

    def _answered_intents(self, seen: Understanding) -> list[IntentScore]:
        """The intents the reply answers: those read and those of the specific asks
        ("从哪发货" read by its ask alone)."""
        answered = [s for s in seen.intents if s.intent != "other"] or list(seen.intents)
        answered += [IntentScore(intent=i, confidence=ASKED)
                     for i in planned_intents(seen.intents, seen.asks, self._asks)
                     if all(s.intent != i for s in answered)]
        return answered

    def _plan(self, request: DraftRequest, seen: Understanding, report: UnderstandingReport,
              facts: Sequence[Fact], missing: Sequence[str], risks: Sequence[RiskFlag]
              ) -> AnswerPlan:
        return make_plan(PlanInputs(
            language=seen.language, intents=seen.intents, understanding=report, risks=risks,
            fact_keys=frozenset(f.key for f in facts), store=self.knowledge.store,
            first_reply=seen.first_reply, missing=missing,
            item_named=seen.state is None or seen.state.item_named,
            over_authority=any(f.key == "discount_decision" and f.value == "over"
                               for f in facts),
            order_status=seen.slots.order_status, acts=seen.acts), self._asks)

    def warm_up(self) -> None:
        """Draft one message per language offline (never through the LLM) and drop the
        results: segmenters, the intent model, templates and the embedding engines load
        now rather than inside some customer's first requests. An API worker calls this before
        it takes traffic."""
        for text in _WARM_UP_MESSAGES:
            context = self.prepare(DraftRequest.model_validate(
                {"messages": [{"role": "customer", "text": text}]})).context
            self._check(self.offline.generate(context).text, context)

    # ------------------------------------------------------------ drafting

    def draft(self, request: DraftRequest) -> DraftResult:
        prepared = self.prepare(request)
        context = prepared.context
        start = time.perf_counter()
        generated, backend_name, fallback = self._generate(context)
        prepared.timings["generate"] = _ms(start)
        start = time.perf_counter()
        policy = self._check(generated.text, context)
        if policy.empty_after_filter and backend_name != self.offline.name:
            generated = self.offline.generate(context)
            backend_name = self.offline.name
            fallback = "empty_after_filter"  # the filter left nothing of the model's reply
            policy = self._check(generated.text, context)
        prepared.timings["filter"] = _ms(start)
        return self._result(prepared, generated.sentences, policy, backend_name, fallback,
                            generated.prompt_version)

    def _generate(self, context: DraftContext) -> tuple[Generated, str, str | None]:
        if self.backend is self.offline:
            return self.offline.generate(context), self.offline.name, None
        try:
            return self.backend.generate(context), self.backend.name, None
        except LLMError as error:
            return self.offline.generate(context), self.offline.name, _reason(error)

    def _check(self, text: str, context: DraftContext) -> PolicyResult:
        return check(text, language=context.language, platform=context.platform,
                     store=context.store)

    def _result(self, prepared: Prepared, sentences: Sequence[CitedSentence],
                policy: PolicyResult, backend: str, fallback: str | None,
                prompt_version: str) -> DraftResult:
        context = prepared.context
        citations = build_citations(sentences, policy.text, context.hits,
                                    lambda s: self._check(s, context).text)
        prepared.timings["total"] = _ms(prepared.started)
        return DraftResult(
            text=policy.text, language=context.language, intents=context.intents,
            citations=citations, policy=policy, risks=context.risks, backend=backend,
            fallback_reason=fallback, prompt_version=prompt_version,
            timings_ms=prepared.timings, knowledge_version=self.knowledge.version,
            degraded=self.knowledge.degraded is not None,
            understanding=context.understanding, plan=context.plan,
            needs_check=context.plan.needs_check, readiness=context.plan.readiness,
            confidence=context.plan.confidence)

    # ------------------------------------------------------------ streaming

    def stream(self, request: DraftRequest) -> Iterator[StreamEvent]:
        """Filtered sentences as they are written, then ``done`` with the full result.

        Text the filter removes never leaves this generator, and what has left it is clean as
        a whole. One reply per stream: if the model fails before any text went out, the offline
        composer writes the reply; if it fails part-way, the reply is closed with "let me check
        and get back to you" in the language already sent (``fallback_reason`` ends in
        ``_mid_stream``, ``backend`` stays the model's), never answered a second time. The
        result's text is exactly the sentences yielded.
        """
        prepared = self.prepare(request)
        context = prepared.context
        state = _StreamState()
        start = time.perf_counter()
        backend_name, fallback = self.backend.name, None
        prompt_version = ""
        cited: list[CitedSentence] = []
        try:
            if self.backend is self.offline:
                generated = self.offline.generate(context)
                prompt_version = generated.prompt_version
                cited = list(generated.sentences)
                for sentence in generated.sentences:
                    yield from self._emit(sentence.text, context, state)
            else:
                generated = yield from self._stream_backend(context, state)
                prompt_version = generated.prompt_version
                cited = list(generated.sentences)
        except LLMError as error:
            fallback = _reason(error)
            if state.emitted:
                # A second answer after the model's would repeat it, contradict it, or be in
                # another language: the model's reply is closed instead.
                fallback += "_mid_stream"
                prompt_version = str(getattr(self.backend, "prompt_version", ""))
                cited = [CitedSentence(text) for text in state.emitted]
                line = self._check_back(context, "".join(state.emitted))
                if line is not None:
                    yield from self._emit(line, context, state)
                    cited.append(CitedSentence(line))
            else:
                backend_name = self.offline.name
                generated = self.offline.generate(context)
                prompt_version = generated.prompt_version
                cited = list(generated.sentences)
                for sentence in generated.sentences:
                    yield from self._emit(sentence.text, context, state)
        prepared.timings["generate"] = _ms(start)
        prepared.timings["filter"] = round(state.filter_ms, 2)
        policy = state.policy()
        yield StreamEvent(kind="done", result=self._result(
            prepared, cited, policy, backend_name, fallback, prompt_version))

    def _stream_backend(self, context: DraftContext, state: _StreamState
                        ) -> Generator[StreamEvent, None, Generated]:
        splitter = SentenceSplitter()
        deltas = cast(Generator[str, None, Generated | None], self.backend.stream(context))
        returned: Generated | None = None
        while True:
            try:
                delta = next(deltas)
            except StopIteration as stop:
                returned = stop.value
                break
            except LLMError:
                # The backend yields whole sentences; the splitter may still hold the last one,
                # waiting to see what follows its Latin full stop. It goes out before the close.
                for sentence in splitter.flush():
                    yield from self._emit(sentence, context, state)
                raise
            for sentence in splitter.feed(delta):
                yield from self._emit(sentence, context, state)
        for sentence in splitter.flush():
            yield from self._emit(sentence, context, state)
        if returned is None:  # a backend whose stream returns nothing: cite nothing
            version = getattr(self.backend, "prompt_version", "")
            returned = Generated([CitedSentence(t) for t in state.emitted], str(version))
        return returned

    def _check_back(self, context: DraftContext, sent: str) -> str | None:
        """The closing "let me check" line in the language of ``sent`` (the model may have
        answered in another language than planned); None when ``sent`` already says it."""
        language = context.language
        family = script_family(sent)
        if family is not None and family != ("zh" if is_chinese(language) else language):
            language = language_of(sent)
        line = self.offline.check_back(context, language)
        if language in ("en", "ko") and not sent.endswith((" ", "\n")):
            line = " " + line
        return None if line.strip() in sent else line

    def _emit(self, sentence: str, context: DraftContext, state: _StreamState
              ) -> Iterator[StreamEvent]:
        start = time.perf_counter()
        result = self._check(sentence, context)
        if result.text.strip() and state.emitted:
            result = self._after(state.recent(), result, context)
        state.record(sentence, result, time.perf_counter() - start)
        if result.text.strip():
            yield StreamEvent(kind="sentence", text=result.text)

    def _after(self, sent: str, result: PolicyResult, context: DraftContext) -> PolicyResult:
        """``result`` (a sentence filtered alone) read after the sentences just sent: a
        sentence harmless alone can finish a disguise begun before it ("w.e.c." then "h.a.t
        abc123", or a right-to-left override left open). What was sent cannot be taken back,
        so such a sentence is withheld whole."""
        joined = self._check(sent + result.text, context)
        late = [v for v in joined.violations if v.span[1] > len(sent)]
        if not late:
            return result
        shifted = [v.model_copy(update={"span": (max(0, v.span[0] - len(sent)),
                                                 v.span[1] - len(sent)),
                                        "action": "removed", "replacement": None})
                   for v in late]
        return PolicyResult(clean=False, text="", violations=[*result.violations, *shifted],
                            empty_after_filter=True)


# How much of the text already streamed each new sentence is checked together with.
_CONTEXT_CHARS = 400


@dataclass
class _StreamState:
    """What has been streamed so far: emitted (filtered) text and violations at raw offsets."""

    emitted: list[str] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    raw_length: int = 0
    filter_ms: float = 0.0

    def record(self, raw: str, result: PolicyResult, seconds: float) -> None:
        for violation in result.violations:
            start, end = violation.span
            self.violations.append(violation.model_copy(
                update={"span": (start + self.raw_length, end + self.raw_length)}))
        self.raw_length += len(raw)
        self.filter_ms += seconds * 1000
        if result.text.strip():
            self.emitted.append(result.text)

    def recent(self) -> str:
        """The last sentences sent, whole, up to about ``_CONTEXT_CHARS``: enough for any
        disguise to span, without re-reading the whole reply for every sentence."""
        kept: list[str] = []
        length = 0
        for text in reversed(self.emitted):
            if kept and length + len(text) > _CONTEXT_CHARS:
                break
            kept.append(text)
            length += len(text)
        return "".join(reversed(kept))

    def policy(self) -> PolicyResult:
        text = "".join(self.emitted)
        return PolicyResult(clean=not self.violations, text=text, violations=self.violations,
                            empty_after_filter=not text.strip())


def _reason(error: LLMError) -> str:
    """The LLM backend's short reason code (timeout, unavailable, circuit_open, …), so stats can
    count fallbacks by cause; the details go to the log."""
    from replydraft.drafting.llm.retry import fallback_reason  # only reached with the LLM on

    log.warning("LLM failed, drafting offline instead: %s", error.detail)
    return fallback_reason(error)


def build_drafter(settings: Settings, knowledge: KnowledgeReader) -> Drafter:
    """The offline composer by default; the LLM backend when ``settings.llm_enabled``."""
    if settings.llm_enabled:
        from replydraft.drafting.llm.backend import OpenAIBackend

        return Drafter(settings, knowledge, OpenAIBackend(settings))
    return Drafter(settings, knowledge)


