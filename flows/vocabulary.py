"""The words people wrap around their answers, all in folded form (see normalize.fold).

Kept apart from the readers so that adding "ừa" or "hok" is a one-line change
with a row in tests/flows/replies.tsv, not an edit to parsing logic.
"""

# Said before the answer: particles, the speaker, "I choose", "the answer is".
LEADING = (
    "cau tra loi cua toi la", "cau tra loi la", "tra loi la", "tra loi",
    "dap an cua toi la", "dap an la", "dap an", "phuong an", "lua chon",
    "xin chon", "toi chon", "em chon", "chau chon", "con chon", "bac chon",
    "minh chon", "tui chon", "chon", "y kien",
    "da vang", "da", "vang", "thua", "toi", "em", "chau", "con", "minh", "tui",
    "bac", "anh", "chi", "so", "muc", "la", "oi", "a",
)

# Said after it: "ạ", "nhé", "nha", "ơi", "rồi", "thôi", "đấy".
TRAILING = (
    "nhe a", "nha a", "a a", "a", "ak", "ah", "ha", "nhe", "nha", "nhen",
    "nghe", "oi", "day", "vay", "roi", "thoi", "nhi", "ban oi", "em oi", "chau oi",
    "nhe em", "nhe chau", "nhe ban", "cam on", "cam on a", "thank", "thanks",
)

YES = frozenset({
    "co", "c", "co co", "u", "uh", "uhm", "um", "ung", "ua", "vang", "da", "da vang",
    "vang a", "ok", "oke", "okie", "okay", "okela", "dung", "dung roi", "dung vay",
    "dong y", "duoc", "yes", "y", "phai", "chinh xac", "co chu", "tat nhien", "chac chan",
    "co dong y", "dong y het", "ok dong y", "co muon", "muon", "co the",
})

NO = frozenset({
    "khong", "ko", "k", "kg", "kh", "khg", "hong", "hok", "hem", "ko co", "k co",
    "khong co", "kg co", "chua", "chua co", "chua a", "no", "khong dong y",
    "ko dong y", "k dong y", "khong phai", "ko phai", "khong muon", "ko muon",
    "khong duoc", "thoi khong", "khong a", "khong can",
})

# Replies that look like a no but are "I don't know": they must be asked again.
UNSURE = frozenset({
    "khong biet", "ko biet", "k biet", "kg biet", "chua biet", "khong ro", "ko ro",
    "khong hieu", "ko hieu", "chua hieu", "khong nho", "ko nho", "khong chac",
    "ko chac", "chua chac", "co le", "chac vay", "tuy", "sao cung duoc", "hoi kho",
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

LETTERS = "abcde"
