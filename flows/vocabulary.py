"""The words people wrap around their answers, all in folded form (see normalize.fold).

Kept apart from the readers so that adding "ừa" or "hok" is a one-line change
with a row in tests/flows/replies.tsv, not an edit to parsing logic.
"""

# Said before the answer: particles, the speaker, "I choose", "the answer is".
LEADING = (
    "cau tra loi cua toi la", "cau tra loi la", "tra loi la", "tra loi",
    "dap an cua toi la", "dap an la", "dap an", "phuong an", "lua chon",
    "xin chon", "toi chon", "em chon", "chau chon", "con chon", "bac chon",
    "minh chon", "tui chon", "ong chon", "ba chon", "chon", "y kien",
    "sinh nam", "nam sinh", "muon",
    "da vang", "da", "vang", "thua", "toi", "em", "chau", "con", "minh", "tui",
    "bac", "ong", "anh", "chi", "so", "muc", "y", "la", "oi", "a",
)

# Said after it: "ạ", "nhé", "nha", "ơi", "rồi", "thôi", "đấy", "nữa".
# The first phrase that ends the reply is taken: "em ơi" before "ơi".
TRAILING = (
    "nhe a", "nha a", "a a", "a", "ak", "ah", "ha", "nhe", "nha", "nhen",
    "nghe", "ban oi", "em oi", "chau oi", "oi", "day", "vay", "roi", "thoi", "nhi", "nua",
    "nhe em", "nhe chau", "nhe ban", "cam on", "cam on a", "thank", "thanks",
)

YES = frozenset({
    "co", "c", "co co", "u", "uh", "uhm", "um", "ung", "ua", "vang", "da", "da vang",
    "vang a", "ok", "oke", "okie", "okay", "okela", "dung", "dung roi", "dung vay",
    "dong y", "duoc", "yes", "y", "phai", "chinh xac", "co chu", "tat nhien", "chac chan",
    "co dong y", "dong y het", "ok dong y", "co muon", "muon", "co the", "dc",
})

NO = frozenset({
    "khong", "ko", "k", "kg", "kh", "khg", "hong", "hok", "hem", "ko co", "k co",
    "khong co", "kg co", "chua", "chua co", "chua a", "no", "khong dong y",
    "ko dong y", "k dong y", "khong phai", "ko phai", "khong muon", "ko muon",
    "khong duoc", "thoi khong", "khong a", "khong can", "n",
    "khong bao gio", "ko bao gio", "k bao gio", "chua bao gio",
})

# Replies that look like a no but are "I don't know": they must be asked again.
UNSURE = frozenset({
    "khong biet", "ko biet", "k biet", "kg biet", "chua biet", "khong ro", "ko ro",
    "khong hieu", "ko hieu", "chua hieu", "khong nho", "ko nho", "khong chac",
    "ko chac", "chua chac", "co le", "chac vay", "tuy", "sao cung duoc", "hoi kho",
    "chua ro", "ko bt", "k bt", "hong biet", "hok biet",
})

DIGITS = {
    "khong": 0, "mot": 1, "hai": 2, "ba": 3, "bon": 4, "nam": 5,
    "sau": 6, "bay": 7, "tam": 8, "chin": 9,
}
# Only after "mươi": mốt (1), tư (4), lăm/nhăm (5).
UNITS_AFTER_TENS = {**DIGITS, "tu": 4, "lam": 5, "nham": 5}
TEN = "muoi"
HUNDRED = "tram"
THOUSAND = ("nghin", "ngan")
ZERO_TENS = ("linh", "le")

# Said before a year only ("năm 1955"): elsewhere "năm" is five.
YEAR = "nam"

LETTERS = "abcde"

# Words of a sentence that no Vietnamese name contains: a reply at the name
# question holding one is a remark ("không muốn cho"), not a name.
# Whole replies that are not names though they have two words: a repeated yes,
# thanks, a greeting.
NOT_NAMES = YES | NO | UNSURE | frozenset({
    "cam on", "xin chao", "chao ban", "chao em", "bo qua", "duoc roi", "toi dong y",
    "co chu", "alo alo", "ok roi", "vang a", "da vang a", "xin loi", "tam biet"})
NOT_IN_NAMES = frozenset({"khong", "ko", "muon", "gi", "biet", "nao", "vay", "chua", "lam gi",
                          "de", "tai sao", "sao"})

# Said around a name. Frames are folded ("Tên tôi là", "Họ và tên:"); particles
# keep their marks, because folded "da" or "vang" can be a name (Đa, Vàng).
_SELF = ("toi", "em", "chau", "con", "bac", "ong", "minh", "tui")
NAME_LEADING = (
    "ho va ten cua toi la", "ho va ten la", "ho va ten", "ho ten cua toi la", "ho ten la",
    "ho ten", "ten cua toi la", "ten toi la", "ten toi", "ten la", "ten",
    *(f"{p} ten la" for p in _SELF), *(f"{p} ten" for p in _SELF), *(f"{p} la" for p in _SELF),
)
NAME_PARTICLES = ("dạ", "vâng", "thưa", "ạ", "nhé", "à")

# Texting abbreviations, spelled out before a reply is compared with option labels
# and aliases, so "ko biet" finds the alias "khong biet".
ABBREVIATIONS = {"ko": "khong", "k": "khong", "kg": "khong", "kh": "khong", "khg": "khong",
                 "hong": "khong", "hok": "khong", "bt": "biet", "dc": "duoc", "j": "gi"}
