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


@pytest.mark.parametrize(("query", "expected"), [
    ("shebao", "S0105"), ("shehuibaozhang", "S0101"), ("shebaoka", "S0101"), ("yibao", "S0104"),
    ("hukou", "S0302"), ("shenfenzheng", "S0301"), ("zhufanggongjijin", "S0403"),
    ("\u793e\u4fddka", "S0101"),  # 社保 picked from the candidates, then "ka" still being typed
])
def test_full_and_mixed_pinyin_find_items(catalogue, query: str, expected: str) -> None:
    assert expected in [s.id for s in catalogue.search(query)]


@pytest.mark.parametrize(("word", "expected"), [
    ("\u793e\u4f1a\u4fdd\u9669", "S0103"),  # 社会保险: the 社保 theme's items
    ("\u517b\u8001", "S0105"), ("yanglao", "S0105"),  # 养老 -> 退休 (职工退休待遇申领)
    ("\u6237\u7c4d", "S0302"),  # 户籍 -> 户口迁移
    ("\u623f\u4ea7", "S0202"),  # 房产 -> 不动产 / 二手房
])
def test_synonyms_find_items(catalogue, word: str, expected: str) -> None:
    assert expected in [s.id for s in catalogue.search(word)]


def test_the_platform_adds_its_own_synonyms() -> None:
    from kiosk.catalogue import parse_catalogue

    data = {"services": [{"id": "S1", "name": "\u51fa\u751f\u533b\u5b66\u8bc1\u660e"}]}  # 出生医学证明
    assert parse_catalogue(data).search("\u5b9d\u5b9d") == []  # 宝宝
    data["synonyms"] = {"\u5b9d\u5b9d": ["\u51fa\u751f"]}
    found = parse_catalogue(data)
    assert [s.id for s in found.search("\u5b9d\u5b9d")] == ["S1"] == [s.id for s in found.search("baobao")]
    assert "\u793e\u4fdd" in found.synonyms  # the kiosk's own table still applies
