"""The dashboard and its JSON: exact figures for a hand-made population, the scope, and
the page's charts and tables."""

import re
import xml.etree.ElementTree as ET

import pytest

from .figures_world import (BINH_MINH, BRANCH, COMMUNE, COMMUNE_COMPETENCES, DIRECT, PERIOD,
                            PROVINCE, populate)

COUNTS = ("registered", "not_started", "in_progress", "completed", "passed", "recognised",
          "awaiting", "returned")


@pytest.fixture
def world(runtime, officers):
    return populate(runtime)


def counts(entry: dict) -> dict:
    return {key: entry[key] for key in COUNTS}


def dashboard_json(client, **args) -> dict:
    response = client.get("/admin/dashboard.json", query_string={"period": PERIOD, **args})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_json()


def test_the_commune_officer_sees_the_commune(client_as, world):
    data = dashboard_json(client_as("xa"))
    assert data["unit"] == {"code": "9001", "name": "Xã An Bình"}
    assert counts(data["totals"]) == COMMUNE
    assert data["totals"]["pass_rate"] == pytest.approx(3 / 5)
    by_unit = {row["code"]: row for row in data["by_unit"]}
    assert counts(by_unit["9001-1"]) == BRANCH and not by_unit["9001-1"]["direct"]
    # citizens of the commune itself, not of its branch: their own row, so the rows add up
    assert by_unit["9001"]["direct"] and by_unit["9001"]["name"] == "Trực thuộc Xã An Bình"
    assert counts(by_unit["9001"]) == DIRECT
    assert [(g["id"], g["name"], g["registered"]) for g in data["by_group"]] == [
        ("nguoi_dan", "Người dân trong xã, phường", 7)]


def test_the_province_officer_sees_every_commune_of_the_province(client_as, world):
    data = dashboard_json(client_as("tinh"))
    assert counts(data["totals"]) == PROVINCE
    by_unit = {row["code"]: counts(row) for row in data["by_unit"]}
    assert by_unit == {"9001": COMMUNE, "9002": BINH_MINH}
    groups = {g["id"]: g["registered"] for g in data["by_group"]}
    assert groups == {"nguoi_dan": 9, "nguoi_lao_dong": 1}


def test_competences_come_from_the_completed_assessments(client_as, world):
    data = dashboard_json(client_as("xa"))
    found = {c["id"]: (c["assessments"], c["points"], c["maximum"]) for c in data["by_competence"]}
    assert found == COMMUNE_COMPETENCES
    tu_hoc = next(c for c in data["by_competence"] if c["id"] == "tu_hoc")
    assert tu_hoc["average"] == pytest.approx(188 / 5) and tu_hoc["average_maximum"] == 40
    assert tu_hoc["name"] == "Năng lực tự học, học tập suốt đời"


def test_months_count_registrations_and_completions(client_as, world):
    months = {m["month"]: m for m in dashboard_json(client_as("tinh"))["by_month"]}
    november = months["2026-11"]
    # registered 10 November (Vietnam time), completed the day after; L registered in 2025
    assert november["registered"] == 9 and november["completed"] == 6
    assert november["registered_total"] == 10 and november["completed_total"] == 6
    assert months["2026-01"]["registered"] == 0 and months["2026-01"]["registered_total"] == 1


def test_a_past_period(client_as, world):
    data = dashboard_json(client_as("tinh"), period=2025)
    assert counts(data["totals"]) == dict(registered=1, not_started=0, in_progress=0, completed=1,
                                          passed=1, recognised=1, awaiting=0, returned=0)
    assert len(data["by_month"]) == 12


def test_a_sub_unit_of_ones_own(client_as, world):
    data = dashboard_json(client_as("tinh"), unit="9001-1")
    assert counts(data["totals"]) == BRANCH and data["by_unit"] == []


def test_an_admin_sees_everything_by_province(client_as, world):
    data = dashboard_json(client_as("quantri"))
    assert data["unit"] is None
    by_unit = {row["code"]: row["registered"] for row in data["by_unit"]}
    assert by_unit["90"] == 10 and by_unit["9100"] == 1 and by_unit["33"] == 0


