"""Rendering a ``DraftContext`` into the chat messages of the LLM prompt, within the token budget.

The prompt files (``llm_prompt_files``) give the templates; this module fills them: the system
message with the store's voice and the reply language, the examples, and the user message with
the delimited data blocks, everything neutralised first. ``budget`` decides what fits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from langchain_core.messages import BaseMessage

from replydraft.drafting.backend import DraftContext
from replydraft.drafting.llm.budget import (
    TOKENS_PER_MESSAGE,
    TOKENS_REPLY_PRIMING,
    Allocation,
    Costs,
    TokenCounter,
    allocate,
    prompt_budget,
)
from replydraft.drafting.llm.prompt_files import (
    PromptSet,
    attribute_value,
    chunk_variables,
    format_answer,
    load_prompt_set,
    neutralise,
)
from replydraft.drafting.models import AnswerPlan, Message
from replydraft.errors import ConfigurationError
from replydraft.knowledge.models import SearchHit, StoreProfile, pick_text
from replydraft.languages import Language, Platform

__all__ = [
    "PromptRenderer",
    "PromptSet",
    "RenderedPrompt",
    "format_answer",
    "load_prompt_set",
    "neutralise",
]

ChatMessage = dict[str, str]  # {"role": ..., "content": ...}, the OpenAI wire shape


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


@dataclass(frozen=True)
class _Parts:
    """What one request's prompt is made of, before choosing what fits."""

    system: str
    mode: str
    base: dict[str, Any]
    context: DraftContext
    history: Sequence[Message]


@dataclass(frozen=True)
class RenderedPrompt:
    messages: list[ChatMessage]
    known_ids: frozenset[str]  # chunk ids the model may cite (context.hits)
    allocation: Allocation
    tokens: int  # counted with tiktoken, framing included
    prompt_version: str


