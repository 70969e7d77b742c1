"""The catalogue's English (docs/offline-cache.md): the bundled sample carries it for every text a
citizen reads, and a missing translation is shown as the Chinese with the note."""

from kiosk.catalogue import load_sample_catalogue, parse_catalogue, shown_in


def test_the_sample_catalogue_has_english_for_every_text_a_citizen_reads() -> None:
    cat = load_sample_catalogue()
    assert all(z.name_en for z in cat.zones + cat.themes)
    for item in cat.services:
        assert item.name_en and item.fee_en and item.window_hint_en, item.id
        assert len(item.conditions_en) == len(item.conditions) and all(item.conditions_en), item.id
        assert all(m.name_en for m in item.materials), item.id
        assert bool(item.commitment_en) == bool(item.commitment), item.id
        if item.self_service:  # the card reader supplies the ID card: the kiosk must know which it is
            assert any(m.id == "id_card" for m in item.materials), item.id


def test_an_old_platform_without_material_ids_still_parses() -> None:
    cat = parse_catalogue({"services": [{"id": "X", "name": "x", "materials": [{"name": "m"}]}]})
    assert cat.services[0].materials[0].id == ""


def test_a_missing_translation_is_the_chinese_with_the_note() -> None:
    assert shown_in("免费", "Free", "en", "(Chinese only)") == "Free"
    assert shown_in("免费", "", "en", "(Chinese only)") == "免费 (Chinese only)"
    assert shown_in("免费", "Free", "zh_CN", "(Chinese only)") == "免费"
