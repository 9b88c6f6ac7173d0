"""Webhook signatures as Shipwire sends them in ``X-Shipwire-Signature``.

Each entry is ``<hex digest>;secret=<secret id>``, the digest being an HMAC-SHA256 of
the raw request body keyed by the hex-decoded secret. With several active secrets the
entries are joined by commas.
"""

import hashlib
import hmac

SIGNATURE_HEADER = "X-Shipwire-Signature"


def compute_signature(body, secret):
    """Hex HMAC-SHA256 of ``body`` (bytes) keyed by the hex string ``secret``."""
    return hmac.new(bytes.fromhex(secret), body, hashlib.sha256).hexdigest()


def build_signature_header(body, secrets):
    """Header value for ``body`` signed with every ``(secret_id, secret)`` pair."""
    return ",".join(
        f"{compute_signature(body, secret)};secret={secret_id}"
        for secret_id, secret in secrets
    )


def parse_signature_header(value):
    """Yield ``(digest, secret_id or None)`` for each entry of a header value."""
    for entry in (value or "").split(","):
        digest, _sep, params = entry.strip().partition(";")
        if not digest:
            continue
        secret_id = None
        for param in params.split(";"):
            name, _eq, param_value = param.strip().partition("=")
            if name == "secret":
                secret_id = param_value.strip()
        yield digest.strip().lower(), secret_id


def verify_signature(body, header_value, secrets):
    """Return the id of the secret whose signature matches, or ``None``.

    ``secrets`` is an iterable of ``(secret_id, secret)``. An entry naming a secret id
    is checked against that secret only; an entry without one against every secret.
    Secrets that are not valid hex are skipped. Comparison is constant-time.
    """
    known = []
    for secret_id, secret in secrets:
        try:
            known.append((str(secret_id), compute_signature(body, secret)))
        except (ValueError, TypeError):
            continue
    matched = None
    for digest, claimed_id in parse_signature_header(header_value):
        for secret_id, expected in known:
            if claimed_id is not None and claimed_id != secret_id:
                continue
            # As bytes: a header may carry any character, and compare_digest
            # refuses non-ASCII text.
            if hmac.compare_digest(digest.encode(), expected.encode()) and (
                matched is None
            ):
                matched = secret_id
    return matched
