"""The words citizens answer with and wrap their answers in, as data.

Everything is in folded form (see normalize.fold: no diacritics, lower case),
except `MARKED`, which says what a word means when it was typed *with* its
marks and the mark tells two words apart ("bà" is a pronoun, "ba" may be 3).
Adding "ừa" or "hok" is a one-line change here with a row in
tests/flows/replies.tsv, not an edit to parsing logic. docs/conversation.md
states the rule the readers apply to these lists.
"""

# -- yes and no -----------------------------------------------------------------------------

YES = frozenset({
    "co", "c", "cs", "co co", "ung", "uki", "uka", "ok", "oke", "okie", "oki", "okay",
    "okela", "okla", "oce", "dung", "dung roi", "dung vay", "dong y", "duoc", "yes", "y",
    "phai", "chinh xac", "co chu", "tat nhien", "chac chan", "co muon", "muon", "co the",
    "nhat tri", "thong nhat", "ung ho", "khong phan doi", "ok luon", "chuan", "chuan roi",
    "dong y roi", "co dong y", "xin dong y", "hoan toan dong y", "cung duoc",
    "chap nhan", "cho phep", "sao lai khong", "khong van de", "khong van de gi",
    "khong thanh van de", "khong ngai", "cho luu", "luu di", "cu luu", "cu ghi", "ghi di",
    "cu lam", "lam di", "xoa di", "cu xoa", "dang ky di", "ok ban", "oke nha",
    "co chu sao", "dongy", "dog y", "don y", "dong i", "coa", "co cho", "gat dau",
    "khong sao", "khong co van de gi", "dk"
})

# Acknowledgements: a yes when nothing else is said ("dạ", "ừ"), politeness before
# another answer ("dạ không" is a no, "ừ thì đồng ý" a yes).
SOFT_YES = frozenset({"da", "vang", "da vang", "vang a", "u", "uh", "uk", "um", "uhm", "ua",
                      "uhuh", "a ha", "uh huh", "d", "u thi"})
# Politeness that turns a following "thôi" into a polite no ("dạ thôi"); "ừ thôi" is not.
POLITE = frozenset({"da", "vang", "da vang", "thua", "vang a", "u thi"})

# Said alone these are a no; before a yes word they negate it ("không đồng ý",
# "chưa đồng ý", "hông có", "ko dc").
NO = frozenset({
    "khong", "ko", "k", "kg", "kh", "khg", "khum", "hong", "hok", "hem", "hum", "hong co",
    "chua", "no", "n", "khoi", "thoi khoi", "khoi di", "khoi can", "khong can", "chang",
    "khong bao gio", "chua bao gio", "khong muon", "tu choi", "lam gi co", "dau co",
    "co dau", "co bao gio dau", "khong dau", "khong sao duoc", "mo co", "lac dau",
    "khong chiu", "khong thich", "khoi nghen",
})

# "thôi" (never mind): a no when nothing else is said; after a yes only a particle.
SOFT_NO = frozenset({"thoi", "thoi a", "ma thoi"})

# Negators that are not an answer by themselves: "đâu có" is a no, "đâu" alone is "where?".
NEGATORS = frozenset({"dau", "sao duoc"})

# Taking back what was just said: "2, à nhầm, 3". The reply names two answers.
CORRECTIONS = frozenset({"nham", "nham roi", "nham nhe", "a nham", "xin loi nham",
                         "sua lai", "doi lai", "a khong"})

# "I don't know", "maybe", "let me think": never a no, never a yes. Asked again.
UNSURE = frozenset({
    "khong biet", "chua biet", "khong ro", "chua ro", "khong hieu", "chua hieu",
    "khong nho", "chua nho", "khong chac", "chua chac", "co le", "chac vay", "chac the",
    "chac la", "hinh nhu", "tuy", "tuy ban", "tuy em", "tuy chau", "sao cung duoc",
    "the nao cung duoc", "gi cung duoc", "hoi kho", "kho noi", "kho tra loi", "de nghi",
    "de toi nghi", "de em nghi", "de chau nghi", "de bac nghi", "de xem", "de xem da",
    "de tinh", "de sau", "chua nghi", "phan van", "luong lu", "khoan da", "chiu",
    "khong biet nua", "lam sao biet", "co hay khong", "chac", "chac la", "co the",
    "cha biet", "cha hieu", "cha nho", "binh thuong", "hmm", "hm", "tuy luc",
    "hinh nhu la", "chac la vay",
    "tuy hom", "tuy ngay",
})

