"""Service guide search: characters or pinyin initials (社保 or sb), best matches first."""

import pytest

from kiosk.catalogue import load_sample_catalogue


@pytest.fixture(scope="module")
def catalogue():
    return load_sample_catalogue()


def test_sample_catalogue_has_zones_services_and_self_service_items(catalogue) -> None:
    assert {z.name for z in catalogue.zones} >= {"人社医保服务区", "不动产登记交易区", "公安业务板块", "综合受理板块"}
    assert catalogue.service("S0101").name == "社会保障卡申领"
    assert all(s.form for s in catalogue.self_service_items())
    assert len(catalogue.zones) <= 8 and len(catalogue.themes) <= 8


@pytest.mark.parametrize("query", ["社保", "sb", "SB", "shbz"])
def test_shebao_finds_social_security_card(catalogue, query: str) -> None:
    names = [s.name for s in catalogue.search(query)]
    assert "社会保障卡申领" in names


def test_characters_rank_before_loose_matches(catalogue) -> None:
    results = catalogue.search("公积金")
    assert results[0].id == "S0403"
    assert catalogue.search("gjj")[0].id == "S0403"


def test_nonsense_finds_nothing(catalogue) -> None:
    assert catalogue.search("量子计算") == []
    assert catalogue.search("") == []
    assert catalogue.search("   ") == []


def test_english_content_fields_are_optional() -> None:
    from kiosk.catalogue import in_language, parse_catalogue

    old = parse_catalogue({"services": [{"id": "S1", "name": "\u793e\u4fdd", "conditions": ["\u672c\u4eba"],
                                         "materials": [{"name": "\u8eab\u4efd\u8bc1", "core": True}],
                                         "commitment": "\u627f\u8bfa"}]})
    item = old.services[0]
    assert item.conditions_en == () and item.materials[0].name_en == "" and item.commitment_en == ""
    assert in_language(item.commitment, item.commitment_en, "en") == (item.commitment, True)
    new = parse_catalogue({"services": [{"id": "S1", "name": "\u793e\u4fdd", "conditions": ["\u672c\u4eba"],
                                         "conditions_en": ["In person"], "commitment": "\u627f\u8bfa",
                                         "commitment_en": "I promise", "materials": [
                                             {"name": "\u8eab\u4efd\u8bc1", "name_en": "ID card"}]}]})
    item = new.services[0]
    assert item.conditions_en == ("In person",) and item.materials[0].name_en == "ID card"
    assert in_language(item.commitment, item.commitment_en, "en") == ("I promise", False)
    assert in_language(item.commitment, item.commitment_en, "zh_CN") == (item.commitment, False)
