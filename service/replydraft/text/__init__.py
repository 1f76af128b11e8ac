"""The text foundation every layer shares: script and language detection with OpenCC conversion
(``script``), numerals (``numbers``), money and discount asks (``money``), measurement units
(``units``), Korean particles (``korean``) and what counts as an emoji (``emoji``).

One implementation of each concept, so drafting, the policy filter, the customer risk scan and
the knowledge base can never read the same customer words differently. Nothing here imports
from the rest of replydraft except ``replydraft.languages``.
"""