# Said after an answer, these take its certainty back: "2 thì phải" (2, I think).
HEDGES_AFTER = frozenset({"thi phai", "chac vay", "hinh nhu vay", "chac the", "thi phai a"})

# Replies that ask something back or talk about the question: not an answer.
QUESTIONS = frozenset({
    "la sao", "the nao", "nghia la gi", "la gi", "gi vay", "gi the", "sao", "tai sao",
    "hoi lai", "noi lai", "nhac lai", "hoi gi", "cai gi", "cau nay", "cau hoi",
    "khong hieu cau hoi", "de lam gi", "lam gi", "o dau", "bao nhieu", "tinh khong",
    "co tinh khong", "duoc khong", "co duoc khong", "the a", "vay a", "rang", "lam chi",
    "ma khong",     # "có gì đâu mà không đồng ý": a rhetorical question, a double negation
    "dung khong", "phai khong", "dung chua", "phai chua", "co phai khong",
    "khong co y kien", "khong y kien", "y kien",
})

# -- what carries no answer -------------------------------------------------------------------

# Politeness, acknowledgement and final particles; said before or after an answer.
PARTICLES = frozenset({
    "a", "a a", "ak", "ah", "ha", "ho", "nhe", "nha", "nhen", "nghe", "hen", "heng", "oi",
    "day", "do", "the", "thi", "roi", "thoi", "luon", "nua", "nhi", "vay", "ne", "di", "ma",
    "nao", "thua", "da", "cam on", "xin cam on", "cam on nhieu", "cam on ban", "cam on em",
    "cam on chau", "cam on a", "thank", "thanks", "thank you", "tks", "ban oi", "em oi",
    "chau oi", "con oi", "a oi", "hi", "hihi", "hehe", "haha", "nhe ban", "nhe em",
    "nhe chau", "nha ban", "nha em", "het", "tat ca", "ca", "voi", "cai da", "xong",
    "khong co gi", "khong co chi", "the nhe", "vay nhe", "o", "e", "cua",
    "nghen", "dzay", "zay", "rua", "ri", "chu rang", "cho rang", "chu may", "mo",
    "nha con", "do con", "nhe con", "hen", "ha",
    "chu sao", "chu sao khong", "chu", "day a", "do a", "ne", "nhe nhe", "nha nha",
    "va", "hoac", "hoac la", "hay la", "voi lai", "cung nhu",
    "la", "con", "nhe a", "nha a", "cho", "ma thoi", "thoi a",
})

# Who is speaking or spoken to: "bác chọn 3", "cháu lấy số 2", "mình chấm ý 2".
PRONOUNS = frozenset({
    "toi", "tui", "minh", "em", "chau", "con", "bac", "ong", "ba", "co", "chu", "anh",
    "chi", "cu", "ban", "ta", "tao", "chung toi", "nha toi", "gia dinh toi", "bo me",
    "vo chong toi", "bac gai", "bac trai", "ong noi", "ba noi",
    "ong ngoai", "ba ngoai", "bo chau", "me chau", "bo con", "me con", "bo em", "me em",
})

# Someone else: "con cháu dùng giỏi lắm" is about the grandchildren, not the citizen.
OTHERS = frozenset({"con chau", "nguoi nha", "con toi", "vo toi", "ong ay", "ba ay", "anh ay", "chi ay",
                    "co ay", "chong toi", "tui nho", "bon tre"})

# "một tí", "một mình", "một vài": "một" that is no number, and other small amounts.
AMOUNTS = frozenset({"mot ti", "mot chut", "mot it", "mot vai", "mot minh", "mot so",
                     "mot hai", "vai lan", "mot vai lan", "mot chut xiu", "ti xiu", "chut xiu"})