@pytest.mark.parametrize("who, unit", [
    ("xa", "9101"),         # another province
    ("xa", "90"),           # above the commune officer
    ("xa", "9002"),         # a sibling commune
    ("chihoi", "9001"),     # the branch officer's commune
    ("tinh", "9101"),
    ("khac", "9001"),
    ("xa", "khong-co"),     # no such unit
], ids=["other-province", "above", "sibling", "branch-up", "province-other", "other-officer",
        "unknown"])
@pytest.mark.parametrize("path", ["/admin/", "/admin/dashboard.json"], ids=["page", "json"])
def test_units_outside_the_scope_are_not_found(client_as, world, who, unit, path):
    response = client_as(who).get(path, query_string={"unit": unit})
    assert response.status_code == 404
    assert "Người Tỉnh Khác" not in response.get_data(as_text=True)


@pytest.mark.parametrize("period", ["abc", "1999", "2999", "20 26", "-1"],
                         ids=["word", "too-early", "too-late", "space", "negative"])
@pytest.mark.parametrize("path", ["/admin/", "/admin/dashboard.json"], ids=["page", "json"])
def test_a_bad_period_is_a_clear_400(client_as, world, period, path):
    response = client_as("xa").get(path, query_string={"period": period})
    assert response.status_code == 400
    text = response.get_json()["error"] if path.endswith(".json") else response.get_data(as_text=True)
    assert "Năm không hợp lệ" in text


def test_the_other_province_sees_only_its_own(client_as, world):
    data = dashboard_json(client_as("khac"))
    assert data["totals"]["registered"] == 1 and data["totals"]["recognised"] == 1
    assert [row["code"] for row in data["by_unit"]] == ["9101"]


def test_not_logged_in(app, world):
    assert app.test_client().get("/admin/dashboard.json").status_code == 401


# -- the page --------------------------------------------------------------------------------
def number(text: str) -> int:
    return int(text.strip().replace(".", ""))


def test_the_page_shows_the_json_figures(client_as, world):
    client = client_as("tinh")
    data = dashboard_json(client)
    page = client.get("/admin/", query_string={"period": PERIOD}).get_data(as_text=True)
    tiles = dict(re.findall(r'data-key="(\w+)">([\d.]+)<', page))
    assert {key: number(v) for key, v in tiles.items()} == {
        key: data["totals"][key] for key in tiles}
    assert set(tiles) >= {"registered", "completed", "passed", "recognised"}
    for row in data["by_unit"]:
        cells = re.search(rf'<tr data-key="{row["code"]}">(.*?)</tr>', page, re.S).group(1)
        values = [number(v) for v in re.findall(r'class="num">([\d.]+)<', cells)]
        assert values == [row[k] for k in ("registered", "not_started", "in_progress",
                                           "completed", "passed", "recognised")]
    assert "Tỷ lệ đạt" in page and "66,7 %" in page   # 4 of 6 in the province


def test_the_page_drills_down_and_back_up_to_the_officers_unit_only(client_as, world):
    client = client_as("xa")
    page = client.get("/admin/", query_string={"unit": "9001-1", "period": PERIOD}).get_data(as_text=True)
    crumbs = re.search(r'<nav class="crumbs".*?</nav>', page, re.S).group(0)
    assert "Xã An Bình" in crumbs and "Chi hội Khuyến học thôn Đông" in crumbs
    assert "Tỉnh Thử Nghiệm" not in crumbs and "Toàn hệ thống" not in crumbs
    home = client.get("/admin/", query_string={"period": PERIOD}).get_data(as_text=True)
    assert 'href="/admin/?unit=9001-1&amp;period=2026"' in home


def test_the_page_charts_are_valid_svg_without_style_attributes(client_as, world):
    page = client_as("tinh").get("/admin/", query_string={"period": PERIOD}).get_data(as_text=True)
    svgs = re.findall(r"<svg.*?</svg>", page, re.S)
    assert len(svgs) == 5
    for svg in svgs:
        root = ET.fromstring(svg)
        assert root.find("{http://www.w3.org/2000/svg}title") is not None
        assert all("style" not in element.attrib for element in root.iter())
    assert "style=" not in page and "<style" not in page and "<script>" not in page
    assert "Xã An Bình" in svgs[1]


def test_the_admin_page_offers_everything(client_as, world):
    page = client_as("quantri").get("/admin/", query_string={"period": PERIOD}).get_data(as_text=True)
    assert "Toàn hệ thống" in page and "Tỉnh Thử Nghiệm" in page
