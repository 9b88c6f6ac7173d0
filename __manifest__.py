{
    "name": "Shipwire Purchase Orders",
    "summary": "Send B2B sales orders to Shipwire as warehouse purchase orders "
    "and keep their fulfillment in step",
    "version": "18.0.1.0.0",
    "category": "Inventory/Delivery",
    "license": "LGPL-3",
    "author": "sale_stock_shipwire developers",
    "depends": ["sale_stock", "stock_delivery"],
    "external_dependencies": {"python": ["requests"]},
    "data": [
        "security/shipwire_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "data/mail_activity_type_data.xml",
        "views/shipwire_backend_views.xml",
        "views/shipwire_exchange_views.xml",
        "views/shipwire_fulfillment_order_views.xml",
        "views/shipwire_product_views.xml",
        "views/shipwire_purchase_order_views.xml",
        "views/shipwire_retailer_product_views.xml",
        "views/shipwire_stock_level_views.xml",
        "views/sale_order_views.xml",
        "views/shipwire_menus.xml",
        "views/shipwire_webhook_event_views.xml",
    ],
    "images": ["static/description/banner.png"],
    "assets": {
        "web.assets_backend": [
            "sale_stock_shipwire/static/src/scss/notification.scss",
        ],
        "web.assets_tests": [
            "sale_stock_shipwire/static/tests/tours/*.js",
        ],
    },
    "installable": True,
    "application": True,
}