class PromptRenderer:
    """Renders contexts with one prompt set within one token budget."""

    def __init__(
        self,
        prompts: PromptSet,
        counter: TokenCounter,
        *,
        max_context_tokens: int,
        max_output_tokens: int,
    ) -> None:
        self.prompts = prompts
        self.counter = counter
        self.budget = prompt_budget(max_context_tokens, max_output_tokens)
        if self.budget < 200:
            raise ConfigurationError(
                f"REPLYDRAFT_LLM_MAX_CONTEXT_TOKENS={max_context_tokens} leaves only "
                f"{self.budget} prompt tokens after {max_output_tokens} output tokens"
            )
        self._example_costs = {
            mode: tuple(
                counter.count(str(user.content)) + counter.count(str(ai.content))
                + 2 * TOKENS_PER_MESSAGE
                for user, ai in pairs
            )
            for mode, pairs in prompts.examples.items()
        }

    def render(self, context: DraftContext, *, stream: bool) -> RenderedPrompt:
        mode = "stream" if stream else "json"
        system = self.prompts.system.format(**self._system_variables(context, stream=stream))
        parts = _Parts(
            system=str(system.content),
            mode=mode,
            base=self._context_variables(context),
            context=context,
            history=context.request.messages[:-1],
        )
        latest = neutralise(context.request.latest)
        # Usually everything fits: one render and one count. Only a long conversation or a big
        # retrieval pays for measuring the parts and choosing.
        allocation = Allocation(
            chunks=tuple(range(len(context.hits))),
            history_from=0,
            fewshot=len(self._example_costs[mode]),
            latest_max_tokens=None,
            used=0,
        )
        messages, tokens = self._assemble(parts, latest, allocation)
        if tokens > self.budget:
            allocation = allocate(self._costs(parts, latest), self.budget)
            if allocation.latest_max_tokens is not None:
                latest = self.counter.truncate_middle(latest, allocation.latest_max_tokens)
            messages, tokens = self._assemble(parts, latest, allocation)
        while tokens > self.budget:
            if _can_drop_more(allocation, len(parts.history)):
                allocation = _drop_one_more(allocation, len(parts.history))
            else:
                latest, allocation = self._shorten_latest(latest, allocation, tokens)
            messages, tokens = self._assemble(parts, latest, allocation)
        return RenderedPrompt(
            messages=messages,
            known_ids=frozenset(hit.chunk_id for hit in context.hits),
            allocation=replace(allocation, used=tokens),
            tokens=tokens,
            prompt_version=self.prompts.version,
        )

    def _costs(self, parts: _Parts, latest: str) -> Costs:
        skeleton = self._format_context(
            {**parts.base, "chunks": [], "history": [], "customer_message": ""}
        )
        return Costs(
            fixed=self._count_cached(parts.system) + self.counter.count(skeleton)
            + 2 * TOKENS_PER_MESSAGE + TOKENS_REPLY_PRIMING,
            latest=self.counter.count(latest),
            chunks=tuple(self._chunk_cost(hit) for hit in parts.context.hits),
            history=tuple(self._message_cost(message) for message in parts.history),
            fewshot=self._example_costs[parts.mode],
        )

    def _assemble(
        self, parts: _Parts, latest: str, allocation: Allocation
    ) -> tuple[list[ChatMessage], int]:
        """The messages for one allocation, and their token count (framing included)."""
        hits = parts.context.hits
        user = self._format_context(
            {
                **parts.base,
                "chunks": [self._hit_variables(hits[i]) for i in allocation.chunks],
                "history": [
                    self._message_variables(m) for m in parts.history[allocation.history_from :]
                ],
                "history_omitted": allocation.history_from,
                "customer_message": latest,
                "latest_truncated": allocation.latest_max_tokens is not None,
            }
        )
        messages: list[ChatMessage] = [{"role": "system", "content": parts.system}]
        for example_user, example_ai in self.prompts.examples[parts.mode][: allocation.fewshot]:
            messages.append(_wire(example_user))
            messages.append(_wire(example_ai))
        messages.append({"role": "user", "content": user})
        # The system prompt and the examples repeat across requests: their counts are cached.
        tokens = (
            self._count_cached(parts.system)
            + sum(self._example_costs[parts.mode][: allocation.fewshot])
            + self.counter.count(user)
            + 2 * TOKENS_PER_MESSAGE
            + TOKENS_REPLY_PRIMING
        )
        return messages, tokens

    def _shorten_latest(
        self, latest: str, allocation: Allocation, tokens: int
    ) -> tuple[str, Allocation]:
        keep = self.counter.count(latest) - (tokens - self.budget) - 4
        if keep < 16:
            raise ConfigurationError(
                "the prompt does not fit REPLYDRAFT_LLM_MAX_CONTEXT_TOKENS even with no history, "
                "knowledge or examples; raise it or lower REPLYDRAFT_LLM_MAX_OUTPUT_TOKENS"
            )
        return self.counter.truncate_middle(latest, keep), replace(
            allocation, latest_max_tokens=keep
        )

    def _format_context(self, variables: dict[str, Any]) -> str:
        return str(self.prompts.context.format(**variables).content)

    def _count_cached(self, text: str) -> int:
        # The system prompt only varies by store and language: count each variant once.
        return _count_cached_text(self.counter.encoding_name, text)

    def _chunk_cost(self, hit: SearchHit) -> int:
        return self.counter.count(
            " ".join((hit.chunk_id, hit.source, hit.section, neutralise(hit.text)))
        ) + 16  # the <knowledge id="" source="" section=""> … </knowledge> markup

    def _message_cost(self, message: Message) -> int:
        return self.counter.count(neutralise(message.text)) + 10  # <message role=""> … </message>

    def _hit_variables(self, hit: SearchHit) -> dict[str, str]:
        return chunk_variables(hit.chunk_id, hit.source, hit.section, hit.text)

    @staticmethod
    def _message_variables(message: Message) -> dict[str, str]:
        return {"role": message.role, "text": neutralise(message.text)}

    # -------------------------------------------------------------- variables

    def _system_variables(self, context: DraftContext, *, stream: bool) -> dict[str, Any]:
        store, language = context.store, context.language
        return {
            "agent_name": neutralise(pick_text(store.agent.nickname, language)),
            "store_name": neutralise(pick_text(store.names, language)),
            "platform_name": self.prompts.platform_names[context.platform],
            "language_name": self.prompts.language_names[language],
            "language_code": language,
            "traditional": language == "zh-Hant",
            "simplified": language == "zh-Hans",
            "korean": language == "ko",
            "korean_formal": store.voice.korean_speech_level == "hamnida",
            "honorific": neutralise(pick_text(store.voice.honorific, language)),
            "emoji": store.voice.emoji,
            "emoji_set": " ".join(store.voice.emoji_set),
            "currency": store.currency,
            "agent_max_discount": _number(store.policies.discounts.agent_max),
            "stream": stream,
        }

    def _context_variables(self, context: DraftContext) -> dict[str, Any]:
        language = context.language
        hit_ids = {hit.chunk_id for hit in context.hits}
        order = context.request.order
        product = context.product
        return {
            "store": self._store_variables(context.store, language, context.platform),
            "language_name": self.prompts.language_names[language],
            "platform_name": self.prompts.platform_names[context.platform],
            "first_reply": context.first_reply,
            "today": context.today.isoformat() if context.today else "",
            "intents": [
                {"name": i.intent, "confidence": f"{i.confidence:.2f}"} for i in context.intents
            ],
            "product": neutralise(f"{pick_text(product.names, language)} ({product.sku})")
            if product
            else "",
            "order": neutralise(f"{order.id} ({order.status})") if order else "",
            "risks": sorted({risk.type for risk in context.risks}),
            "missing": [neutralise(item) for item in context.missing],
            "facts": [
                {
                    "key": fact.key,
                    "text": neutralise(fact.text),
                    "cite": attribute_value(fact.chunk_id) if fact.chunk_id in hit_ids else "",
                }
                for fact in context.facts
            ],
            "plan": _plan_variables(context.plan),
            "history_omitted": 0,
            "latest_truncated": False,
        }

    def _store_variables(
        self, store: StoreProfile, language: Language, platform: Platform
    ) -> dict[str, Any]:
        policies = store.policies
        postage, returns, shipping = policies.postage, policies.returns, policies.shipping
        return {
            "name": neutralise(pick_text(store.names, language)),
            "platform_name": self.prompts.platform_names[platform],
            "agent_name": neutralise(pick_text(store.agent.nickname, language)),
            "currency": store.currency,
            "free_over": _number(postage.free_over),
            "standard_fee": _number(postage.standard_fee),
            "remote_regions": neutralise(
                ", ".join(pick_text(region, language) for region in postage.remote_regions)
            ),
            "remote_surcharge": _number(postage.remote_surcharge),
            "freight_insurance": postage.freight_insurance,
            "return_postage": [
                {"case": case.replace("_", " "), "payer": payer}
                for case, payer in postage.return_postage.items()
            ],
            "no_reason_days": returns.no_reason_days,
            "return_condition": neutralise(returns.condition_text(language)),
            "exchange_days": returns.exchange_days,
            "refund_within_days": returns.refund_within_days,
            "quality_report_days": policies.quality.report_within_days,
            "photos_required": policies.quality.photos_required,
            "cutoff_time": shipping.cutoff_time,
            "dispatch_hours": shipping.dispatch_within_hours,
            "couriers": [
                {
                    "name": neutralise(pick_text(courier.name, language)),
                    "days_min": _number(courier.typical_days.min),
                    "days_max": _number(courier.typical_days.max),
                    "surcharge": _number(courier.surcharge) if courier.surcharge else "",
                    "express": courier.express,
                }
                for courier in shipping.couriers
            ],
            "agent_max_discount": _number(policies.discounts.agent_max),
            "invoice_available": policies.invoices.available,
            "invoice_kinds": neutralise(
                "; ".join(pick_text(kind, language) for kind in policies.invoices.kinds)
            ),
            "invoice_note": neutralise(pick_text(policies.invoices.note, language)),
            "commitments": [
                neutralise(_commitment_wording(c.phrases, c.description, language))
                for c in store.allowed_commitments
            ],
        }


