from __future__ import annotations

from replydraft.drafting.composing.sentences import SentenceSplitter, split_sentences


def test_chinese_latin_and_korean_sentence_ends() -> None:
    assert split_sentences("亲，建议38码。包邮哦！几天到？") == \
        ["亲，建议38码。", "包邮哦！", "几天到？"]
    assert split_sentences("Size 38 fits. Free shipping! Any questions?") == \
        ["Size 38 fits. ", "Free shipping! ", "Any questions?"]
    assert split_sentences("38 사이즈 추천드려요. 무료배송이에요!") == \
        ["38 사이즈 추천드려요. ", "무료배송이에요!"]


def test_decimals_and_tildes_and_newlines() -> None:
    assert split_sentences("脚长26.5cm选44码～有问题随时找我") == \
        ["脚长26.5cm选44码～", "有问题随时找我"]
    assert split_sentences("first line\nsecond line") == ["first line\n", "second line"]


def test_closing_quotes_and_emoji_stay_with_their_sentence() -> None:
    assert split_sentences("他说“可以。”好的😊谢谢！") == ["他说“可以。”", "好的😊谢谢！"]
    assert split_sentences("欢迎光临！😊 有什么可以帮您？") == ["欢迎光临！😊 ", "有什么可以帮您？"]


def test_streamed_pieces_come_out_only_when_a_sentence_is_whole() -> None:
    splitter = SentenceSplitter()
    assert splitter.feed("亲，建议您") == []
    assert splitter.feed("选38码。有问题") == ["亲，建议您选38码。"]
    assert splitter.feed("加我微") == []
    assert splitter.feed("信哦。") == ["有问题加我微信哦。"]
    assert splitter.feed("It costs 3") == []
    assert splitter.feed(".5 yuan") == []  # "3.5" is not a sentence end
    assert splitter.flush() == ["It costs 3.5 yuan"]


def test_a_latin_full_stop_waits_for_what_follows() -> None:
    splitter = SentenceSplitter()
    assert splitter.feed("Size 38.") == []
    assert splitter.feed(" Free shipping.") == ["Size 38. "]
    assert splitter.flush() == ["Free shipping."]
