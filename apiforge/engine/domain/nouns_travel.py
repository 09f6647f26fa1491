"""Travel and places: hotels, rooms, flights, trips."""

from apiforge.engine.domain.entry import noun

NOUNS = (
    noun("hotel", "name, address, city?, stars:int?"),
    noun("room", "number, floor:int?, kind:single/double/suite?, price_per_night:num, "
         "is_available:bool", parents="hotel?|building?|venue?"),
    noun("guest", "full_name, email, phone?"),
    noun("flight", "flight_number, departs_at, arrives_at?, origin, destination, price:num?",
         parents="airline?"),
    noun("airline", "name, code"),
    noun("airport", "code, name, city?, country?"),
    noun("passenger", "full_name, email?, passport_number?", parents="flight?|booking?"),
    noun("trip", "title, starts_on:date, ends_on:date?, destination?, budget:num?",
         parents="user?|traveler?", also="journey, vacation, holiday"),
    noun("itinerary_item", "title, starts_at?, location?, notes?", parents="trip",
         also="itinerary, activity"),
    noun("destination", "name, country?, description?"),
    noun("tour", "name, price:num?, duration_days:int?, starts_on:date?",
         parents="guide?|destination?"),
    noun("guide", "name, languages:list, phone?"),
    noun("property", "title, address, city?, price:num?, bedrooms:int?, available:bool",
         parents="owner?|host?|agent?", plural="properties", also="apartment, house, rental"),
    noun("host", "name, email, phone?"),
    noun("place", "name, address?, latitude:num?, longitude:num?", parents="category?|city?"),
    noun("city", "name, country, population:int?", plural="cities"),
    noun("country", "name, code", plural="countries"),
    noun("vehicle", "make, model, year:int?, plate_number?, mileage:int?, vin?",
         parents="owner?|driver?", also="car, truck"),
    noun("rental", "starts_on:date, ends_on:date?, price:num?, status:reserved/active/returned?",
         parents="vehicle|car|equipment|property|bike, customer|user"),
    noun("parking_spot", "code, level:int?, is_occupied:bool", parents="parking_lot?|garage?",
         also="spot, parking space"),
    noun("route", "name, origin?, destination?, distance_km:num?"),
    noun("stop", "name, latitude:num?, longitude:num?", parents="route?|trip?"),
)  # fmt: skip
