"""Whether the latest message continues the conversation's open question, and with what.

"那黑色呢?", "and the hoodie?", "7033" (after "your order number?") or "冲锋衣" (after "which
item?") carry no question of their own: they continue the one before. A message that only presses
an open after-sales case ("its been 12 days", "you said that last week") goes on with the case.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from replydraft.drafting.models import IntentScore
from replydraft.drafting.understanding.intents import FAINT, IntentClassifier, with_followup
from replydraft.drafting.understanding.lexicon import Lexicon, word_in
from replydraft.drafting.understanding.slots import normalise_measures

# An after-sales case the customer is chasing: a message that only presses ("its been 12 days",
# "you said that last week", "7033. useless") goes on with the case, not a new topic.
_CASES = frozenset({"refund_status", "logistics_delay", "payment_reminder", "quality_complaint",
                    "return_exchange", "invoice"})
# A thanks closes the case instead; a greeting opens a new one.
_PRESSING = frozenset({"complaint", "other", "logistics_delay", "shipping_time"})


# A case is continued only when the message before was clearly about it: a faint guess at a return
# must not turn "都四天了还没动静" about a parcel into a returns question.
_CLEAR_CASE = 0.5


def presses(intents: Sequence[IntentScore]) -> bool:
    """Nothing in the message but pressing: it may continue an open case."""
    # A faint reading is no topic of its own ("都四天了还没动静" leans nowhere).
    return {s.intent for s in intents if s.confidence >= FAINT} <= _PRESSING


def continue_the_case(intents: list[IntentScore], before: Sequence[IntentScore]
                      ) -> list[IntentScore]:
    case = [s for s in before if s.intent in _CASES and s.confidence >= _CLEAR_CASE]
    names = {s.intent for s in intents}
    if not case or not presses(intents) or names & {s.intent for s in case}:
        return intents
    return with_followup([], case, followup=True)


_FOLLOWUP_WORDS = re.compile(
    r"\b(and|what about|how about|the|in|ok|okay|so|then|one|ones)\b|那|呢|的|还有|那个|"
    r"그럼|은요|는요|도요|요|이요|[?？!！.,。，~～\s]")


def only_names(text: str, lexicon: Lexicon) -> bool:
    """"and the hoodie?", "후드티는요?", "那冲锋衣呢": a product or colour named and nothing
    asked; the question is the one before, about this product now."""
    norm = normalise_measures(text)
    named = False
    for word in lexicon.product_and_colour_words:
        if word_in(word, norm):
            norm = norm.replace(word, " ")
            named = True
    rest = _FOLLOWUP_WORDS.sub("", norm)
    return named and len(rest) <= 1


# A follow-up keeps its own intents only when it is this sure of them ("and shipping?").
FOLLOWUP_OWN = 0.85
_ANSWER_CHARS = 40
_HAS_DIGIT = re.compile(r"\d")


def answers_the_agent(latest: str, awaiting: Sequence[str]) -> bool:
    """The agent asked for an order number or a measurement and the customer gives one: the
    message continues the question the agent was working on ("7033", "130이요 150으로")."""
    return bool(awaiting) and len(latest) <= _ANSWER_CHARS and \
        _HAS_DIGIT.search(normalise_measures(latest)) is not None


# A reply this short that carries no clear question of its own answers the agent or continues
# the previous question: "冲锋衣" after "which item?", "200斤" after "your weight?", "44?".
SHORT_ANSWER_CHARS = 12


def is_followup(latest: str, intents: Sequence[IntentScore], classifier: IntentClassifier,
                 lexicon: Lexicon) -> bool:
    if classifier.is_followup(latest):
        return True
    norm = normalise_measures(latest)
    if lexicon.cue("courtesy", norm):
        return False  # "好的谢谢" closes a topic; it does not reopen the last one
    compact = "".join(ch for ch in norm if ch.isalnum())
    clear = any(s.confidence >= 0.9 and s.intent not in ("greeting", "other") for s in intents)
    return len(compact) <= SHORT_ANSWER_CHARS and not clear
