from odoo import api, fields, models
from odoo.exceptions import UserError

from ..const import GROUP_ADMIN, GROUP_MANAGER, GROUP_USER
from ..shipwire_api import ShipwireClient, ShipwireError
from .shipwire_backend import ensure_group, notification


class ShipwireBackendConnection(models.Model):
    """How an account calls Shipwire: its client, the connection test and the
    log of its calls."""

    _inherit = "shipwire.backend"  # pylint: disable=consider-merging-classes-inherited

    exchange_count = fields.Integer(
        compute="_compute_exchange_count", groups=GROUP_USER
    )

    @api.depends_context("uid")
    def _compute_exchange_count(self):
        counts = dict(
            self.env["shipwire.exchange"]._read_group(
                [("backend_id", "in", self.ids)], ["backend_id"], ["__count"]
            )
        )
        for backend in self:
            backend.exchange_count = counts.get(backend, 0)

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
            do_not_persist_on_warnings=backend.do_not_persist_on_warnings,
            exchange_hook=exchange_hook,
            **backend._patience(),
        )

    def action_test_connection(self):
        """Check the credentials with a one-item PO list, and tell how it went."""
        self.ensure_one()
        ensure_group(self.env, GROUP_MANAGER, GROUP_ADMIN)
        # The module calls as superuser: the company rules are checked here.
        self.check_access("read")
        exchanges = []
        client = self.with_context(shipwire_click=True)._make_client(exchanges.append)
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
        return notification(kind, message, reload=True)

    def action_open_exchanges(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sale_stock_shipwire.shipwire_exchange_action"
        )
        action["domain"] = [("backend_id", "=", self.id)]
        return action
