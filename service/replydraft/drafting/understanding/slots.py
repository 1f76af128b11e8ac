"""What the customer told us, in numbers: height, weight, feet, waist, product, colour, bargain.

Customers write measurements every way there is: 175cm, 175, 1米75, 一米七五, 1.75m, 5'10",
180斤 (a jin is half a kilo), 90公斤, 200 lbs, 키 175에 80키로, 腰围2尺8, 26.5cm feet, 42码, US 10.
Each parser below turns one family of forms into metric values; ``extract_slots`` runs them over
the conversation, newest customer message first, so "那黑色呢?" still knows the height and weight
given two messages earlier and stays on the product discussed.
"""

from __future__ import annotations

import re
import unicodedata

from replydraft.text import units
from replydraft.text.korean import standard_spelling
from replydraft.text.money import MoneyAsk, amount_off, read_money
from replydraft.text.numbers import arabic_numerals, parse_numeral
from replydraft.text.script import to_simplified

HEIGHT_CM = (130.0, 230.0)
WEIGHT_KG = (35.0, 250.0)
FOOT_MM = (200.0, 330.0)
WAIST_CM = (55.0, 180.0)

# ---------------------------------------------------------------- normalising


def chinese_number(run: str) -> int | None:
    """一百八十 → 180, 一百八 → 180 (spoken short form), 七五 → 75, 两百 → 200, 十五 → 15."""
    return parse_numeral(run)


