import logging
import secrets
import threading
import time
from collections import defaultdict
from datetime import timedelta, timezone

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import split_every

from ..const import GROUP_ADMIN, GROUP_MANAGER, WEBHOOK_ROUTE
from ..shipwire_api import ShipwireClient, ShipwireError, strip_split_suffix
from ..shipwire_api.envelope import collection_items
from ..shipwire_api.snapshot import ORDER_EXPANSIONS

_logger = logging.getLogger(__name__)

# Where the credentials are sent: changing it is an administrator's call, as they are.
SERVER_FIELDS = {"environment", "custom_url"}
# A sync that met a concurrent update runs again this much later.
SYNC_CONFLICT_DELAY = timedelta(minutes=1)
# Look back a little before the last sync, in case of clock skew.
SYNC_OVERLAP = timedelta(minutes=5)
FIRST_SYNC_LOOKBACK = timedelta(days=30)
SYNC_BATCH_SIZE = 200
# Past this, a sync run stops after its batch and the scheduler runs it again.
SYNC_TIME_BUDGET = 60
WEBHOOK_TOPICS = (
    "order.processed",
    "order.submitted",
    "order.completed",
    "order.canceled",
    "order.hold.added",
    "order.hold.cleared",
    "tracking.created",
    "tracking.updated",
    "tracking.delivered",
    "purchaseorder.needs-approval",
    "purchaseorder.approved",
    "purchaseorder.partially-completed",
    "purchaseorder.completed",
    "purchaseorder.canceled",
)
MAX_RETENTION_DAYS = 3650


def ensure_group(env, *groups):
    """Raise ``AccessError`` unless the current user belongs to one of ``groups``."""
    if not any(env.user.has_group(group) for group in groups):
        names = ", ".join(env.ref(group).sudo().full_name for group in groups)
        raise AccessError(env._("Only %(groups)s may do this.", groups=names))