# How each plan step reads to the model.
_STEP_WORDS = {
    "facts": "answer {topic} from <facts> and <knowledge>",
    "store": "answer {topic} with the store's own answer in <facts> (answer:{ask})",
    "check": "{topic}: the data is silent; say you will check and come back, do not answer it",
    "ask_customer": "ask the customer which product they mean",
    "ack": "acknowledge briefly",
    "close": "close warmly in one short sentence",
    "menu": "ask what they would like to know",
    "safety": "say, once, that everything stays in this platform's chat and you never open "
              "outside links or files",
    "supervisor": "say a discount that size needs the supervisor, who will decide; offer none",
    "handoff": "say you are passing this to a colleague or supervisor who will reply here",
}

# What kind of acknowledgement an "ack" step is (its ask), as the offline templates say it.
ACK_WORDS = {
    "remark": "say you have noted it",
    "order_given": "say you have their order number and ask what they need help with on it",
    "answer": "say you have noted it and will go on with it",
    "promised": "say what was promised earlier will be done",
    "confirmed": "confirm it is as you said earlier; you will tell them here if anything changes",
    "reminded": "say it is noted and will be done as agreed",
    "opening": "say you are happy to help and ask what they are looking for",
    "returning": "thank them for coming back; help is here if they need anything",
    "praise": "thank them for the kind words",
    "praise_browsing": "say you are glad they like it; offer help choosing the size",
    "ordering": "thank them for the order; it goes out soon after payment",
    "chasing": "say sorry for the wait, you are still looking into it and will reply here",
    "on_it": "say you are on what they asked and will update them here; promise no outcome",
    "patient": "thank them for their patience; you will update them here",
    "giving_up": "accept it kindly and say sorry for the hassle; they can message here any time "
                 "to take it up again; ask nothing about what went wrong",
    "received": "say you are glad it arrived; they can message here if anything is not right",
    "hope": "say you hope they will love it; if anything is not right, help is here",
    "stepping_away": "say kindly there is no hurry; you are here when they are ready",
    "apologised": "say kindly there is nothing to be sorry for; help is here if they need it",
    "farewell": "say goodbye warmly; they can message any time",
    "urgent": "say you're welcome; you know they are in a hurry, and say when orders ship",
    "elsewhere": "say kindly that the message seems meant for another company, and offer help "
                 "with this store's products or orders",
    "ahead": "say you're welcome; you will tell them here as soon as it is done",
    "person": "say you are a real person on the store's customer service, and ask how you can "
              "help; pass nothing on to anyone",
}


