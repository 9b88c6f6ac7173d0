"""Private endpoints under /_sandbox that drive the sandbox from other processes.

They need no credentials, never get faults, and answer ``{status, message, resource}``.
"""

import re

from .resources import envelope
from .routes import Reply
from .store import SandboxError

CONTROL_ROUTES = []
ORDER_ACTIONS = ("process", "submit", "complete", "deliver", "cancel", "hold")


def control_route(method, pattern):
    def register(handler):
        CONTROL_ROUTES.append((method, re.compile(f"^{pattern}$"), handler))
        return handler

    return register


def dispatch(sandbox, method, path, body):
    """Answer a control request; ``path`` is what follows /_sandbox."""
    for route_method, pattern, handler in CONTROL_ROUTES:
        match = pattern.match(path)
        if match and route_method == method:
            try:
                return Reply(
                    200,
                    envelope(
                        200,
                        "Successful",
                        None,
                        handler(sandbox, body, **match.groupdict()),
                    ),
                )
            except SandboxError as error:
                return Reply(error.status, envelope(error.status, error.message))
            except (ValueError, TypeError) as error:
                return Reply(400, envelope(400, str(error)))
    return Reply(404, envelope(404, "Not found"))


def object_body(body):
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise TypeError("The request body must be a JSON object")
    return body


@control_route("POST", "/reset")
def reset(sandbox, body):
    sandbox.reset()
    return sandbox.stats()


@control_route("GET", "/settings")
def get_settings(sandbox, body):
    return sandbox.settings.to_dict()


@control_route("PATCH", "/settings")
def update_settings(sandbox, body):
    sandbox.settings.update(object_body(body))
    return sandbox.settings.to_dict()


@control_route("GET", "/faults")
def list_faults(sandbox, body):
    return sandbox.faults.rules


@control_route("POST", "/faults")
def inject_fault(sandbox, body):
    options = dict(object_body(body))
    kind = options.pop("kind", None)
    sandbox.faults.inject(kind, **options)
    return sandbox.faults.rules


@control_route("DELETE", "/faults")
def clear_faults(sandbox, body):
    sandbox.faults.clear()
    return sandbox.faults.rules


@control_route("GET", "/stats")
def stats(sandbox, body):
    return sandbox.stats()


@control_route("GET", "/catalogue")
def get_catalogue(sandbox, body):
    return sandbox.store.catalogue_view()


@control_route("PUT", "/catalogue")
def replace_catalogue(sandbox, body):
    sandbox.store.replace_catalogue(object_body(body))
    return sandbox.store.catalogue_view()


@control_route("POST", "/stock/receive")
def receive_stock(sandbox, body):
    body = object_body(body)
    return sandbox.receive_stock(
        body.get("sku"), body.get("warehouse"), body.get("quantity")
    )


@control_route("POST", "/stock/damage")
def damage_stock(sandbox, body):
    body = object_body(body)
    return sandbox.damage_stock(
        body.get("sku"), body.get("warehouse"), body.get("quantity")
    )


@control_route("POST", "/stock/override")
def override_stock(sandbox, body):
    body = object_body(body)
    return sandbox.override_stock(
        body.get("sku"), body.get("warehouse"), body.get("counters")
    )


@control_route("POST", rf"/orders/(?P<ref>[^/]+)/(?P<action>{'|'.join(ORDER_ACTIONS)})")
def order_action(sandbox, body, ref, action):
    body = object_body(body)
    if action == "complete":
        trackings, quantities = body.get("trackings"), body.get("quantities")
        if trackings is not None and not (
            isinstance(trackings, list)
            and all(isinstance(tracking, dict) for tracking in trackings)
        ):
            raise TypeError("trackings must be a list of objects")
        if quantities is not None and not isinstance(quantities, dict):
            raise TypeError("quantities must map SKUs to shipped quantities")
        return sandbox.complete_order(ref, trackings=trackings, quantities=quantities)
    if action == "hold":
        return sandbox.add_order_hold(
            ref,
            body.get("description") or "Held by request",
            body.get("type", "customer"),
        )
    return getattr(sandbox, f"{action}_order")(ref)
