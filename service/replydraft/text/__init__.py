"""The text foundation every layer shares: script and language detection with OpenCC conversion
(``script``), numerals (``numbers``), money and discount asks (``money``), measurement units
(``units``), Korean particles (``korean``), what counts as an emoji (``emoji``), the links
set aside from the customer's own words (``links``) and rule patterns searched only in texts of
the script they need (``gated``).

One implementation of each concept, so drafting, the policy filter, the customer risk scan and
the knowledge base can never read the same customer words differently. Nothing here imports
from the rest of replydraft except ``replydraft.languages``.
"""
