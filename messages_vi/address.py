"""How the bot addresses a citizen, by age and group: one rule, in one place.

Vietnamese has no neutral "you": older citizens are "bác", adults "anh/chị",
pupils "em" (or "bạn" once grown up). Until the birth year is known the bot
says "ông/bà", which is respectful to anyone.
"""

ELDER_AGE = 60
ADULT_AGE = 18
UNKNOWN = "ông/bà"


def address_form(birth_year: int | None, pupil: bool, year: int) -> str:
    if not birth_year:
        return "em" if pupil else UNKNOWN
    age = year - birth_year
    if pupil:
        return "em" if age < ADULT_AGE else "bạn"
    if age >= ELDER_AGE:
        return "bác"
    if age >= ADULT_AGE:
        return "anh/chị"
    return "em"


def capitalised(form: str) -> str:
    return form[:1].upper() + form[1:]
