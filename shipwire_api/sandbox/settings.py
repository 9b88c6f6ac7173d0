"""Every knob of the sandbox.

Facts the API reference marks as inferred or unknown live here. Attributes can be
reassigned while the sandbox runs; the next request sees the new value.
"""

from dataclasses import dataclass, field, fields

# Settings that take one of a few values.
CHOICES = {
    "split_suffix_on": ("externalId", "orderNo"),
    "state_refusal_errors": ("keyed", "list", "none"),
    "purchase_order_messages": ("v4", "v3"),
    "product_list_refusal": ("each", "whole"),
    "refused_product_named_by": ("message", "sku", "externalId"),
    "receiving_cancelled_spelling": ("cancelled", "canceled"),
}
FIELD_LENGTHS = {
    "externalId": 32,
    "purchaseOrderNo": 25,
    "orderNo": 25,
    "name": 35,
    "address1": 50,
    "address2": 50,
    "address3": 50,
    "city": 25,
    "state": 25,
    "postalCode": 10,
    "sku": 50,
}


@dataclass
class SandboxSettings:
    # Protocol
    accept_shipwire_key: bool = True
    default_page_size: int = 20
    max_page_size: int = 200
    latency: float = 0.0
    log_requests: bool = False
    seed: int = 1
    # The root written into every link, as Shipwire writes its own host
    # (e.g. "https://api.beta.shipwire.com"); empty: the Host the client used.
    public_url: str = ""
    # Whether every list's previous/next links leave out /api/v3; those of /secret
    # always do, as recorded.
    prefixless_paging_links: bool = False
    # A fault: every list's next link leads back to the first page.
    looping_paging_links: bool = False

    # Identifiers
    first_purchase_order_id: int = 665160
    first_order_id: int = 80012000
    first_receiving_id: int = 130000

    # Purchase order statuses as the API spells them
    po_status_needs_approval: str = "needsApproval"
    po_status_approved: str = "approved"
    po_status_on_hold: str = "onHold"
    po_status_partially_completed: str = "partiallyCompleted"
    po_status_completed: str = "completed"
    po_status_canceled: str = "canceled"
    # Fulfillment order statuses as responses spell them, where unsure: an order
    # accepted and waiting reads "unprocessed" (recorded); a delivered one still
    # reads "completed", its trackings telling the delivery; responses spell it
    # "cancelled", filters and topics "canceled". The others are held, processed,
    # submitted and completed.
    order_status_unprocessed: str = "unprocessed"
    order_status_delivered: str = "completed"
    order_status_cancelled: str = "cancelled"

    # Whether the control endpoints' status changes (process, submit, complete,
    # deliver, cancel, hold) leave lastUpdatedDate as it was, as Shipwire was seen to.
    silent_status_changes: bool = False

    # Purchase order validation
    field_lengths: dict = field(default_factory=lambda: dict(FIELD_LENGTHS))
    split_external_id_length: int = 30
    state_required_countries: list = field(default_factory=lambda: ["US"])
    unverifiable_address_marker: str = "UNVERIFIED"
    # When true, address warnings also reject a create sent with
    # doNotPersistOnWarnings=1.
    warnings_block_do_not_persist: bool = False
    canceled_external_ids_reusable: bool = False
    # Whether a second create with a taken externalId is refused as a duplicate:
    # the docs say so, but nothing recorded shows the refusal (message unknown).
    duplicate_external_ids_refused: bool = True
    # Whether the answer to a refused PUT (duplicate, or problems with
    # doNotPersistOnWarnings=1) still carries the PO: unknown.
    refused_update_carries_purchase_order: bool = True
    uppercase_addresses: bool = False

    # Splitting across warehouses: the docs suffix externalId, a 2015 recording
    # orderNo, and did so on an order that could split but did not.
    split_suffix_on: str = "orderNo"
    suffix_unsplit: bool = True

    # Where a purchase order create or update reports its problems: "v4" (v4Errors,
    # v4Warnings: documented) or "v3" (errors, warnings, as the Order API answers).
    purchase_order_messages: str = "v4"

    # How a 422 (an action the record's state does not allow) lists its errors:
    # "keyed" {"<id>": {"message": {"status": text}, "type": {"status": "error"}}}
    # as recorded; "list" [{type, code, message, orderNo, externalId, id}]; "none"
    # (the envelope's message alone).
    state_refusal_errors: str = "keyed"

    # Products: whether their values, dimensions and flags read as bare links
    # ({"resourceLocation": null}), as a 2017 recording shows them, rather than as
    # they were sent.
    product_details_as_links: bool = False
    # What a product list with refused products makes: "each" (recorded) answers 200
    # with the products it created and an error for each one it refused; "whole"
    # answers 400 and creates none.
    product_list_refusal: str = "each"
    # How the error of a refused product names it: "message" (its text starts with
    # "Item <n> (sku <sku>): "), "sku" or "externalId" (a field of the error). The
    # recording says only that the error named the SKU.
    refused_product_named_by: str = "message"
    # {sku: Shipwire's message}: products the sandbox refuses with that message,
    # however valid they are.
    refused_product_skus: dict = field(default_factory=dict)

    # Rate quotes (POST /rate)
    # Seconds every /rate answer takes, on top of ``latency`` (recorded: 0.16 to 3).
    rate_latency: float = 0.0
    # Pounds a unit weighs when its product has no dimensions.weight (the demo
    # catalogue's products have none).
    rate_default_weight: float = 1.0
    # Units of each currency a dollar buys; a quote asked in another currency is
    # refused.
    rate_exchange_rates: dict = field(
        default_factory=lambda: {
            "USD": 1.0,
            "CAD": 1.37,
            "EUR": 0.92,
            "GBP": 0.79,
            "AUD": 1.52,
        }
    )

    # What a shipped fulfillment order cost. Not recorded: nothing seen shows where
    # an order resource carries its cost. When true, a completed order carries
    # ``pricing`` {shipping, insurance, packaging, handling, total, currency} (the
    # parts of a rate quote, for what it shipped); false: no cost at all.
    order_pricing: bool = True

    # Receivings (inbound shipments)
    # Seconds every receiving create, update and cancel takes, on top of
    # ``latency`` (recorded: 3 to 6).
    receiving_write_latency: float = 0.0
    # Whether a receiving gets, once created, the holds Shipwire's sandbox was seen
    # to add a second or two later: "Order requires review by Shipwire" and, when
    # no tracking was sent, "Missing tracking information".
    receiving_holds_after_create: bool = False
    # Whether a receiving reads back its orderNo: not in 2015.
    receiving_echo_order_no: bool = False
    # How a cancelled receiving's status is spelled (filters take both).
    receiving_cancelled_spelling: str = "cancelled"

    # Returns (RMA), kept in the receivings' back end: they share the receivings'
    # write latency and cancelled spelling.
    # Seconds an order must have existed before it can be returned (Shipwire's
    # sandbox refused returns for some minutes), refused as a held order is.
    return_min_order_age: float = 0.0
    # Whether an accepted return carries the warning "This return will be shipped
    # to a different warehouse than the one specified." (recorded, cause unknown).
    return_warehouse_warning: bool = False

    # Webhooks
    allow_http_webhooks: bool = True
    check_webhook_url: bool = False
    webhook_topic_read_prefix: str = "v1."
    webhook_payload_topic_prefix: str = ""
    webhook_timeout: float = 5.0
    webhook_retry_delays: list = field(default_factory=lambda: [0.1, 0.5, 2.0, 5.0])
    webhook_max_attempts: int = 5
    webhook_duplicate_rate: float = 0.0
    webhook_reorder: bool = False

    # Faults
    fault_seconds: float = 1.0
    server_error_statuses: list = field(default_factory=lambda: [500, 503])

    def to_dict(self):
        return {spec.name: getattr(self, spec.name) for spec in fields(self)}

    def update(self, changes):
        """Apply a partial dict, refusing unknown names and values of the wrong type."""
        known = {spec.name: spec for spec in fields(self)}
        for name, value in changes.items():
            if name not in known:
                raise ValueError(f"Unknown setting: {name}")
            current = getattr(self, name)
            if not _same_kind(current, value):
                raise ValueError(f"Setting {name} expects {type(current).__name__}")
            if name in CHOICES and value not in CHOICES[name]:
                raise ValueError(f"{name} must be one of {', '.join(CHOICES[name])}")
        for name, value in changes.items():
            setattr(
                self,
                name,
                float(value) if isinstance(getattr(self, name), float) else value,
            )


def _same_kind(current, value):
    if isinstance(current, bool):
        return isinstance(value, bool)
    if isinstance(current, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(current, int):
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, type(current))
