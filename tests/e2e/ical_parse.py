"""Parses an iCalendar document with python3-icalendar, an independent parser
(Debian's, so it runs under /usr/bin/python3), and prints what it read as JSON:
the calendar's properties and each VEVENT's, as text, dates as ISO strings.
Usage: /usr/bin/python3 ical_parse.py < calendar.ics"""
import datetime
import json
import sys

import icalendar


def value(v):
    if hasattr(v, "dt"):
        d = v.dt
        if isinstance(d, datetime.datetime):
            return {"datetime": d.isoformat(), "utc": d.tzinfo is not None and d.utcoffset() == datetime.timedelta(0)}
        if isinstance(d, datetime.date):
            return {"date": d.isoformat()}
        return str(d)
    if hasattr(v, "cats"):
        return [str(c) for c in v.cats]
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, list):
        return [value(x) for x in v]
    return str(v)


def props(component):
    out = {}
    for k, v in component.property_items(recursive=False):
        if k in ("BEGIN", "END"):
            continue
        out[k] = value(component.decoded(k) if k in ("SEQUENCE",) else component[k])
        params = getattr(component[k], "params", None)
        if params:
            out[k + ";params"] = dict(params)
    return out


data = sys.stdin.buffer.read()
cal = icalendar.Calendar.from_ical(data)
print(json.dumps({"calendar": props(cal), "events": [props(e) for e in cal.walk("VEVENT")],
                  "errors": [str(e) for c in cal.walk() for e in getattr(c, "errors", [])]}))
