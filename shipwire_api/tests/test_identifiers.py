"""The identifier rules the Odoo layer checks before anything is sent."""

import pytest

from shipwire_api import (
    ShipwireInputError,
    parse_split_suffix,
    strip_split_suffix,
    validate_external_id_prefix,
    validate_order_no,
)


@pytest.mark.parametrize("prefix", ["ODOO-", "shop_2.eu-", "", False])
def test_usable_prefixes_pass(prefix):
    validate_external_id_prefix(prefix, can_split=True)


@pytest.mark.parametrize(
    ("prefix", "can_split", "explained"),
    [
        ("ODOO/", False, "'/'"),
        ("ODOO ?", False, "' ?'"),
        ("ÖDOO-", False, "'Ö'"),
        ("P" * 30, True, "at most 30"),
        ("P" * 32, False, "at most 32"),
        ("ODOO.", False, "split suffix"),
        ("ODOO.2", False, "split suffix"),
    ],
)
def test_unusable_prefixes_are_explained(prefix, can_split, explained):
    with pytest.raises(ShipwireInputError) as caught:
        validate_external_id_prefix(prefix, can_split)

    assert explained in str(caught.value)
    assert "prefix" in str(caught.value)


def test_order_number_keeps_room_for_the_split_suffix():
    validate_order_no("S" * 25, can_split=False)
    validate_order_no("S" * 23, can_split=True)
    with pytest.raises(ShipwireInputError) as caught:
        validate_order_no("S" * 24, can_split=True)
    assert "purchaseOrderNo" in str(caught.value)
    assert "at most 23" in str(caught.value)
    with pytest.raises(ShipwireInputError):
        validate_order_no("S" * 26, can_split=False)


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("R636027178.1", ("R636027178", 1)),  # orderNo, as the 2015 sandbox did
        ("ODOO-42.2", ("ODOO-42", 2)),  # externalId, as the docs say
        ("ODOO-42", ("ODOO-42", None)),
        ("1.5.10", ("1.5", 10)),
        ("", ("", None)),
    ],
)
def test_split_suffix_is_read_from_either_identifier(value, parsed):
    assert parse_split_suffix(value) == parsed
    assert strip_split_suffix(value) == parsed[0]
