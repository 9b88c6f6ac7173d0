/** @odoo-module **/

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

/**
 * A clerk's day from the Shipwire overview: why is an order held, then send the
 * order waiting to be sent.
 *
 * tests/test_tour.py starts it as the clerk, with one account ("Sandbox"), one
 * order of Max Retail held at Shipwire ("Address needs a suite number") and one
 * confirmed order of Harbor Jewels never sent.
 */
const CARD = ".o_kanban_record:contains(Sandbox)";

function openOverview() {
    return [
        {
            content: "Open the Operations menu",
            trigger: '.o_menu_sections [data-menu-xmlid="stock.menu_stock_warehouse_mgmt"]',
            run: "click",
        },
        {
            content: "Operations, Shipwire, Overview",
            trigger: '.dropdown-item[data-menu-xmlid="sale_stock_shipwire.menu_shipwire_overview"]',
            run: "click",
        },
    ];
}

function counter(label, count) {
    return [
        {
            content: `The account's card counts ${count} ${label}`,
            trigger: `${CARD} div:has(> button:contains(${label})) > span:contains(${count})`,
        },
        {
            content: `Open the ${label} list`,
            trigger: `${CARD} button[name=action_overview_open]:contains(${label})`,
            run: "click",
        },
    ];
}

registry.category("web_tour.tours").add("shipwire_clerk_tour", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open Inventory",
            trigger: '.o_app[data-menu-xmlid="stock.menu_stock_root"]',
            run: "click",
        },
        {
            // Its graphs load a bundle of their own: leaving before they are drawn
            // cuts that request short, and the page fails on the error answer.
            content: "Inventory's overview is drawn",
            trigger: ".o_action_manager .o_kanban_view .o_kanban_record",
        },
        ...openOverview(),
        {
            content: "The account is healthy",
            trigger: `.o_kanban_view ${CARD} .badge:contains(Healthy)`,
        },
        ...counter("On hold", 1),
        {
            content: "The list is the account's held POs",
            trigger: ".o_breadcrumb .active:contains(Sandbox: On hold)",
        },
        {
            content: "It shows the held PO of Max Retail",
            trigger: ".o_list_view .o_data_row:contains(Max Retail) .badge:contains(On hold)",
        },
        {
            content: "The held PO has one open problem",
            trigger: ".o_list_view .o_data_row:contains(Max Retail) td[name=open_problem_count]:contains(1)",
        },
        {
            content: "Open the held PO",
            trigger: ".o_list_view .o_data_row:contains(Max Retail) td[name=sale_order_id]",
            run: "click",
        },
        {
            content: "Open its sales order",
            trigger: ".o_form_view button[name=action_open_sale_order]",
            run: "click",
        },
        {
            content: "Open the order's Shipwire tab",
            trigger: ".o_form_view .o_notebook a.nav-link[name=shipwire]",
            run: "click",
        },
        {
            content: "The order is on hold",
            trigger: ".o_field_widget[name=shipwire_state] .badge:contains(On hold)",
        },
        {
            content: "The hold's reason is on the order",
            trigger:
                ".o_field_widget[name=shipwire_hold_ids] .o_data_row:contains(Address needs a suite number)",
        },
        ...openOverview(),
        ...counter("To send", 1),
        {
            content: "Open the order to send",
            trigger: ".o_list_view .o_data_row:contains(Harbor Jewels) td[name=name]",
            run: "click",
        },
        {
            content: "Send it to Shipwire",
            trigger: ".o_form_view .o_statusbar_buttons button[name=action_shipwire_send]",
            run: "click",
        },
        {
            content: "The click ends with a word of the outcome",
            trigger: ".o_notification:contains(Sent (1))",
        },
        {
            content: "Nothing is left to send from the header",
            trigger: ".o_form_view .o_statusbar_buttons:not(:has(button[name=action_shipwire_send]))",
        },
        {
            content: "Open the order's Shipwire tab",
            trigger: ".o_form_view .o_notebook a.nav-link[name=shipwire]",
            run: "click",
        },
        {
            content: "The order shows as sent: Shipwire approved it",
            trigger:
                ".o_field_widget[name=shipwire_state] .badge.text-bg-success:contains(Approved)",
        },
        {
            content: "It has a Shipwire PO",
            trigger: ".o_field_widget[name=shipwire_po_id]:contains(/\\d+/)",
        },
    ],
});