# Choosing verbs and the nouns for an option: "chọn", "lấy", "đánh dấu"; "số", "ý", "đáp án".
CHOOSING = frozenset({
    "chon", "lay", "xin", "cham", "tich", "danh dau", "khoanh", "khoanh tron", "bam", "go",
    "nhan", "tra loi", "tra loi la", "xin tra loi", "xin chon", "muon chon", "se chon",
    "chon la", "dap an", "dap an la", "phuong an", "lua chon", "y kien la", "muc", "so",
    "cai", "y", "cau tra loi", "cau tra loi la", "cau tra loi cua toi la",
    "dap an cua toi la", "con so", "la so", "chon so",
})

# Everyday verbs of the questions ("xem", "coi", "đọc", "nghe"…): said with an option they
# add nothing ("không đọc", "nghe đài hằng ngày"). The engine adds each question's own words.
VERBS = frozenset({"xem", "coi", "doc", "nghe", "hoc", "tham gia", "doc bao", "nghe dai",
                   "xem tivi", "xem ti vi", "xem thoi su", "coi thoi su", "dung", "su dung", "xai",
                   "lam"})

# Make an option stronger or softer without changing it: "thường xuyên lắm", "hiếm lắm".
INTENSIFIERS = frozenset({
    "lam", "rat", "qua", "cuc", "cuc ky", "kha", "hoi", "nhieu", "that", "that su",
    "thuc su", "vo cung", "cung", "van", "chu yeu", "thuong thi", "noi chung",
    "nhin chung", "dai khai",
})

# After these a number word is a number ("bác chọn ba"), before them a pronoun ("bà chọn 3").
NUMBER_CUES = frozenset({
    "so", "thu", "cai", "y", "muc", "chon", "lay", "cham", "tich", "danh dau", "khoanh",
    "dap an", "phuong an", "lua chon", "la", "bam", "go", "nhan", "xin", "cho", "la so",
    "chon so", "con so", "khoanh tron", "tra loi", "tra loi la", "dap an la",
})

# Words that separate two thoughts: what comes after is read on its own.
BREAKS = frozenset({"nhung", "ma con", "con nhu", "ma"})

# After a number these make it a count, not an option: "2 lần", "7h", "1 tuần".
COUNT_WORDS = frozenset({"lan", "buoi", "ngay", "tuan", "thang", "nam", "gio", "tieng",
                         "phut", "tuoi", "nguoi", "cuon", "quyen", "bai", "ly", "cai", "chuc",
                         "phan tram", "trang", "kenh", "km", "nghin", "trieu", "dong", "toi",
                         "sang", "trua", "chieu", "dem", "hom", "bua", "to", "tap", "luot",
                         "so", "ban", "chuong", "ky"})
# Before a number these name a thing, not an option: "kênh 3", "VTV 1", "đài 1", "tổ 3".
NAMED_BY_NUMBER = frozenset({"kenh", "vtv", "htv", "vtc", "dai", "bao", "to", "tap", "lop",
                             "phong", "tang", "thon", "xom", "doi", "khu", "ap", "nha", "duong",
                             "ngo", "hem", "cau"})

# Words of the question itself, said back with a yes or a no: "đồng ý tham gia",
# "không muốn lưu". They are allowed only once a yes or no has been said.
ECHO = frozenset({
    "tham gia", "luu", "luu lai", "thong tin", "dang ky", "danh gia", "tu danh gia",
    "xoa", "xoa di", "xoa het", "lam lai", "lam", "tiep tuc", "tiep", "ghi", "ghi lai",
    "cho luu", "cung cap", "giu", "giu lai", "du lieu", "ho so", "dieu khoan",
})

# -- numbers ----------------------------------------------------------------------------------

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

# Number words that are also everyday words (bà, năm = year, sau = after, bay = fly,
# tạm, từ/tự): read as a number only alone or after a cue ("chọn ba", "số tư").
SHY_NUMBERS = frozenset({"mot", "ba", "bon", "nam", "sau", "bay", "tam", "chin", "tu"})
# Standing alone or after a cue, "tư" is four ("số tư", "thứ tư").
COLLOQUIAL_NUMBERS = {"tu": 4}