def _plan_variables(plan: AnswerPlan) -> dict[str, Any]:
    steps = []
    for step in plan.steps:
        topic = step.intent.replace("_", " ") + (f" ({step.ask.replace('_', ' ')})"
                                                 if step.ask else "")
        what = _STEP_WORDS[step.source].format(topic=topic, ask=step.ask)
        if step.source == "ask_customer" and step.ask == "order":
            what = "ask the customer for the order number, and say you will check and reply here"
        if step.source in ("ack", "close") and step.ask in ACK_WORDS:
            what += ": " + ACK_WORDS[step.ask]
        steps.append({"what": what})
    return {"opening": plan.opening, "tone": plan.tone, "emoji": plan.emoji,
            "offers": plan.offers, "steps": steps,
            "checks": [neutralise(item.what) for item in plan.needs_check]}


def _commitment_wording(
    phrases: Mapping[Language, list[str]], description: str, language: Language
) -> str:
    wordings = phrases.get(language) or []
    return wordings[0] if wordings else description


def _wire(message: BaseMessage) -> ChatMessage:
    role = {"human": "user", "ai": "assistant", "system": "system"}[message.type]
    return {"role": role, "content": str(message.content)}


def _can_drop_more(allocation: Allocation, history_len: int) -> bool:
    return bool(
        allocation.fewshot or allocation.history_from < history_len or allocation.chunks
    )


def _drop_one_more(allocation: Allocation, history_len: int) -> Allocation:
    """The estimate was a little short: give up the least valuable remaining part."""
    if allocation.fewshot:
        return replace(allocation, fewshot=allocation.fewshot - 1)
    if allocation.history_from < history_len:
        return replace(allocation, history_from=allocation.history_from + 1)
    return replace(allocation, chunks=allocation.chunks[:-1])


@lru_cache(maxsize=64)
def _count_cached_text(encoding_name: str, text: str) -> int:
    return TokenCounter(encoding_name).count(text)