class ShipwireBackend(models.Model):
    """A Shipwire account: credentials, defaults and warehouse mapping."""

    _name = "shipwire.backend"
    _description = "Shipwire account"
    _inherit = ["mail.thread"]
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    environment = fields.Selection(
        [
            ("sandbox", "Shipwire sandbox (beta)"),
            ("production", "Production"),
            ("custom", "Custom URL"),
        ],
        required=True,
        default="sandbox",
        tracking=True,
    )
    custom_url = fields.Char(
        string="URL",
        help="Base URL of a Shipwire-compatible server, e.g. the local sandbox "
        "http://127.0.0.1:8765",
    )
    username = fields.Char(
        string="API user", groups=GROUP_ADMIN, copy=False, exportable=False
    )
    password = fields.Char(
        string="API password", groups=GROUP_ADMIN, copy=False, exportable=False
    )
    read_timeout = fields.Float(
        string="Read timeout (s)",
        default=150,
        help="Seconds to wait for Shipwire's answer. Shipwire asks for up to 150.",
    )
    external_id_prefix = fields.Char(
        default="ODOO-",
        required=True,
        help="Start of the externalId of every PO sent from this database. "
        "Give each database sharing one Shipwire account its own prefix.",
    )
    do_not_persist_on_warnings = fields.Boolean(
        string="Reject POs with problems",
        default=True,
        help="On: Shipwire refuses a PO with errors, and the order shows them. "
        "Off: Shipwire keeps it on hold until it is corrected with Update.",
    )
    auto_approve = fields.Boolean(
        string="Send POs approved",
        default=True,
        help="Off: each PO waits for Approve, in Odoo or at Shipwire.",
    )
    can_split = fields.Boolean(
        string="Allow splitting",
        help="Let Shipwire ship a PO from several warehouses, one fulfillment order "
        "each. Limits externalIds to 30 characters.",
    )
    hold_on_create = fields.Boolean(
        string="Send POs on hold", help="Shipwire keeps new POs on hold."
    )
    currency_id = fields.Many2one(
        "res.currency", help="Currency of customs values; the order's when empty."
    )
    channel_name = fields.Char(help="Sent as channelName.")
    referrer = fields.Char(help="Sent as options.referrer.")
    default_service_level = fields.Char(
        default="GD",
        required=True,
        help="Shipwire serviceLevelCode when the delivery method is not mapped.",
    )
    warehouse_ids = fields.One2many(
        "shipwire.warehouse", "backend_id", string="Warehouses"
    )
    service_level_ids = fields.One2many(
        "shipwire.service.level", "backend_id", string="Service levels"
    )
    exchange_retention_days = fields.Integer(
        string="Keep API calls (days)", default=30, required=True
    )
    exchange_count = fields.Integer(compute="_compute_exchange_count")
    sync_cursor = fields.Datetime(
        copy=False,
        help="The next sync asks Shipwire for what changed since this moment.",
    )
    sync_window_start = fields.Datetime(copy=False)
    sync_resume_key = fields.Char(
        copy=False, help="Where an unfinished sync run goes on from."
    )
    last_sync_date = fields.Datetime(string="Last successful sync", copy=False)
    last_sync_error = fields.Text(copy=False)
    last_sync_error_date = fields.Datetime(string="Last sync failure", copy=False)
    webhook_token = fields.Char(
        copy=False,
        groups=GROUP_ADMIN,
        exportable=False,
        default=lambda self: secrets.token_urlsafe(24),
        help="Part of the webhook URL: only Shipwire knows it.",
    )
    webhook_url = fields.Char(compute="_compute_webhook_url", groups=GROUP_ADMIN)
    webhook_secret_ids = fields.One2many(
        "shipwire.webhook.secret", "backend_id", groups=GROUP_ADMIN
    )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_with_orders(self):
        for backend in self:
            count = (
                self.env["sale.order"]
                .sudo()
                .search_count([("shipwire_backend_id", "=", backend.id)])
            )
            if count:
                raise UserError(
                    self.env._(
                        "The Shipwire account %(account)s is used by %(count)s sales "
                        "orders, which would lose their link to Shipwire: archive it "
                        "instead.",
                        account=backend.name,
                        count=count,
                    )
                )

    def write(self, vals):
        if (
            SERVER_FIELDS & vals.keys()
            and not self.env.is_superuser()
            and not self.env.user.has_group(GROUP_ADMIN)
        ):
            raise AccessError(
                self.env._(
                    "Only an administrator can point a Shipwire account at another "
                    "server: the account's API password is sent there."
                )
            )
        return super().write(vals)

    @api.constrains("read_timeout", "exchange_retention_days")
    def _check_limits(self):
        for backend in self:
            if backend.read_timeout <= 0:
                raise ValidationError(
                    self.env._(
                        "%(account)s: the read timeout must be more than 0 seconds "
                        "(Shipwire asks for 150).",
                        account=backend.name,
                    )
                )
            if not 1 <= backend.exchange_retention_days <= MAX_RETENTION_DAYS:
                raise ValidationError(
                    self.env._(
                        "%(account)s: keep API calls between 1 and %(max)s days.",
                        account=backend.name,
                        max=MAX_RETENTION_DAYS,
                    )
                )

    @api.depends("webhook_token")
    def _compute_webhook_url(self):
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        for backend in self:
            backend.webhook_url = f"{base_url}{WEBHOOK_ROUTE}/{backend.webhook_token}"

    @api.depends_context("uid")
    def _compute_exchange_count(self):
        counts = dict(
            self.env["shipwire.exchange"]._read_group(
                [("backend_id", "in", self.ids)], ["backend_id"], ["__count"]
            )
        )
        for backend in self:
            backend.exchange_count = counts.get(backend, 0)

    @api.model
    def _for_warehouse(self, warehouse):
        """The account that serves ``warehouse``, or an empty recordset."""
        mapping = self.env["shipwire.warehouse"].search(
            [
                ("warehouse_id", "=", warehouse.id),
                ("backend_id.active", "=", True),
                ("company_id", "=", warehouse.company_id.id),
            ],
            limit=1,
        )
        return mapping.backend_id

    def _warehouse_mapping(self, warehouse):
        self.ensure_one()
        return self.warehouse_ids.filtered(lambda m: m.warehouse_id == warehouse)[:1]

    def _service_level_for(self, carrier):
        self.ensure_one()
        mapping = self.service_level_ids.filtered(lambda m: m.carrier_id == carrier)
        return mapping[:1].service_level_code or self.default_service_level

    def _missing_configuration(self):
        """What stops this account from calling Shipwire, in words for an admin."""
        self.ensure_one()
        backend = self.sudo()
        problems = []
        if not backend.username or not backend.password:
            problems.append(
                self.env._(
                    "Shipwire account %(account)s has no API user or password: "
                    "an administrator sets them under Inventory > Configuration > "
                    "Shipwire > Accounts.",
                    account=self.name,
                )
            )
        if backend.environment == "custom" and not backend.custom_url:
            problems.append(
                self.env._(
                    "Shipwire account %(account)s uses a custom URL but has none.",
                    account=self.name,
                )
            )
        return problems

    def _make_client(self, exchange_hook=None):
        """A ``ShipwireClient`` for this account. Safe to use from worker threads."""
        self.ensure_one()
        problems = self._missing_configuration()
        if problems:
            raise UserError("\n".join(problems))
        backend = self.sudo()
        url = (
            backend.custom_url
            if backend.environment == "custom"
            else backend.environment
        )
        return ShipwireClient(
            backend.username,
            backend.password,
            url,
            read_timeout=backend.read_timeout,
            do_not_persist_on_warnings=backend.do_not_persist_on_warnings,
            exchange_hook=exchange_hook,
        )

    def action_test_connection(self):
        """Check the credentials with a one-item PO list, and tell how it went."""
        self.ensure_one()
        ensure_group(self.env, GROUP_MANAGER, GROUP_ADMIN)
        exchanges = []
        client = self._make_client(exchanges.append)
        try:
            client.request(
                "GET", "/purchaseOrders", params={"limit": 1}, operation="test"
            )
        except ShipwireError as error:
            kind = "danger"
            message = self.env._("Shipwire connection failed: %(error)s", error=error)
        else:
            kind = "success"
            message = self.env._("Shipwire accepted the credentials.")
        finally:
            client.close()
        return self._log_and_notify(exchanges, kind, message)

    def _log_and_notify(self, exchanges, kind, message):
        """Log the calls and tell how it went: a notification, not an exception,
        so that the logged calls are kept even when it went wrong."""
        self.env["shipwire.exchange"]._record(self, exchanges)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"type": kind, "message": message, "sticky": kind == "danger"},
        }

    def action_open_exchanges(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sale_stock_shipwire.shipwire_exchange_action"
        )
        action["domain"] = [("backend_id", "=", self.id)]
        return action

    # -- scheduled sync ------------------------------------------------------------

    @api.model
    def _cron_sync(self):
        """Bring every account's POs up to date. One failing account never stops
        the others, and the job itself does not fail because of Shipwire."""
        done = remaining = 0
        for backend in self.search([]):
            progress = backend.with_company(backend.company_id)._sync()
            done += progress[0]
            remaining += progress[1]
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)

    def _sync(self):
        """Read what changed at Shipwire since the cursor and store it, batch by
        batch. Returns ``(done, remaining)`` POs."""
        self.ensure_one()
        started = fields.Datetime.now()
        window_start = self.sync_window_start or started
        since = (self.sync_cursor or started - FIRST_SYNC_LOOKBACK) - SYNC_OVERLAP
        exchanges = []
        try:
            client = self._make_client(exchanges.append)
            try:
                updated_after = since.replace(tzinfo=timezone.utc)
                purchase_orders = client.search_purchase_orders(
                    updated_after=updated_after
                )
                orders = client.search_orders(
                    updated_after=updated_after, expand=ORDER_EXPANSIONS
                )
            finally:
                client.close()
        except (ShipwireError, UserError) as error:
            self.env["shipwire.exchange"]._record(self, exchanges)
            self.write({"last_sync_error": str(error), "last_sync_error_date": started})
            self._commit_progress()
            return 0, 0
        self.env["shipwire.exchange"]._record(self, exchanges)
        remote = self._group_by_purchase_order(purchase_orders, orders)
        keys = sorted(remote, key=lambda key: (len(key), key))
        if self.sync_resume_key:
            resume = (len(self.sync_resume_key), self.sync_resume_key)
            keys = [key for key in keys if (len(key), key) > resume]
        clock = time.monotonic()
        done = 0
        for batch in split_every(SYNC_BATCH_SIZE, keys):
            try:
                self._sync_batch({key: remote[key] for key in batch})
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                # Another transaction changed these orders meanwhile (a webhook, a
                # refresh): not a fault of the records. The batch was undone and the
                # cursor stays put, so the next run reads it again. Odoo counts a
                # run that did nothing as finished: the trigger brings it on.
                _logger.info("Shipwire sync of %s met a concurrent update", self.name)
                self.env.ref("sale_stock_shipwire.ir_cron_shipwire_sync")._trigger(
                    fields.Datetime.now() + SYNC_CONFLICT_DELAY
                )
                return done, len(keys) - done
            done += len(batch)
            if done < len(keys) and time.monotonic() - clock > SYNC_TIME_BUDGET:
                self.write(
                    {"sync_resume_key": batch[-1], "sync_window_start": window_start}
                )
                self._commit_progress()
                return done, len(keys) - done
            self._commit_progress()
        self.write(
            {
                "sync_cursor": window_start,
                "sync_window_start": False,
                "sync_resume_key": False,
                "last_sync_date": fields.Datetime.now(),
                "last_sync_error": False,
            }
        )
        self._commit_progress()
        return done, 0

    def _commit_progress(self):
        # Each batch is kept even if a later one fails; tests run in one transaction.
        if not getattr(threading.current_thread(), "testing", False):
            self.env.cr.commit()  # pylint: disable=invalid-commit

    @staticmethod
    def _group_by_purchase_order(purchase_orders, orders):
        """``{key: (PO resource or None, [order resources])}``, keyed by PO id, or
        by the order's externalId without split suffix when it names no PO."""
        remote = defaultdict(lambda: [None, []])
        for purchase_order in purchase_orders:
            remote[str(purchase_order["id"])][0] = purchase_order
        for order in orders:
            key = order.get("purchaseOrderId") or strip_split_suffix(
                order.get("purchaseOrderExternalId") or order.get("externalId") or ""
            )
            remote[str(key)][1].append(order)
        return remote

    def _sync_batch(self, remote):
        """Store one batch; a record that fails is logged on it, the rest go on."""
        matched = self._match_orders(remote)
        try:
            with self.env.cr.savepoint():
                self.env["sale.order"]._shipwire_store_remote(matched)
            return
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            raise
        except Exception:  # noqa: BLE001 - any record may fail; retried one by one
            _logger.info("Shipwire sync batch failed; storing its orders one by one")
        for order, entry in matched.items():
            try:
                with self.env.cr.savepoint():
                    self.env["sale.order"]._shipwire_store_remote({order: entry})
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                raise
            except Exception as error:  # noqa: BLE001
                _logger.exception("Shipwire sync of %s failed", order.name)
                failure = self.env._("Sync failed: %(error)s", error=error)
                order._shipwire_add_messages([failure])
                # The next runs only read what changes: a person has to look.
                order._shipwire_schedule_activity(self.env._("sync failed"), [failure])

    def _match_orders(self, remote):
        """``{sale.order: (PO, orders)}`` for the remote entries this account knows:
        by PO id first, then by externalId or order number without split suffix."""
        SaleOrder = self.env["sale.order"]
        by_po_id = {
            order.shipwire_po_id: order
            for order in SaleOrder.search(
                [
                    ("shipwire_backend_id", "=", self.id),
                    ("shipwire_po_id", "in", list(remote)),
                ]
            )
        }
        references = {
            key: _references(key, entry)
            for key, entry in remote.items()
            if key not in by_po_id
        }
        by_reference = {}
        wanted = list(set().union(*references.values()))
        if wanted:
            for order in SaleOrder.search(
                [
                    ("shipwire_backend_id", "=", self.id),
                    "|",
                    ("shipwire_external_id", "in", wanted),
                    ("name", "in", wanted),
                ]
            ):
                by_reference[order.shipwire_external_id] = order
                by_reference[order.name] = order
        matched = {}
        for key, entry in remote.items():
            order = by_po_id.get(key) or next(
                (by_reference[ref] for ref in references[key] if ref in by_reference),
                None,
            )
            if order is not None:
                matched[order] = entry
        return matched

    # -- webhooks ------------------------------------------------------------------

    @api.model
    def _for_webhook_token(self, token):
        if not token:
            return self.browse()
        return self.sudo().search([("webhook_token", "=", token)], limit=1)

    def _webhook_secrets(self):
        return [(s.shipwire_id, s.secret) for s in self.sudo().webhook_secret_ids]

    def _handle_webhook(self, topic, resource):
        """Apply one verified delivery. Returns False for a topic we do not know.

        Deliveries may repeat or come out of order: storing is idempotent and an
        update older than what is stored changes nothing. An order we cannot place
        triggers a catch-up sync instead of a call from inside the request."""
        self.ensure_one()
        kind = topic.removeprefix("v1.").split(".", 1)[0]
        if kind not in ("order", "tracking", "purchaseorder"):
            return False
        if not isinstance(resource, dict):
            return True
        if kind == "tracking":
            self._handle_tracking_webhook(resource)
            return True
        if kind == "order":
            key = str(resource.get("purchaseOrderId") or "")
            entry = (None, [resource])
        else:
            key = str(resource.get("id") or "")
            entry = (resource, None)
        matched = self._match_orders({key: entry})
        if matched:
            self.env["sale.order"]._shipwire_store_remote(matched)
        else:
            self.env.ref("sale_stock_shipwire.ir_cron_shipwire_sync")._trigger()
        return True

    def _handle_tracking_webhook(self, trackings):
        items = collection_items(trackings) or [trackings]
        order_ids = {str(item.get("orderId")) for item in items if item.get("orderId")}
        fulfillment_orders = self.env["shipwire.fulfillment.order"].search(
            [
                ("shipwire_id", "in", list(order_ids)),
                ("sale_order_id.shipwire_backend_id", "=", self.id),
            ]
        )
        if len(fulfillment_orders) < len(order_ids):
            self.env.ref("sale_stock_shipwire.ir_cron_shipwire_sync")._trigger()
        fulfillment_orders._shipwire_sync_children(
            [
                (
                    fulfillment_order,
                    {
                        "trackings": {
                            "resource": {
                                "items": [
                                    item
                                    for item in items
                                    if str(item.get("orderId"))
                                    == fulfillment_order.shipwire_id
                                ]
                            }
                        }
                    },
                )
                for fulfillment_order in fulfillment_orders
            ]
        )
        fulfillment_orders._shipwire_update_tracking_reference()

    def action_register_webhooks(self):
        """Subscribe this Odoo to Shipwire's events, signed with a new secret."""
        self.ensure_one()
        ensure_group(self.env, GROUP_ADMIN)
        backend = self.sudo()
        exchanges = []
        client = self._make_client(exchanges.append)
        try:
            secret = client.create_secret()
            # Kept at once: Shipwire may sign with it even if a later step fails.
            backend.webhook_secret_ids = [
                fields.Command.create(
                    {"shipwire_id": str(secret["id"]), "secret": secret["secret"]}
                )
            ]
            for subscription in client.list_webhooks():
                if subscription.get("url") == backend.webhook_url:
                    client.delete_webhook(subscription["id"])
            for topic in WEBHOOK_TOPICS:
                client.create_webhook(topic, backend.webhook_url)
        except ShipwireError as error:
            kind = "danger"
            message = self.env._(
                "Shipwire refused the webhooks: %(error)s. Press Register webhooks "
                "again once this is fixed.",
                error=error,
            )
        else:
            kind = "success"
            message = self.env._(
                "Shipwire now sends %(count)s kinds of events to this Odoo.",
                count=len(WEBHOOK_TOPICS),
            )
            backend.message_post(body=message)
        finally:
            client.close()
        # The new secret, stored first, is masked in the logged calls.
        return self._log_and_notify(exchanges, kind, message)


def _references(key, entry):
    """Every name a remote PO entry may know its sales order by: its externalId,
    or, only when it carries none, its order number (split suffixes removed).
    Order numbers alone could match another database's orders on one account."""
    found = {key}
    for resource in filter(None, [entry[0], *(entry[1] or ())]):
        names = [
            resource.get(name)
            for name in ("externalId", "purchaseOrderExternalId")
            if resource.get(name)
        ] or [
            resource.get(name)
            for name in ("purchaseOrderNo", "orderNo")
            if resource.get(name)
        ]
        found.update(strip_split_suffix(str(name)) for name in names)
    return found
