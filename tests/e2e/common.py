"""Request bodies shared by the consultation tests."""
import copy
import os
import itertools

_counter = itertools.count(1)


def body(**over):
    b = {
        "title": "Adult social care charging policy",
        "summary": "We want to hear from people who pay towards their care.",
        "topics": ["adult-social-care", "Carers support"],
        "communities": ["older-people", "carers"],
        "areas": ["E09000007"],
        "fieldwork": {"start": "2027-03-01", "end": "2027-04-15"},
        "methods": ["survey", "focus-group"],
        "engagement_level": "consult",
        "expected_participants": 400,
        "contact": {"name": "Engagement team", "email": "engage@example.org"},
        "external_ref": "REF-%d-%d" % (os.getpid(), next(_counter)),
    }
    for k, v in over.items():
        if v is None:
            b.pop(k, None)
        else:
            b[k] = copy.deepcopy(v)
    return b


def create(d, token, **over):
    r = d.request("POST", "/v1/consultations", body(**over), token=token)
    assert r.status == 201, r
    return r.json
