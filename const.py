"""Names shared by the models, the controller and the mapper."""

GROUP_USER = "sale_stock_shipwire.group_shipwire_user"
GROUP_MANAGER = "sale_stock_shipwire.group_shipwire_manager"
GROUP_ADMIN = "base.group_system"

WEBHOOK_ROUTE = "/shipwire/webhook"

# Fulfillment order statuses (normalized) meaning the goods left the warehouse.
SHIPPED_STATUSES = ("completed", "delivered")

TODO_ACTIVITY = "mail.mail_activity_data_todo"
# Asks to fix the PO (rejected, held): Shipwire accepting it closes the activity.
FIX_PO_ACTIVITY = "sale_stock_shipwire.mail_activity_type_fix_po"

# The class of the module's notifications: their lines are shown as lines.
NOTIFICATION_CLASS = "o_shipwire_notification"
# An account's calls fail: Shipwire answering again closes the activity.
OUTAGE_ACTIVITY = "sale_stock_shipwire.mail_activity_type_outage"
