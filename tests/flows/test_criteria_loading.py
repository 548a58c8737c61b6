"""Criteria files: the shipped ones load; a broken one is refused with the file and field named."""

from pathlib import Path

import pytest

from flows.loading import CRITERIA_DIR, DefinitionError, load_all_criteria, load_criteria

FIXTURE = Path(__file__).parent.parent / "fixtures" / "criteria-test.toml"


def test_shipped_sets_load_and_follow_the_structure():
    sets = load_all_criteria()
    assert {("cdht-2023", "2023.1-draft"), ("cdht-2022", "2022.1-draft")} <= set(sets)
    assert [g.id for g in sets[("cdht-2023", "2023.1-draft")].groups] == [
        "nguoi_dan", "nguoi_lao_dong", "can_bo_doanh_nhan", "hoc_sinh"]
    assert len(sets[("cdht-2022", "2022.1-draft")].groups) == 3
    for key in [("cdht-2023", "2023.1-draft"), ("cdht-2022", "2022.1-draft")]:
        assert sets[key].status == "draft"     # the official wording was not available
    for cs in sets.values():
        assert (cs.pass_rule.min_total, cs.pass_rule.min_each) == (80, 5)
        assert [c.id for c in cs.competences] == ["tu_hoc", "cong_cu", "quan_he"]
        for group in cs.groups:
            assert sum(i.max_points for i in group.indicators) == 100
            assert [i.competence for i in group.indicators] == ["tu_hoc"] * 4 + ["cong_cu"] * 4 + ["quan_he"] * 2


def _break(tmp_path, old: str, new: str, count: int = 1) -> Path:
    text = FIXTURE.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "broken.toml"
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return path


BROKEN = [
    ("missing id", 'id = "test-set"\n', "", "broken.toml: id: is required"),
    ("bad status", 'status = "draft"', 'status = "final"', 'broken.toml: status: must be "draft" or "official"'),
    ("points too high", "points = 10, aliases", "points = 12, aliases",
     "broken.toml: scales.frequency.options[0].points: must be an integer 0..10"),
    ("points not int", "points = 7 }", 'points = "7" }',
     "broken.toml: scales.frequency.options[1].points: must be int, got str"),
    ("unknown competence", 'competence = "quan_he"', 'competence = "suc_khoe"',
     "broken.toml: groups[0].indicators[8].competence: unknown competence"),
    ("unknown scale", 'scale = "frequency"', 'scale = "muc_do"',
     "broken.toml: groups[0].indicators[0].scale: unknown scale 'muc_do'"),
    ("nine indicators", '[[groups.indicators]]\nid = "i10"\ncompetence = "quan_he"\n'
     'short = "Chỉ số 10"\nquestion = "{Xung} có làm việc số 10 không?"\nscale = "frequency"\n', "",
     "broken.toml: groups[0].indicators: has 9 indicators, needs 10"),
    ("misspelt field", 'question = "{Xung} có làm việc số 1 không?"',
     'question = "{Xung} có làm việc số 1 không?"\nquestin_sms = "x"',
     "broken.toml: groups[0].indicators[0].questin_sms: unknown field"),
    ("bad means", 'means = "no"', 'means = "maybe"',
     'broken.toml: scales.frequency.options[3].means: must be "yes" or "no"'),
    ("empty question", 'question = "{Xung} có làm việc số 1 không?"', 'question = "  "',
     "broken.toml: groups[0].indicators[0].question: must not be empty"),
    ("not toml", 'title = "Bộ thử"', "title = ", "broken.toml: not valid TOML"),
]


@pytest.mark.parametrize("old,new,message", [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_broken_file_names_file_and_field(tmp_path, old, new, message):
    with pytest.raises(DefinitionError) as error:
        load_criteria(_break(tmp_path, old, new))
    assert str(error.value).startswith(message)


def test_same_id_and_version_twice_is_refused(tmp_path):
    (tmp_path / "a.toml").write_text(FIXTURE.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "b.toml").write_text(FIXTURE.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(DefinitionError, match="b.toml: id: test-set 1 is defined twice"):
        load_all_criteria(tmp_path)


def test_sms_forms_default_to_the_text_without_diacritics():
    cs = load_criteria(FIXTURE)
    indicator = cs.groups[0].indicators[0]
    assert indicator.question_sms == "{Xung} co lam viec so 1 khong?"
    assert indicator.short_sms == "Chi so 1"
    assert cs.competences[0].sms == "Tu hoc, hoc tap suot doi"


def test_official_set_is_a_new_file(tmp_path):
    """Dropping in a file is all it takes (docs/criteria.md)."""
    from bot.runtime import pick_criteria
    official = FIXTURE.read_text(encoding="utf-8").replace('status = "draft"', 'status = "official"') \
        .replace('version = "1"', 'version = "0.9"')
    (tmp_path / "official.toml").write_text(official, encoding="utf-8")
    (tmp_path / "draft.toml").write_text(FIXTURE.read_text(encoding="utf-8"), encoding="utf-8")
    sets = load_all_criteria(tmp_path)
    assert pick_criteria(sets, "test-set", None).version == "0.9"   # official beats a newer draft
    assert pick_criteria(sets, "test-set", "1").version == "1"      # unless pinned
    assert CRITERIA_DIR.name == "criteria"
