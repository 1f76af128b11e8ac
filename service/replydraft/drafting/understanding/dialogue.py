"""What the conversation so far has settled: ids and measurements given, what the agent said.

Built from the history and the request's ``order``. A draft must never ask for what the customer
already gave, and never contradict what the agent already said (a refused discount is not offered
two turns later).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from replydraft.drafting.backend import Slots
from replydraft.drafting.models import DraftRequest
from replydraft.drafting.understanding.cues import AgentAct, Cues
from replydraft.drafting.understanding.slots import normalise_measures

# Order numbers are long; 11-digit runs that start with 1 are mainland mobile numbers and are
# never echoed back (one that starts otherwise is an id).
_ORDER_ID = re.compile(r"(?<![0-9A-Za-z])(\d{12,24}|[02-9]\d{10})(?![0-9A-Za-z])")
# A shorter or lettered id the customer labels as the order's ("订单号: TB2026A7781", "order
# #4521", "주문번호 A-20931"): the label says what it is; a digit in it keeps words out.
ORDER_LABEL = (r"(?:订单号|订单编号|订单|单号|訂單編號|訂單號碼|訂單"
               r"|order ?(?:number|no\.?|id|#)|주문 ?번호)")
# A number the chat export redacted ("订单号:[数字x]") was a number all the same.
REDACTED_NUMBER = r"\[(?:数字|电话)x\]"
_LABELLED_ID = re.compile(
    ORDER_LABEL + r"\s*(?:is|是|는|은)?\s*[:：#]?\s*(?:&nbsp;\s*)*(?:\[?"
    r"(?=[A-Za-z_\-]*\d)([A-Za-z0-9][A-Za-z0-9_\-]{3,39})\]?|(" + REDACTED_NUMBER + r"))",
    re.IGNORECASE)

_SLOT_NAMES = ("height_cm", "weight_kg", "waist_cm", "foot_length_mm", "shoe_size", "colour")


def order_id_in(texts: Sequence[str]) -> str | None:
    """An order number the customer pasted (a long run of digits, or an id they label as the
    order's), newest message first."""
    for text in texts:
        match = _ORDER_ID.search(text) or _LABELLED_ID.search(text)
        if match:
            return match.group(1) or match.group(2)
    return None


@dataclass(frozen=True)
class DialogueState:
    order_id: str | None
    given: tuple[str, ...]  # "order_id", "product", "height_cm", … what the customer gave
    agent_acts: tuple[tuple[AgentAct, str], ...]  # (act, topic) over the agent's turns
    awaiting: tuple[str, ...]  # what the agent's last message asked the customer for
    agent_turns: int
    spoke: bool = False  # the customer said more than a greeting before the latest message

    @property
    def item_named(self) -> bool:
        """Could the conversation have named the item already: a link or a number given, or the
        customer or the agent saying more than a greeting ("在吗" / "在的亲" names nothing)."""
        return self.spoke or self.agent_turns > 1 or bool({"product", "order_id"} & set(self.given))

    def agent(self, act: AgentAct, topic: str) -> bool:
        return (act, topic) in self.agent_acts


def dialogue_state(request: DraftRequest, *, slots: Slots, product_given: bool,
                   awaiting: tuple[str, ...], cues: Cues, spoke: bool = False) -> DialogueState:
    """``awaiting``: ``awaited(request, cues)``, which understanding has read already."""
    customer = [m.text for m in request.messages if m.role == "customer"]
    agent = [m.text for m in request.messages if m.role == "agent"]
    order_id = request.order.id if request.order else order_id_in(customer[::-1])
    given = [name for name in _SLOT_NAMES if getattr(slots, name) is not None]
    if order_id is not None:
        given.insert(0, "order_id")
    if product_given:
        given.insert(0, "product")
    acts: list[tuple[AgentAct, str]] = []
    for text in agent:
        for act in cues.agent_acts(normalise_measures(text)):
            if act not in acts:
                acts.append(act)
    return DialogueState(order_id=order_id, given=tuple(given), agent_acts=tuple(acts),
                         awaiting=awaiting, agent_turns=len(agent), spoke=spoke)


def awaited(request: DraftRequest, cues: Cues) -> tuple[str, ...]:
    """What the agent's last message asked the customer for ("订单号", "your weight?")."""
    last_agent = _last_agent_turn(request)
    if last_agent is None:
        return ()
    return tuple(topic for act, topic in cues.agent_acts(normalise_measures(last_agent))
                 if act == "asked")


def _last_agent_turn(request: DraftRequest) -> str | None:
    """The agent's message just before the customer's latest run of messages, if any."""
    for message in reversed(request.messages):
        if message.role == "agent":
            return message.text
    return None


_SCRIPT_RUN = re.compile(r"[\u3400-\u9fff\uac00-\ud7a3]+")
_LONG_WORD = re.compile(r"[a-z]{5,}")


def echoes_agent(request: DraftRequest) -> bool:
    """The latest message takes up words of the agent's last turn ("照片要拍哪里" after "麻烦
    拍个照片", "what receipt?" after "send the receipt"): it asks about what the agent said."""
    agent = _last_agent_turn(request)
    if agent is None:
        return False
    said, latest = agent.lower(), request.latest.lower()
    pairs = {run[i:i + 2] for run in _SCRIPT_RUN.findall(latest) for i in range(len(run) - 1)}
    return any(pair in said for pair in pairs) or any(
        word in said for word in _LONG_WORD.findall(latest))