# Ordinals: "thứ nhất", "thứ nhì", "thứ tư" (after "thứ"); "đầu tiên", "cuối cùng".
ORDINAL = "thu"
ORDINAL_WORDS = {"nhat": 1, "nhi": 2, "tu": 4}
FIRST = frozenset({"dau tien", "dau"})          # "đầu" only after a cue: "cái đầu"
LAST = frozenset({"cuoi cung", "cuoi", "sau cung", "chot"})

# Said with a year and no help reading it: the lunar year's name, the calendar.
YEAR_EXTRAS = frozenset({"tuoi", "am", "duong", "lich", "am lich", "duong lich", "giap", "at",
                         "binh", "dinh", "mau", "ky", "canh", "tan", "nham", "quy", "ty", "suu",
                         "dan", "mao", "meo", "thin", "ngo", "mui", "than", "dau", "tuat",
                         "hoi"})
YEAR_WORDS = frozenset({"nam", "sinh nam", "nam sinh", "sn", "ns", "s n", "sinh", "sinh vao nam",
                        "toi sinh nam", "sinh ra nam", "nam sinh la"})

LETTERS = "abcde"

# -- what a marked word means ------------------------------------------------------------------

# Typed with its marks, a word may mean something its folded form does not:
# kind, and the value for numbers. Unmarked, the folded lists above apply.
# Kinds: "pronoun", "no", "neg", "break", "question", "first", "filler", "defer" (an
# answer put off: "hỏi con đã"), "other" (someone else), "unknown" (an everyday word, not
# an answer), or a number.
MARKED = {
    "bà": "pronoun", "cô": "pronoun", "bọn": "pronoun",
    "đừng": "no", "chả": "no", "chẳng": "no", "hông": "no", "hổng": "no", "vắng": "unknown",
    "đụng": "unknown", "phái": "unknown", "muộn": "unknown", "chùa": "unknown", "dùng": "filler",
    "mô": "neg",
    "bố": "pronoun", "mẹ": "pronoun", "bảo": "pronoun", "nội": "pronoun", "ngoại": "pronoun",
    "bả": "pronoun", "ổng": "pronoun", "ảnh": "pronoun",
    # "hỏi con đã": let me ask first; "dừng": stop; "ứ": no (colloquial); "chỉ": only
    "đã": "defer", "dừng": "no", "đùng": "unknown", "đưng": "unknown", "dưng": "unknown",
    "ứ": "no", "ư": "question", "chỉ": "unknown", "nửa": "unknown", "vợ": "other",
    "chồng": "other",
    "à": "break", "hả": "question", "hở": "question", "đâu": "neg", "đầu": "first",
    "từ": "unknown", "tự": "unknown", "tú": "unknown", "bá": "unknown", "cố": "unknown",
    "tạm": "unknown", "mốt": "unknown", "nằm": "unknown",
    "dũng": "unknown", "cỏ": "unknown", "cờ": "unknown", "cọ": "unknown", "vàng": "unknown",
    "đa": "unknown", "lá": "unknown", "hồng": "unknown", "hỏng": "unknown",
    "một": 1, "bốn": 4, "năm": 5, "sáu": 6, "bảy": 7, "bẩy": 7, "tám": 8, "chín": 9, "tư": 4,
}

# -- spelling ----------------------------------------------------------------------------------

# Texting abbreviations, spelled out before a reply is compared with option labels
# and aliases, so "ko biet" finds the alias "khong biet" and "chẳng bao giờ" the
# alias "khong bao gio".
ABBREVIATIONS = {"ko": "khong", "k": "khong", "kg": "khong", "kh": "khong", "khg": "khong",
                 "khum": "khong", "hong": "khong", "hok": "khong", "hem": "khong",
                 "hum": "khong", "chang": "khong", "bt": "biet", "dc": "duoc", "j": "gi",
                 "ntn": "the nao", "lm": "lam", "r": "roi", "thg": "thuong",
                 "tx": "thuong xuyen", "tt": "thinh thoang", "h": "gio", "bit": "biet",
                 "hk": "khong", "khog": "khong", "dk": "duoc", "coa": "co",
                 "ch": "chua", "bh": "bao gio", "bjo": "bao gio", "bg": "bao gio",
                 "vs": "voi", "uk": "u", "ukm": "u"}

