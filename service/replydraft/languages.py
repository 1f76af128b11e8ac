"""The languages and scripts replydraft answers in, and the platforms it knows."""

from typing import Literal, get_args

Language = Literal["zh-Hans", "zh-Hant", "en", "ko"]
LANGUAGES: tuple[Language, ...] = get_args(Language)

Platform = Literal["taobao", "tmall", "jd", "own"]
PLATFORMS: tuple[Platform, ...] = get_args(Platform)


def is_chinese(language: str) -> bool:
    return language in ("zh-Hans", "zh-Hant")
