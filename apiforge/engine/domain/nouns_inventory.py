"""Inventory and logistics: stock, warehouses, suppliers and shipments."""

from apiforge.engine.domain.entry import noun

NOUNS = (
    noun("warehouse", "name, city?, address?, capacity:int?", also="depot"),
    noun("inventory_item", "name, sku, quantity:int, location?, reorder_level:int?",
         parents="warehouse?, supplier?", also="stock item, inventory"),
    noun("item", "name, description?, quantity:int?, price:num?", parents="category?|list?"),
    noun("supplier", "name, email?, phone?, country?", also="provider company, distributor"),
    noun("shipment", "tracking_number, status:pending/in_transit/delivered/returned?, "
         "shipped_on:date?, weight:num?", parents="order?, supplier?|carrier?, warehouse?"),
    noun("carrier", "name, phone?, website?"),
    noun("purchase_order", "order_number, status:draft/sent/received/cancelled?, total:num?, "
         "ordered_on:date?", parents="supplier"),
    noun("stock_movement", "quantity:int, kind:in/out/adjustment, moved_at?",
         parents="inventory_item|product|item, warehouse?", also="stock move"),
    noun("bin", "label, capacity:int?, is_full:bool", parents="warehouse|shelf"),
    noun("shelf", "label, aisle?", parents="warehouse"),
    noun("asset", "name, serial_number?, purchased_on:date?, value:num?, "
         "status:in_use/in_storage/retired?", parents="employee?|location?|department?"),
    noun("equipment", "name, serial_number?, condition:new/good/worn/broken?, available:bool",
         parents="location?|gym?|department?", plural="equipment", also="tool"),
    noun("location", "name, address?, city?"),
    noun("part", "name, part_number, quantity:int?, price:num?", parents="supplier?"),
    noun("batch", "code, quantity:int, expires_on:date?", parents="product|inventory_item",
         also="lot"),
)  # fmt: skip