def normalise_measures(text: str) -> str:
    """Full-width → ASCII, Simplified script, numerals → digits, lower case."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("’", "'").replace("′", "'").replace("″", '"').replace("”", '"')
    return arabic_numerals(standard_spelling(to_simplified(text))).lower()


def _num(value: str) -> float:
    return float(value)


def _within(value: float, bounds: tuple[float, float]) -> bool:
    return bounds[0] <= value <= bounds[1]


# ---------------------------------------------------------------- height

_WAIST_CHEST = r"(腰围|腰|胸围|臀围|waist|chest|허리|가슴)\s*[:：]?\s*"
_HEIGHT_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(\d)\s*米\s*(\d{1,2})(?!\d)"), "m_cm"),              # 1米75, 1米8
    (re.compile(r"(?<![\d.])(\d)\s*m\s*(\d{2})(?!\d)"), "m_cm"),        # 1m75
    (re.compile(rf"(?<![\d.])([12]\.\d{{1,2}})\s*({units.METRE_WORDS})(?![a-z])"), "m"),  # 1.75m
    (re.compile(rf"(?<![\d.])([4-7])\s*(?:{units.FEET_WORDS})\s*(\d{{1,2}}(?!\d))?\s*"
                rf"(?:''|{units.INCH_WORDS})?"), "ft"),                # 5'10", 5 ft 10, 6ft 270lb
    (re.compile(r"(身高|个子|个头|高|height|키\s*(?:가|는)?)\s*[:：是]?\s*(?:大概|约|差不多|about|around|한)?\s*"
                r"(\d{1,3}(?:\.\d{1,2})?)"), "labelled"),
    (re.compile(rf"(?<![\d.])(1\d{{2}}|2[0-2]\d)(?:\.\d)?\s*({units.CM_WORDS})"), "cm"),
    (re.compile(r"\b(?:i'?m|i am)\s*(?:about|around)?\s*(1[4-9]\d|20\d)(?![\d.])"
                r"(?!\s*(?:lbs?|pounds?|kgs?|kilos?))"), "cm"),
)


def parse_height(text: str) -> float | None:
    """Height in cm from one normalised message, or None."""
    for pattern, kind in _HEIGHT_PATTERNS:
        for match in pattern.finditer(text):
            value = _height_value(match, kind, text)
            if value is not None and _within(value, HEIGHT_CM):
                return round(value, 1)
    return None


def _height_value(match: re.Match[str], kind: str, text: str) -> float | None:
    if kind == "m_cm":
        return units.metres_and_rest_cm(int(match.group(1)), match.group(2))
    if kind == "m":
        return units.to_cm(_num(match.group(1)), "m")
    if kind == "ft":
        feet, inches = int(match.group(1)), int(match.group(2) or 0)
        bare = match.group(2) is None and not re.search(r"ft|feet|foot|'|呎", match.group(0))
        if inches > 11 or bare:
            return None
        return units.feet_inches_cm(feet, inches)
    if kind == "labelled":
        value = _num(match.group(2))
        if value < 3:
            return value * 100  # 身高1.8
        if 45 <= value <= 99 and match.group(1).startswith("키"):
            return 100 + value  # Koreans say 키가 72 for 172
        return value
    if kind == "cm":
        if re.search(_WAIST_CHEST + r"$", text[:match.start()][-8:]):
            return None
        return _num(match.group(1))
    return None


# ---------------------------------------------------------------- weight

_KG_UNITS = f"({units.KG_WORDS})"
_WEIGHT_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?<![\d.])(\d{2,3}(?:\.\d)?)\s*(?:多|来|左右|出头)?\s*" + units.JIN_WORDS),
     "jin"),
    (re.compile(r"(?<![\d.])(\d{2,3}(?:\.\d)?)\s*(?:多|来|左右)?\s*" + _KG_UNITS), "kg"),
    (re.compile(rf"(?<![\d.])(\d{{2,3}}(?:\.\d)?)\s*({units.LB_WORDS})\b"), "lb"),
    (re.compile(rf"(?<![\d.])(\d{{1,2}})\s*(?:{units.STONE_WORDS})\s*(\d{{1,2}})?\s*(?:lbs?)?\b"),
     "stone"),
    (re.compile(r"(体重|weight|weigh|몸무게|체중)\s*(?:is|of|about|around|[:：是]|大概|约|差不多|는|은|가|이)?\s*"
                r"(?:about|around|大概|约|한)?\s*(\d{2,3}(?:\.\d)?)"), "labelled"),
)


def parse_weight(text: str, family: str) -> float | None:
    """Weight in kg from one normalised message, or None.

    A bare number after 体重 is read as jin when it is 140 or more (Chinese customers count in
    jin: 体重180 means 90 kg); after "weigh" as pounds when above 150.
    """
    for pattern, kind in _WEIGHT_PATTERNS:
        for match in pattern.finditer(text):
            value = _weight_value(match, kind, text, family)
            if value is not None and _within(value, WEIGHT_KG):
                return round(value, 1)
    return None


def _weight_value(match: re.Match[str], kind: str, text: str, family: str) -> float | None:
    value = _num(match.group(1)) if kind != "labelled" else _num(match.group(2))
    if kind in ("jin", "kg", "lb"):
        return units.to_kg(value, "jin" if kind == "jin" else "lb" if kind == "lb" else "kg")
    if kind == "stone":
        return units.stone_pounds_kg(value, int(match.group(2) or 0))
    unit = text[match.end():match.end() + 6].strip()
    if unit.startswith(("斤", "kg", "公斤", "lb", "pound", "키로", "킬로")):
        return None  # the unit patterns above handle it
    return _bare_weight_kg(value, family)


def _bare_weight_kg(value: float, family: str) -> float:
    """A weight without a unit: Chinese customers count 140+ in jin, English 150+ in pounds."""
    if family == "zh" and value >= 140:
        return units.to_kg(value, "jin")
    if family == "en" and value > 150:
        return units.to_kg(value, "lb")
    return value


_PAIR = re.compile(r"(?<![\d.])(1[4-9]\d|20\d)\s*(?:cm|公分)?\s*(?:[/,，、 ]|에|and|&|的话|体重)\s*"
                   r"(?:체중|몸무게|about|around|大概|约)?\s*(\d{2,3})(?![\d.])(?!\s*(?:码|号|岁|块|元|cm|mm|사이즈|yuan))")


# 6'1 260, 5 ft 9 / 180: in English, a bare three-digit number after feet and inches is pounds.
_IMPERIAL_PAIR = re.compile(
    rf"(?<![\d.])[4-7]\s*(?:{units.FEET_WORDS})\s*(?:\d{{1,2}}(?!\d)\s*(?:''|{units.INCH_WORDS})?)?"
    r"\s*(?:[,/&]\s*)?(?:and\s+)?(?:about\s+|around\s+)?(\d{3})(?![\d.])"
    rf"(?!\s*(?:{units.CM_WORDS}|{units.MM_WORDS}|{units.KG_WORDS}|斤|码|号|size|사이즈|\$|dollars?|bucks))")


def parse_height_weight_pair(text: str, family: str) -> tuple[float | None, float | None]:
    """"175 180", "175/85", "175에 80", "i'm 180 and 100": height first, then weight.
    In English, feet and inches then a bare three-digit number ("6'1 260") is pounds."""
    match = _PAIR.search(text)
    if match is None:
        imperial = _IMPERIAL_PAIR.search(text) if family == "en" else None
        if imperial is None:
            return None, None
        pounds = units.to_kg(float(imperial.group(1)), "lb")
        return parse_height(imperial.group(0)), (round(pounds, 1) if _within(pounds, WEIGHT_KG)
                                                  else None)
    height, weight = float(match.group(1)), float(match.group(2))
    weight = _bare_weight_kg(weight, family)
    if not _within(weight, WEIGHT_KG):
        return height, None
    return height, weight


_BARE_HEIGHT = re.compile(r"(?<![\d.a-z-])(1[5-9]\d|20\d)(?![\d.])"
                          r"(?!\s*(?:斤|kg|公斤|千克|元|块|码|号|mm|"
                          r"lbs?|pounds?|yuan|위안|원|키로|킬로|사이즈|折))")


def parse_bare_height(text: str) -> float | None:
    """"我175，穿什么码": a lone 150-209 in a size question is the height in cm."""
    match = _BARE_HEIGHT.search(text)
    return float(match.group(1)) if match else None


# ---------------------------------------------------------------- feet and shoes

_FOOT_PATTERNS: tuple[tuple[re.Pattern[str], float], ...] = (
    (re.compile(rf"(?<![\d.])(\d{{3}})\s*(?:{units.MM_WORDS})"), 1.0),
    (re.compile(rf"(?<![\d.])(\d{{2}}(?:\.\d)?)\s*(?:{units.CM_WORDS})"), 10.0),
    (re.compile(r"(脚长|脚|foot|feet|발\s*(?:길이|사이즈)?(?:가|는|이)?)\s*(?:is|are|[:：是])?\s*(?:about|大概|约)?\s*"
                r"(\d{2,3}(?:\.\d)?)"), 0.0),
    (re.compile(r"(?<![\d.])(2[2-9]\d|3[0-2]\d)\s*(?:(?:으로|로)\s*)?(?:사이즈|신어|신고|신는|신발)"),
     1.0),
)


def parse_foot_length(text: str) -> float | None:
    """Foot length in mm: 26.5cm, 265mm, 脚长26.5, 발 길이 270, 270 신어요 (Korean sizes are mm)."""
    for pattern, factor in _FOOT_PATTERNS:
        for match in pattern.finditer(text):
            raw = match.group(match.lastindex or 1)
            value = _num(raw)
            if factor == 0.0:
                value = value * 10 if value < 40 else value
            else:
                value *= factor
            if _within(value, FOOT_MM):
                return value
    return None


# Korean shoe sizes are the foot length in mm: a bare 220-300 in steps of 5 about footwear ("240
#주세요", "265 있어요?") is one, unless a unit or count says otherwise (250위안, 240개).
_BARE_KOREAN_FOOT = re.compile(
    r"(?<![\d.])(2[2-9][05]|300)(?!\d|\.\d)"
    r"(?!\s*(?:원|위안|元|块|달러|%|퍼|프로|cm|kg|키로|일|개|명|벌|켤레|번|시|분|ml|g\b))")


# "사이즈 235로", "240 주세요", "265로 할게요", "285이요": a size of 220-300 in steps of 5 asked
# for, ordered or given (the answer to the agent's shoe-size question) is a shoe's foot length
# even with no shoe word: Korean clothes go by 90-110 or letters.
_KOREAN_SIZE_ASKED = re.compile(
    r"(?:사이즈|치수)(?:는|은|가|도)?\s*(?:2[2-9][05]|300)(?![\d.])|(?<![\d.])(?:2[2-9][05]|300)\s*"
    r"(?:mm|미리|밀리)?\s*(?:으로|로|이|가|은|는|도)?\s*(?:주세요|줘요|할게요|살게요|있어요|있나요|"
    r"있을까요|없어요|없나요|되나요|돼요|신어요|요|에요|예요|입니다|고요|[\s.!~]*$)")


def asks_korean_size(text: str) -> bool:
    """A Korean message asking for, ordering or giving a size of 220-300 ("240 주세요")."""
    return _KOREAN_SIZE_ASKED.search(text) is not None


# A number that is a size: a shoe or a jeans waist (35-50), a Korean top (85-110) or a foot in
# mm (220-300), with no unit that makes it a price, a weight or a count.
_SIZE_NUMBER = re.compile(r"(?<![\d.])(3[5-9]|4\d|50|8[5-9]|9\d|10\d|110|2[2-9]\d|300)(?![\d.])"
                          r"(?!\s*(?:元|块|kg|公斤|斤|cm|厘米|키로|킬로|원|%|일|天|个|件|개|명|lbs?))")


# A waist size as trousers are labelled (28-50), with no unit or word that makes it something
# else: a weight, a length, an age, a count, a price, a time.
_WAIST_SIZE = re.compile(
    r"(?<![\d.])(2[4-9]|[34]\d|50)(?![\d.])(?!\s*(?:元|块|kg|公斤|斤|cm|厘米|公分|寸|키로|킬로|원|%|"
    r"일|天|个|件|条|双|岁|살|개|명|분|시|点|号楼|lbs?|years?|yo\b|min|hours?|mins?|days?|inch|\"))")


def waist_sizes(text: str) -> tuple[str, ...]:
    """The numbers in a (normalised) message about trousers that read as waist sizes."""
    return tuple(dict.fromkeys(_WAIST_SIZE.findall(text)))


def size_numbers(text: str) -> list[str]:
    """The numbers in a (normalised) message that can only be sizes, as written."""
    return _SIZE_NUMBER.findall(text)


def parse_bare_korean_foot(text: str) -> float | None:
    """Foot length in mm from a bare Korean shoe size ("245 주세요"); the caller knows the
    message is Korean and about footwear."""
    match = _BARE_KOREAN_FOOT.search(text)
    return float(match.group(1)) if match else None


_EU_SIZE = (
    re.compile(r"(?<![\d.])(3[5-9]|4\d|50)(?:\.5)?\s*(?:码|号|的鞋|eu\b)"),
    re.compile(r"\beu\s*(3[5-9]|4\d|50)\b"),
    re.compile(r"(?:穿|平时|一般)\s*(3[5-9]|4\d|50)(?![\d.])"),
)
# US 10, us size 9.5, 11 US, 미국사이즈 10, 美码10; the size may run into a particle (us 9면),
# but "us 10 days" and "미국 10일" are shipping times.
_US_SIZE = re.compile(r"(?:(?<![a-z])(?:size\s*)?us(?:\s*(?:size|sz))?|미국\s*(?:사이즈|치수)|"
                      r"美国?\s*(?:鞋码|尺码|码))\s*(\d{1,2}(?:\.5)?)(?![\d.])"
                      r"(?!\s*(?:days?|weeks?|dollars?|bucks|%|[天日일周주]|달러|块|元))"
                      r"|(?<![\d.])(\d{1,2}(?:\.5)?)\s*us(?![a-z])")
# Without a size word, a number is a shoe size only when the message is about footwear.
_FOOTWEAR = re.compile(r"(?<![a-z])(?:shoes?|sneakers?|trainers?|boots?|footwear)(?![a-z])|"
                       r"鞋|靴|신발|운동화|러닝화|등산화|부츠|구두|신어 ?(?:보|봐|도|요)|"
                       # wearing on the feet: "신을 수 있어요?", "신는 거", "신기 편해요?"
                       r"신을 ?(?:수|거|때|만)|신는 ?(?:거|건|게|데|중)|신기 ?(?:편|좋|불편|힘들)")
# A foot measure or shape named, even without a number ("脚长多少穿多大", "발길이로 고르나요"):
# shoes are the matter.
_FOOT_MEASURE = re.compile(r"脚长|foot length|발길이|발 사이즈|"
                           # the shape of a foot ("脚背高", "wide feet", "발볼 넓어요")
                           r"脚背|脚面|脚掌|脚宽|宽脚|脚肥|(?:wide|flat|my) feet|발볼|발등")


def names_footwear(text: str) -> bool:
    """Does the message speak of footwear (a shoe word or a foot measure)? Then a size goes by
    the foot, not by height and weight."""
    lowered = text.lower()
    return _FOOTWEAR.search(lowered) is not None or _FOOT_MEASURE.search(lowered) is not None


_WORN_SIZE = re.compile(r"(?<![a-z])(?:wear|wearing|size|sz)\s+(?:is\s+|of\s+)?(?:an?\s+|size\s+)?"
                        r"(\d{1,2}(?:\.5)?)(?![\d.])")
# A bare 35-50 among footwear words ("boots in 47", "등산화 브라운 47", "换个43的"), unless a unit
# or count says it is something else (47 days, 45 yuan, 40%, 42 waist, 便宜40).
_BARE_EU = re.compile(
    r"(?<![\d.a-z$¥#'])(?<!便宜)(?<![少减砍让])(3[5-9]|4\d|50)(?:\.5)?(?![\d.])"
    r"(?!\s*(?:%|percent|퍼|프로|[天日일岁살세元块원个件개双켤분]|小时|分钟|시간|위안|달러|"
    r"days?|hours?|hrs?|mins?|years?|yrs?|yo\b|yuan|rmb|usd|dollars?|bucks|euros?|eur\b|"
    r"cm|mm|kg|斤|公斤|키로|lbs?|pounds?|waist|腰|허리|inch|in\b|\"|인치|pairs?|off\b|"
    r"discount|包邮|折|할인))")


def parse_shoe_size(text: str, us_to_eu: dict[str, str], *, footwear: bool = False
                    ) -> str | None:
    """An EU shoe size label: 42码, EU 43, 穿42的, boots in 47 (a bare 35-50 among footwear
    words); US sizes (US 10, 미국사이즈 10, "I wear a 10" about shoes) converted through the
    lexicon. ``footwear``: the conversation is about shoes, so "45有" needs no shoe word."""
    for pattern in _EU_SIZE:
        match = pattern.search(text)
        if match:
            return match.group(1)
    match = _US_SIZE.search(text)
    if match:
        return _us_to_eu(match.group(1) or match.group(2), us_to_eu)
    if not footwear and not _FOOTWEAR.search(text):
        return None
    for match in _WORN_SIZE.finditer(text):
        size = match.group(1)
        if 35 <= float(size) <= 50:
            return size.split(".")[0]  # the half dropped, as _EU_SIZE reads it
        found = _us_to_eu(size, us_to_eu)
        if found is not None:
            return found
    match = _BARE_EU.search(text)
    return match.group(1) if match else None


def _us_to_eu(us: str, us_to_eu: dict[str, str]) -> str | None:
    return us_to_eu.get(us.rstrip("0").rstrip(".") if "." in us else us)


# ---------------------------------------------------------------- clothing size labels

# "M 있나요", "라지로", "有XL吗", "in a medium": a letter size asked for. Korean men's sizes
# by chest (95 = M, 105 = XL) are read as the letters they stand for.
_LETTER_SIZE = re.compile(r"(?<![a-z0-9'’])(xxxl|xxl|[2-8]\s?xl|xl|xs|s|m|l)(?![a-z0-9])"
                          r"(?=\s*(?:사이즈|치수|码|号|size|$|\?|？|있|없|로|으로|는|도|요|吗|的|呢|有|没|还|"
                          # worn or counted: "저는 M 입어요", "L 하나 주세요", "XL 두 장"
                          r"입|하나|[한두세] ?(?:장|벌|개)))")
_WORD_SIZE = (("투엑스라지", "2XL"), ("쓰리엑스라지", "3XL"), ("엑스라지", "XL"), ("라지", "L"),
              ("미디움", "M"), ("미디엄", "M"), ("미듐", "M"), ("스몰", "S"), ("엠사이즈", "M"),
              ("에스사이즈", "S"), ("엘사이즈", "L"),
              # "엠인가요?", "엘이에요?": the letter spelt in Hangul before a copula
              ("엠인가", "M"), ("엠이에요", "M"), ("엠이요", "M"), ("엠으로", "M"),
              ("엘인가", "L"), ("엘이에요", "L"), ("엘이요", "L"))
# English size words only where they name a size ("in a medium", "size large", a bare "Large"
# answering which size), not a build ("a large guy").
_ENGLISH_SIZE = re.compile(r"(?:\bin (?:an? )?|\bsize |\ban? )"
                           r"(x-?large|extra large|medium|small|large)"
                           r"(?! (?:guy|man|men|person|people|build|frame|family|order|amount))\b")
_BARE_ENGLISH_SIZE = re.compile(r"^(x-?large|extra large|medium|small|large)[.!? ]*$")
_ENGLISH_LABEL = {"x-large": "XL", "xlarge": "XL", "extra large": "XL", "medium": "M",
                  "small": "S", "large": "L"}
# Korean women's sizes go by the same letters (44 XS … 88 XL); 44 to 66 are smaller than any of
# our men's letters.
_KOREAN_CHEST = {"85": "XS", "90": "S", "95": "M", "100": "L", "105": "XL", "110": "2XL",
                 "115": "3XL", "120": "4XL", "44": "XS", "55": "S", "66": "M", "77": "L",
                 "88": "XL"}
_KOREAN_CHEST_SIZE = re.compile(
    r"(?<![\d.])(85|90|95|100|105|110|115|120|44|55|66|77|88)\s*(?:사이즈|치수|으로|로|이요|이에요|"
    r"있|없|도 |는 |짜리|입어|입는|입고)"
    r"|(?:사이즈|치수|상의|윗옷|티|셔츠)(?:는|은|가|도)?\s*(85|90|95|100|105|110|115|120)(?![\d.])")


# The size said to fit ("치수는 딱 맞는데", "尺码刚好", "the size is fine"): no size question.
_SIZE_FITS = re.compile(r"(?:사이즈|치수)(?:는|가|도|은)?\s?(?:딱\s?|잘\s?|다\s?)?"
                        r"맞(?:기는|긴|는데|아요|네요)|딱 ?제 ?사이즈|"
                        r"(?:尺码|码数|大小)(?:刚好|正好|合适)|"
                        r"(?:size|fit) (?:is|was) (?:fine|ok|okay|perfect|right|good)")


def says_size_fits(text: str) -> bool:
    """The (normalised) message says the size fits: what follows is about something else."""
    return _SIZE_FITS.search(text) is not None


# A size spoken of ("사이즈", "尺码", "size"): the sizes the shop makes may answer it.
_SIZE_WORD = re.compile(r"사이즈|치수|尺码|码数|(?:什么|哪些|几种|几个)码|"
                        r"(?<![a-z])sizes?(?![a-z])")


def speaks_of_sizes(text: str) -> bool:
    """The (normalised) message speaks of sizes (a size word or a letter size), and does not
    say the size fits ("치수는 딱 맞는데…" is about something else)."""
    return not says_size_fits(text) and (
        _SIZE_WORD.search(text) is not None or parse_clothing_size(text) is not None)


def parse_clothing_size(text: str) -> tuple[str, str] | None:
    """The letter size a (normalised) message asks for, and how it was said: ("M", "M"),
    ("3XL", "3XL"), ("S", "90") for a Korean chest size (read only beside a Korean word);
    None when none is named."""
    match = _LETTER_SIZE.search(text)
    if match:
        label = re.sub(r"\s", "", match.group(1)).upper()
        label = {"XXL": "2XL", "XXXL": "3XL"}.get(label, label)
        return label, label
    joined = text.replace(" ", "")  # "투 엑스라지", "엠 사이즈"
    for word, label in _WORD_SIZE:
        if word in joined:
            return label, label
    english = _ENGLISH_SIZE.search(text) or _BARE_ENGLISH_SIZE.search(text.strip())
    if english:
        label = _ENGLISH_LABEL[english.group(1)]
        return label, label
    chest = _KOREAN_CHEST_SIZE.search(text)
    if chest:
        said = chest.group(1) or chest.group(2)
        return _KOREAN_CHEST[said], said
    return None


# ---------------------------------------------------------------- waist

_WAIST_CHI = re.compile(r"(\d)\s*尺\s*(\d)?")
# "허리 사이즈는 36", "허리둘레가 40", "waist size is 38": a label word or two before the number
_WAIST_LABELLED = re.compile(r"(腰围|腰|waist|허리)\s*"
                             r"(?:(?:is|size|尺寸|[:：是]|사이즈|둘레|가|는|은|이)\s*){0,3}"
                             r"(?:about|大概|约)?\s*"
                             r"(\d{2,3}(?:\.\d)?)\s*(cm|公分|厘米|inch|inches|in\b|\"|인치)?")
# "36 waist 34 leg", "86cm waist": English puts the number first; without a unit it is inches,
# so only 50 or less is read (a bare "80 waist" may be a weight running into a waist label).
_WAIST_BEFORE = re.compile(r"(?<![\d.'])(\d{2})\s*(cm|inch|inches|in|\")?\s*waist(?![a-z])")
_WAIST_INCH = re.compile(r"(?<![\d.])(\d{2})\s*(?:inch|in|\"|인치)\s*(?:waist)?|\bw(\d{2})\b")


def parse_waist(text: str) -> float | None:
    """Waist in cm: 腰围2尺8 (市尺), waist 32 (inches when 50 or less), 36 waist, 허리 86cm,
    W34."""
    match = _WAIST_CHI.search(text)
    if match:
        value = units.chi_cun_cm(int(match.group(1)), int(match.group(2) or 0))
        return round(value, 1) if _within(value, WAIST_CM) else None
    for match in _WAIST_BEFORE.finditer(text):
        value, unit = _num(match.group(1)), match.group(2) or ""
        if unit != "cm" and value > 50:
            continue
        value = value if unit == "cm" else units.to_cm(value, "in")
        if _within(value, WAIST_CM):
            return round(value, 1)
    match = _WAIST_LABELLED.search(text)
    if match:
        value, unit = _num(match.group(2)), match.group(3) or ""
        if unit.startswith(("in", '"', "인치")) or value <= 50:
            value = units.to_cm(value, "in")
        return round(value, 1) if _within(value, WAIST_CM) else None
    match = _WAIST_INCH.search(text)
    if match and re.search(r"waist|腰|허리|\bw\d", text):
        value = units.to_cm(_num(match.group(1) or match.group(2)), "in")
        return round(value, 1) if _within(value, WAIST_CM) else None
    return None


# ---------------------------------------------------------------- bargaining

_MAX_AMOUNT = 10_000  # more than this off is not a haggle we can read


def parse_amount_off(text: str, price: float | None, currency: str) -> float | None:
    """What the customer asks off, in the store's currency: 便宜30, 少20块, knock 30 off,
    20위안 깎아, 打9折 (needs the price), 150卖吗 (target price, needs the price).

    The reading is ``replydraft.text.money``'s, the same the customer risk scan uses. Amounts in
    won are left alone for a store that sells in another currency: we do not guess exchange
    rates, the agent sees the customer's words.
    """
    return amount_asked(read_money(text), price, currency)


def amount_asked(ask: MoneyAsk | None, price: float | None, currency: str) -> float | None:
    """``parse_amount_off`` for an ask already read (the conversation reads it once for both the
    amount and the percentage)."""
    if ask is None or (ask.won and currency != "KRW"):
        return None
    if ask.kind == "amount" and not 0 < ask.value < _MAX_AMOUNT:
        return None
    return amount_off(ask, price)
