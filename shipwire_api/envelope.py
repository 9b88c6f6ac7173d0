"""Reading Shipwire's response envelope: messages, collections and single resources."""

import json

from .errors import ShipwireMessage

# Top-level keys holding messages, and the type each implies when an element has none.
_MESSAGE_KEYS = (
    ("errors", "error"),
    ("v4Errors", "error"),
    ("warnings", "warning"),
    ("v4Warnings", "warning"),
)


def parse_message(element, default_type):
    """One message element, whatever its shape, as a ``ShipwireMessage``."""
    if isinstance(element, dict):
        text = element.get("message") or element.get("description")
        if not isinstance(text, str) or not text:
            text = json.dumps(element, sort_keys=True)
        code = element.get("code")
        return ShipwireMessage(
            type=str(element.get("type") or default_type).lower(),
            message=text,
            code="" if code is None else str(code),
            field=str(element.get("field") or ""),
        )
    text = element if isinstance(element, str) else json.dumps(element)
    return ShipwireMessage(type=default_type, message=text)


def collect_messages(body):
    """``(errors, warnings)`` of an answer, from every place Shipwire puts them.

    v3 answers repeat each message inside the collection items, so duplicates are
    dropped. An element's own ``type`` wins over the key it was found under.
    """
    errors, warnings, seen = [], [], set()

    def add(container):
        if not isinstance(container, dict):
            return
        for key, default_type in _MESSAGE_KEYS:
            elements = container.get(key)
            if isinstance(elements, (str, dict)):
                elements = [elements]
            for element in elements or ():
                message = parse_message(element, default_type)
                identity = (message.type, message.code, message.message, message.field)
                if identity in seen:
                    continue
                seen.add(identity)
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
