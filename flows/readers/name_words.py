"""The words around a person's name, as data: what frames it ("Tên tôi là", "Mẹ cháu tên"),
the respect words and titles before it ("bà", "Cô giáo"), the surnames that tell a respect
word from a surname (Chu, Châu, Cù, Ông), and the words no name contains. Folded unless
the name says "marked". flows/readers/names.py applies them.
"""

from . import vocabulary as v


# Words of a sentence that no Vietnamese name contains: a reply at the name
# question holding one is a remark ("không muốn cho"), not a name.
# Whole replies that are not names though they have two words: a repeated yes,
# thanks, a greeting.
NOT_NAMES = v.YES | v.NO | v.UNSURE | frozenset({
    "cam on", "xin chao", "chao ban", "chao em", "bo qua", "duoc roi", "toi dong y",
    "co chu", "alo alo", "ok roi", "vang a", "da vang a", "xin loi", "tam biet", "bi mat",
    "thuong xuyen", "thinh thoang", "hiem khi", "thanh thao", "lam duoc", "con lung tung",
    "chua biet"})
# The same, as typed with marks (folded, "Hội" and "Nhâm" are names).
NOT_IN_NAMES_MARKED = frozenset({"hỏi", "gì", "đâu", "nào", "không", "chưa", "rồi", "hoặc",
                                 "nhầm", "hay", "là", "và", "ở", "xã", "phường", "huyện", "tỉnh",
                                 "thôn", "xóm", "ấp", "tổ", "chào", "cảm", "nói", "ơn", "quận"})
# The surnames most people have, in the forms that start a second name in one reply
# ("Nguyễn Văn An Lê Thị Hoa"): one of these followed by Văn or Thị.
COMMON_SURNAMES = frozenset({"nguyen", "tran", "le", "pham", "hoang", "huynh", "phan", "vu",
                             "vo", "dang", "bui", "do", "ho", "ngo", "duong", "ly"})
# Titles said before a name, folded: "Cô giáo Lê Thị Hoa", "Bác sĩ Nguyễn An", "CCB …".
TITLES = frozenset({"co giao", "thay giao", "thay", "bac si", "y ta", "y si", "ky su", "dai ta",
                    "thuong ta", "trung ta", "thieu ta", "dai uy", "ccb", "cuu chien binh",
                    "hoi vien", "dong chi", "me", "bo", "cha", "ma", "ong ba", "giao vien",
                    "nghe nhan", "cu ong", "cu ba"})
NOT_IN_NAMES = frozenset({"khong", "ko", "muon", "gi", "biet", "nao", "vay", "chua", "lam gi",
                          "de", "tai sao", "sao", "roi", "ai", "rua", "zalo", "tren"})
# Given names are two to four words, five for some minorities' names.
NAME_MAX_WORDS = 7            # "Công Tằng Tôn Nữ Thị Bích Ngọc"
# Middle names: a name that ends with one, or starts with one, is not full.
MIDDLE_NAMES = frozenset({"van", "thi"})

# Said around a name. Frames are folded ("Tên tôi là", "Họ và tên:"); particles
# keep their marks, because folded "da" or "vang" can be a name (Đa, Vàng).
_SELF = ("toi", "em", "chau", "con", "bac", "ong", "minh", "tui", "ba", "co", "chu", "anh",
         "chi", "cu")
NAME_LEADING = (
    "ho va ten cua toi la", "ho va ten la", "ho va ten", "ho ten cua toi la", "ho ten la",
    "ho ten", "ten cua toi la", "ten toi la", "ten toi", "ten la", "ten that la", "ten",
    *(f"ten {p} la" for p in _SELF), *(f"ten cua {p} la" for p in _SELF),
    *(f"ten {p}" for p in _SELF),
    *(f"{p} ten la" for p in _SELF), *(f"{p} ten" for p in _SELF), *(f"{p} la" for p in _SELF),
)
NAME_PARTICLES = ("dạ", "vâng", "thưa", "ạ", "nhé", "à", "nha", "đây", "nhá", "ah", "a", "nhen",
                  "hen", "nghen", "rứa", "đó", "đấy", "ha")
# After a name only: the person spoken to ("Võ Thị Năm nha con").
NAME_VOCATIVES = ("con", "cháu", "em", "bác", "chú", "cô")
# Someone answering for a relative: "Mẹ cháu tên …", "Ông nội: …". Folded.
KIN = frozenset({"bo", "me", "ong", "ba", "noi", "ngoai", "cha", "chau", "con", "em", "toi",
                 "minh", "cua", "bac", "co", "chu", "di", "cau", "mo", "thim", "anh", "chi",
                 "tui", "ong", "ba", "ma", "tia", "on", "me", "ho", "va", "ten", "that", "nguoi",
                 "nha", "giup", "nhap", "ho", "dang", "ky", "cho", "gia", "dinh", "chong", "vo"})

# Kinship and respect words said before a name ("bà Lê Thị Hoa"). Typed with
# marks they are never part of the name, except "Ông", which is also a surname;
# typed without marks ("ba Le Thi Hoa") they are dropped only before a surname,
# since Chu, Châu and Cù are surnames too.
HONORIFICS = frozenset({"bà", "ông", "bác", "cụ", "cô", "chú", "anh", "chị", "em", "cháu",
                        "bé", "dì", "thím", "mợ", "cậu", "mệ", "ôn", "o"})
HONORIFICS_ALSO_SURNAMES = frozenset({"ông"})
SURNAMES = frozenset({
    "nguyen", "tran", "le", "pham", "hoang", "huynh", "phan", "vu", "vo", "dang", "bui",
    "do", "ho", "ngo", "duong", "ly", "dao", "dinh", "doan", "trinh", "lam", "mai", "truong",
    "ha", "luong", "luu", "cao", "chu", "trieu", "ta", "quach", "tong", "thai", "la",
    "nghiem", "kieu", "kim", "khuc", "phung", "lai", "tang", "vuong", "lo", "mac",
    "hua", "giang", "cu", "chau", "tieu", "ton", "diep", "au", "khong", "thach", "ong",
    "an", "banh", "bach", "cam", "hau", "hong", "lang", "lieu", "lu", "lac", "nong",
    "quan", "ung", "vi", "yen", "tu", "to", "tat", "man", "ma", "khuat", "vang", "sung",
    "hoa", "dau", "doan", "lenh", "nham",
})
