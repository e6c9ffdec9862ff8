"""What the public Open311 list may show: redacted free text, addresses to the block, rules checked at load."""

from __future__ import annotations

import pytest

from core.redact import REMOVED
from crm_bridge.catalogue import CatalogueError, load_catalogue
from crm_bridge.privacy import block, public_location, redact


@pytest.mark.parametrize(
    ("said", "kept"),
    [
        ("Call me at 312-555-0147 about it", "Call me at [removed] about it"),
        ("or (312) 555 0147, or +1 312.555.0147", "or [removed], or [removed]"),
        ("mail ana.ruiz@example.com please", "mail [removed] please"),
        ("ana dot ruiz at gmail dot com", REMOVED),
        ("ana arroba gmail punto com", REMOVED),
        # Spelled out, as a transcript of a call gives them.
        ("my number is three one two five five five zero one four seven", "my number is [removed]"),
        ("three twelve double five oh one four seven, thanks", "[removed], thanks"),
        ("tres uno dos, cinco cinco cinco, cero uno cuatro siete", REMOVED),
        ("three one two 555 0147", REMOVED),
        # Names, as residents introduce themselves.
        ("Hi, this is John Smith, the hole is deep", "Hi, this is [removed], the hole is deep"),
        ("this is ana calling about the light", "this is [removed] calling about the light"),
        ("My name is ana ruiz and I live upstairs", "My name is [removed] and I live upstairs"),
        ("Me llamo María de la Cruz y vivo en el 3B", "Me llamo [removed] y vivo en el 3B"),
        ("Soy Pedro Gómez. No hay calefacción", "Soy [removed]. No hay calefacción"),
        ("please call John at the office", "please call [removed] at the office"),
        ("llame a Rosa al teléfono", "llame a [removed] al teléfono"),
    ],
)
def test_contact_details_and_names_are_removed(said, kept):
    assert redact(said) == kept


@pytest.mark.parametrize(
    "text",
    [
        "this is a pothole at 5th and Main, open since 2026-11-01",
        "soy residente de la zona",
        "call me at home, or call back at 5",
        "This is Main Street near the park",
        "cart 2 of 3 at 10 30 am, house 1234",
        "we've had 3 rats in 2 weeks",
        "one or two cars, maybe three",
    ],
)
def test_ordinary_words_and_short_numbers_stay(text):
    assert redact(text) == text


def test_redaction_finishes_on_hostile_text():
    # Shapes that make a careless pattern backtrack: they must come back cleaned (speed is bench material, not a test).
    assert redact(("1-" * 2000)[:4000]).count("[removed]") >= 1
    for text in ("a dot " * 700, "a" * 3999 + "@", "my name is " * 400, "call a " * 600):
        assert isinstance(redact(text[:4000]), str)


@pytest.mark.parametrize(
    ("address", "published"),
    [
        ("1234 N Main St Apt 5, Springfield", "1200 block of N Main St"),
        ("1234 N Main St #5", "1200 block of N Main St"),
        ("Apt 5, 1234 Main St", "1200 block of Main St"),
        ("Unit 3B 1234 W 5th Ave", "1200 block of W 5th Ave"),
        ("45 Elm St", "1-99 block of Elm St"),
        ("Avenida Juárez 1234", "1200 block of Avenida Juárez"),
        ("in front of 1234 Main St", "1200 block of Main St"),
        ("5th and Main", "5th and Main"),  # an intersection has no house to hide
        ("Highway 61", "Highway 61"),
        ("1200 block of N Main St", "1200 block of N Main St"),
    ],
)
def test_an_address_to_the_block(address, published):
    assert block(address) == published


def test_location_rules():
    here = ("1234 N Main St", 41.878113, -87.629799)
    assert public_location(*here, "full") == here
    assert public_location(*here, "block") == ("1200 block of N Main St", 41.878, -87.63)
    assert public_location(*here, "none") == (None, None, None)
    assert public_location("1 Main St, ana@example.com", None, None, "full")[0] == "1 Main St, [removed]"


def test_the_catalogue_says_what_sensitive_types_publish():
    catalogue = load_catalogue()
    no_heat = catalogue.get("no-heat")
    assert (no_heat.publish_address, no_heat.publish_description) == ("block", False)
    pothole = catalogue.get("pothole")
    assert (pothole.publish_address, pothole.publish_description) == ("full", True)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ('publish_address = "blok"', "services.toml: service no-heat: publish_address: 'blok' is not one of"),
        ('publish_adress = "block"', "services.toml: service no-heat: publish_adress: unknown key"),
        ('publish_description = "no"', "services.toml: service no-heat: publish_description: 'no' is not true or"),
        ('location = "requierd"', "services.toml: service no-heat: location: 'requierd' is not"),
    ],
)
def test_a_bad_publication_rule_stops_the_load_naming_the_key(tmp_path, rule, message):
    path = tmp_path / "services.toml"
    path.write_text(
        f'[[service]]\ncode = "no-heat"\nname = {{ "en-US" = "No heat" }}\nsla = {{ hours = 24 }}\n{rule}\n',
        encoding="utf-8",
    )
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path)
    assert str(caught.value).startswith(message)
