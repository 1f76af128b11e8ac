"""The emoji a reply may carry, as one character-class body: sentence splitting, the offline
composer's sentence ends and the eval's no-emoji assertion must agree on what an emoji is."""

from __future__ import annotations

# Pictographs and emoticons (U+1F300–U+1FAFF) and the older symbol blocks (U+2600–U+27BF).
EMOJI_CLASS = "\U0001F300-\U0001FAFF\u2600-\u27BF"