# Plain words for an option's meaning that the criteria files need not list:
# "luôn luôn" is "thường xuyên". Compared after ABBREVIATIONS.
SYNONYMS = {
    "thuong xuyen": ("hang ngay", "hang ngay hang ngay", "ngay nao cung", "moi ngay",
                     "luon luon", "suot", "suot ngay", "thuong", "deu deu", "deu dan",
                     "ngay nao cung co", "thuong xuyen luon", "lien tuc", "hang tuan",
                     "tuan nao cung", "toi nao cung", "sang nao cung", "hom nao cung",
                     "buoi nao cung", "dem nao cung", "thang nao cung", "hang hang ngay",
                     "ngay nao cung xem", "ngay nao cung doc", "ngay nao cung nghe", "hoai",
                     "suot ngay", "luon luon a"),
    "thinh thoang": ("doi khi", "doi luc", "co luc", "lau lau mot lan",
                     "thinh thoang thoi", "cung co", "luc co luc khong", "thoang thoang",
                     "it nhieu", "hom co hom khong", "bua co bua khong", "khi co khi khong",
                     "ngay co ngay khong", "luc nao ranh", "khi nao ranh", "ranh thi",
                     "luc nao ranh thi", "ranh thi xem", "luc co luc khong"),
    "hiem khi": ("it khi", "it lam", "rat it", "hiem", "hiem lam", "it", "lau lau",
                 "it khi lam", "hoa hoan", "hiem hoi", "khong may khi", "chua may khi",
                 "it khi nao",
                 "may khi", "nam thi muoi hoa", "lau lam", "lau lam moi", "lau lau moi",
                 "moi nam mot lan", "nam mot lan", "thang mot lan", "moi thang mot lan",
                 "hiem hoi lam", "it lam luon"),
    "khong": ("khong bao gio", "chua bao gio", "chua lan nao", "khong lan nao", "chua khi nao",
              "khong khi nao", "chua khi mo", "khong khi mo",
              "khong co", "chua co", "chua tung", "khong he", "chua he", "chua bao h",
              "khong bao h"),
    "thanh thao": ("thao", "rat thao", "thao lam", "gioi", "rat gioi", "ranh", "rat ranh",
                   "rat tot", "dung tot", "thanh thao lam", "de dang", "dung thao",
                   "biet ro", "lam tot", "nhuyen", "ngon lanh", "dung ngon lanh", "vo tu",
                   "dung vo tu", "rat thanh thao", "thong thao", "sanh", "dung rat tot"),
    "lam duoc": ("duoc", "biet", "biet lam", "tam duoc", "tam tam", "binh thuong",
                 "tam on", "cung duoc", "lam dc", "biet dung", "dung duoc", "tam",
                 "tam tam thoi", "kha", "cung tam", "on"),
    "con lung tung": ("lung tung", "chua thao", "chua quen", "chua quen lam", "biet it",
                      "biet chut it", "con kem", "kem", "chua gioi", "con bo ngo",
                      "bo ngo", "con vung", "chua ranh", "long ngong", "con long ngong",
                      "vung ve", "con vung ve", "chua thao lam", "ngo ngac", "long cong",
                      "con long cong", "biet so so", "so so", "biet chut dinh", "chut dinh",
                      "biet chut chut", "chut chut", "biet so", "biet it thoi"),
    "chua biet": ("chua biet lam", "khong biet lam", "chua lam duoc", "khong lam duoc",
                  "chua dung bao gio", "khong biet dung", "chua biet dung", "khong biet gi",
                  "khong biet gi het", "mu tit", "dot dac",
                  "khong biet xai", "chua biet xai", "khong biet su dung", "khong xai duoc",
                  "khong dung duoc"),
}
