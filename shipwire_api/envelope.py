"""Reading Shipwire's response envelope: messages, collections and single resources."""

from .errors import ShipwireMessage

# Keys holding messages, and the type each implies when an element has none. "error"
# is how a body that is not the envelope at all says it: {"error": "Bad request"}.
_MESSAGE_KEYS = (
    ("errors", "error"),
    ("v4Errors", "error"),
    ("error", "error"),
    ("warnings", "warning"),
    ("v4Warnings", "warning"),
)


def _text(value):
    """A value as text; an object such as ``{"status": "Order cannot be cancelled"}``
    (how messages keyed by order id say it) gives the text of its values."""
    if value is None:
        return ""
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return "; ".join(text for text in map(_text, value) if text)
    return str(value).strip()


def _described(element):
    """An element of an unknown shape, put in words: ``"key: value; ..."``."""
    return "; ".join(
        f"{key}: {text}"
        for key, text in ((k, _text(v)) for k, v in element.items())
        if text
    )


def parse_message(element, default_type, key=None):
    """One message element, whatever its shape, as a ``ShipwireMessage``. ``key``
    is the order id an element was filed under, in the keyed shape."""
    if not isinstance(element, dict):
        return ShipwireMessage(type=default_type, message=_text(element))
    text = _text(element.get("message") or element.get("description"))
    return ShipwireMessage(
        type=(_text(element.get("type")) or default_type).lower(),
        message=text or _described(element) or f"Shipwire sent an empty {default_type}",
        code=_text(element.get("code")),
        field=_text(element.get("field")),
        order_no=_text(element.get("orderNo")),
        external_id=_text(element.get("externalId")),
        id=_text(element.get("id", key)),
        sku=_text(element.get("sku")),
    )


def parse_messages(value, default_type):
    """The messages under one key: a list of objects or strings, a single one, or
    an object keyed by order id whose values are the messages."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [parse_message(element, default_type) for element in value]
    keyed = (
        isinstance(value, dict)
        and value
        and "message" not in value
        and all(isinstance(element, dict) for element in value.values())
    )
    if keyed:
        return [
            parse_message(element, default_type, key) for key, element in value.items()
        ]
    return [parse_message(value, default_type)]


def collect_messages(body):
    """``(errors, warnings)`` of an answer, from every place Shipwire puts them.

    v3 answers repeat each message inside the collection items, so a message seen
    twice for the same order is kept once; the same text about two split orders is
    kept for each. An element's own ``type`` wins over the key it was found under.
    """
    errors, warnings, seen = [], [], set()

    def add(container):
        if not isinstance(container, dict):
            return
        for key, default_type in _MESSAGE_KEYS:
            for message in parse_messages(container.get(key), default_type):
                if message in seen:
                    continue
                seen.add(message)
                (warnings if message.type == "warning" else errors).append(message)

    add(body)
    resource = body.get("resource") if isinstance(body, dict) else None
    if isinstance(resource, dict):
        for item in resource.get("items") or ():
            add(item)
    return errors, warnings


def mentions_duplicate(body_or_messages):
    """True when Shipwire's answer says the record already exists."""
    if isinstance(body_or_messages, dict):
        errors, _warnings = collect_messages(body_or_messages)
        texts = [body_or_messages.get("message") or ""] + [e.message for e in errors]
    else:
        texts = [message.message for message in body_or_messages]
    return any("duplicate" in str(text).lower() for text in texts)


def is_collection(resource):
    return isinstance(resource, dict) and isinstance(resource.get("items"), list)


def collection_items(resource):
    """The resources of a collection, unwrapping ``{resourceLocation, resource}``."""
    if not is_collection(resource):
        return []
    return [
        item["resource"] if isinstance(item, dict) and "resource" in item else item
        for item in resource["items"]
    ]


def single_resource(body):
    """The one resource of an answer, whether Shipwire sent it alone or in a list."""
    resource = body.get("resource") if isinstance(body, dict) else None
    if is_collection(resource):
        items = collection_items(resource)
        return items[0] if items else None
    return resource
