"""Vietnamese phone numbers to E.164, including the pre-2018 eleven-digit mobiles.

libphonenumber parses "01689123456" but keeps the old prefix and calls it
invalid; elderly people still type their old numbers, so convert first.
"""

import re

import phonenumbers

# 2018 conversion: the prefix changes, the last seven digits stay.
OLD_MOBILE_PREFIXES = {
    "0162": "032", "0163": "033", "0164": "034", "0165": "035", "0166": "036",
    "0167": "037", "0168": "038", "0169": "039",
    "0120": "070", "0121": "079", "0122": "077", "0126": "076", "0128": "078",
    "0123": "083", "0124": "084", "0125": "085", "0127": "081", "0129": "082",
    "0186": "056", "0188": "058", "0199": "059",
}
_SEPARATORS = re.compile(r"[\s.\-()/]")


def to_national(text: str) -> str:
    """Digits only, in 0… form, with an old eleven-digit mobile prefix converted."""
    digits = _SEPARATORS.sub("", text or "")
    for country in ("+84", "0084", "84"):
        if digits.startswith(country) and len(digits) >= len(country) + 9:
            digits = "0" + digits[len(country):]
            break
    if len(digits) == 11 and digits[:4] in OLD_MOBILE_PREFIXES:
        digits = OLD_MOBILE_PREFIXES[digits[:4]] + digits[4:]
    return digits


def to_e164(text: str) -> str | None:
    """"0168 912 3456" → "+84389123456"; None when it is not a usable number."""
    national = to_national(text)
    if not national.isdigit():
        return None
    try:
        number = phonenumbers.parse(national, "VN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
