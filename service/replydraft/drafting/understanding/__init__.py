"""Understanding a conversation: language and script, intents, slots, product, dialogue state, mood.

The first stage of the pipeline (understanding → retrieval → composing → filtering → review).
"""
