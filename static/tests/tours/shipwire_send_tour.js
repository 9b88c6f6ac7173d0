/** @odoo-module **/

import { registry } from "@web/core/registry";

/**
 * A confirmed sales order, opened in its form view, is sent to Shipwire; its
 * Shipwire tab then shows the state, Shipwire's warning and the fulfillment order.
 *
 * tests/test_tour.py starts it on an order whose delivery address the sandbox cannot
 * verify. When that test asks for screenshots (with the cookie below), each
 * "screenshot" step asks the test for one and waits until it is taken; otherwise
 * those steps do nothing.
 */
const SCREENSHOTS_COOKIE = "shipwire_tour_screenshots=1";

function screenshot(name) {
    return {
        content: `Screenshot: ${name}`,
        trigger: "body",
        async run() {
            if (!document.cookie.split("; ").includes(SCREENSHOTS_COOKIE)) {
                return;
            }
            await new Promise((resolve) => {
                window.shipwireTourScreenshotTaken = resolve;
                console.log(`shipwire-tour-screenshot:${name}`);
            });
        },
    };
}

registry.category("web_tour.tours").add("shipwire_send_tour", {
    steps: () => [
        {
            content: "The confirmed order is open, ready to be sent",
            trigger: ".o_form_view button[name=action_shipwire_send]",
        },
        screenshot("1_order_confirmed"),
        {
            content: "Send it to Shipwire",
            trigger: ".o_form_view button[name=action_shipwire_send]",
            run: "click",
        },
        {
            content: "The click ends with a word of the outcome",
            trigger: ".o_notification:contains(Sent (1))",
        },
        screenshot("2_order_sent"),
        {
            content: "Open the Shipwire tab",
            trigger: ".o_notebook a.nav-link[name=shipwire]",
            run: "click",
        },
        {
            content: "Once sent, Refresh waits on the Shipwire tab",
            trigger: ".o_form_view button[name=action_shipwire_refresh]",
        },
        {
            content: "Shipwire approved the PO",
            trigger:
                ".o_field_widget[name=shipwire_state] .badge.text-bg-success:contains(Approved)",
        },
        {
            content: "Shipwire's warning about the address is listed",
            trigger:
                ".o_field_widget[name=shipwire_message_ids] .o_data_row:contains(Could not verify shipping address) .badge.text-bg-warning:contains(Warning)",
        },
        {
            content: "The fulfillment order Shipwire made is listed, from Los Angeles",
            trigger:
                ".o_field_widget[name=shipwire_fulfillment_order_ids] .o_data_row:contains(Los Angeles) .badge:contains(Waiting at the warehouse)",
        },
        {
            content: "The PO id is shown",
            trigger: ".o_field_widget[name=shipwire_po_id]:contains(/\\d+/)",
        },
        screenshot("3_shipwire_tab"),
        {
            content: "Open the order's Shipwire PO",
            trigger: ".o_form_view button[name=action_shipwire_open_purchase_order]",
            run: "click",
        },
        {
            content: "The PO record shows the state and the order's buttons",
            trigger:
                ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Approved)",
        },
        {
            content: "Go to the clerk's work list: Shipwire > Purchase orders",
            trigger: ".o_form_view button[name=action_refresh]",
            run() {
                window.location.href =
                    "/odoo/action-sale_stock_shipwire.shipwire_purchase_order_action";
            },
        },
        {
            content: "The list shows the sent order's PO, approved",
            trigger:
                ".o_list_view .o_data_row:contains(Max Retail) .badge.text-bg-success:contains(Approved)",
        },
        screenshot("4_purchase_order_list"),
    ],
});
