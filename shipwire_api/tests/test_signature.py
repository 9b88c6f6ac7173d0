import hashlib
import hmac

from shipwire_api import build_signature_header, verify_signature
from shipwire_api.signature import compute_signature

SECRET = "ab" * 64
OTHER_SECRET = "cd" * 64
BODY = b'{"topic":"order.completed","body":{}}'


def test_signature_is_hex_hmac_keyed_by_the_hex_decoded_secret():
    expected = hmac.new(bytes.fromhex(SECRET), BODY, hashlib.sha256).hexdigest()
    assert compute_signature(BODY, SECRET) == expected
    assert build_signature_header(BODY, [(7, SECRET)]) == f"{expected};secret=7"


def test_valid_signature_names_its_secret():
    header = build_signature_header(BODY, [(7, SECRET)])
    assert verify_signature(BODY, header, [(7, SECRET)]) == "7"


def test_wrong_signature_or_body_is_refused():
    header = build_signature_header(BODY, [(7, OTHER_SECRET)])
    assert verify_signature(BODY, header, [(7, SECRET)]) is None
    good = build_signature_header(BODY, [(7, SECRET)])
    assert verify_signature(BODY + b" ", good, [(7, SECRET)]) is None


def test_missing_or_garbled_header_is_refused():
    for header in (None, "", ";secret=7", "not-hex", ",,"):
        assert verify_signature(BODY, header, [(7, SECRET)]) is None


def test_second_secret_is_accepted_among_several_entries():
    header = build_signature_header(BODY, [(7, OTHER_SECRET), (8, SECRET)])
    assert "," in header
    assert verify_signature(BODY, header, [(8, SECRET)]) == "8"


def test_entry_claiming_another_secret_id_does_not_match():
    digest = compute_signature(BODY, SECRET)
    assert verify_signature(BODY, f"{digest};secret=9", [(8, SECRET)]) is None
    assert verify_signature(BODY, digest, [(8, SECRET)]) == "8"


def test_invalid_stored_secret_is_skipped():
    header = build_signature_header(BODY, [(8, SECRET)])
    assert verify_signature(BODY, header, [(1, "zz"), (8, SECRET)]) == "8"
