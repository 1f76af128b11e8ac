"""Links and e-mail addresses pasted into a message: what they are is for the risk scan; for
reading the customer's own words (their language, what they ask) they are set aside."""

from __future__ import annotations

import re

LINK = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.[a-z]{2,}", re.IGNORECASE)


def without_links(text: str) -> str:
    """``text`` with each link or e-mail address replaced by a space."""
    return LINK.sub(" ", text)
