"""IoT and monitoring: devices, sensors, readings, alerts."""

from apiforge.engine.domain.entry import noun

NOUNS = (
    noun("device", "name, serial_number?, kind?, online:bool, last_seen_at?",
         parents="user?|location?|room?|site?"),
    noun("sensor", "name, kind:temperature/humidity/motion/light/pressure?, unit?",
         parents="device|station|room?"),
    noun("reading", "value:num, recorded_at", parents="sensor|device|station|meter",
         also="measurement, sample, data point, observation"),
    noun("alert", "message, severity:info/warning/critical?, triggered_at?, resolved:bool",
         parents="device?|sensor?|server?"),
    noun("station", "name, latitude:num?, longitude:num?", also="weather station"),
    noun("meter", "serial_number, kind:electricity/water/gas?", parents="customer?|site?"),
    noun("site", "name, address?"),
    noun("gateway", "name, ip_address?, online:bool", parents="site?"),
    noun("firmware", "version, released_on:date?, notes?", plural="firmwares",
         also="firmware version"),
    noun("command", "name, payload?, sent_at?, status:queued/sent/acknowledged/failed?",
         parents="device"),
    noun("server", "hostname, ip_address?, region?, status:up/down/maintenance?"),
    noun("log_entry", "message, level:debug/info/warning/error?, logged_at?",
         parents="server?|device?|app?|service?", also="log"),
    noun("metric", "name, value:num, recorded_at", parents="server?|device?|service?"),
    noun("incident", "title, severity:low/medium/high/critical?, "
         "status:open/investigating/resolved?, started_at?", parents="service?|server?"),
    noun("plant", "name, species?, last_watered:date?, watering_interval_days:int?",
         parents="user?|garden?"),
)  # fmt: skip
