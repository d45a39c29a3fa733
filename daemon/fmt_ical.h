/* fmt_ical.h - consultations as an RFC 5545 calendar (pure: no I/O).
 *
 * One all-day VEVENT per consultation, written for what calendar clients
 * (Outlook, Google Calendar, Apple Calendar, Thunderbird) actually do with a
 * subscribed feed:
 *   - DTSTART;VALUE=DATE is the first fieldwork day and DTEND;VALUE=DATE the
 *     day after the last: RFC 5545 section 3.6.1, DTEND is exclusive, so a
 *     one-day consultation has DTEND = DTSTART + 1 (never equal);
 *   - UID is derived from the consultation id alone, so an edit updates the
 *     event; SEQUENCE is the consultation's version, so a moved consultation
 *     moves instead of appearing twice (section 3.8.7.4);
 *   - DTSTAMP (and LAST-MODIFIED) are the consultation's updated_at in UTC
 *     (section 3.8.7.2: for a calendar without a scheduling METHOD it is the
 *     time the information last changed), so the same data renders to the
 *     same bytes and an ETag over the body is stable;
 *   - STATUS TENTATIVE (planned), CONFIRMED (in field, closed), CANCELLED;
 *     TRANSP:TRANSPARENT (a consultation does not make anyone busy);
 *   - no TZID anywhere: all-day dates and UTC stamps need no VTIMEZONE;
 *   - TEXT values escaped (section 3.3.11: backslash, semicolon, comma,
 *     newlines as \n; other control characters dropped);
 *   - every content line folded at 75 octets (section 3.1), never inside a
 *     UTF-8 sequence, continuation lines starting with one space; CRLF ends
 *     every line.
 * Written by hand rather than with libical: the output is this one shape of
 * calendar, and the renderer must guarantee the folding rule above for any
 * input, which is simplest to prove when the folding is ours. */
#ifndef CONSULTD_FMT_ICAL_H
#define CONSULTD_FMT_ICAL_H

#include <stdbool.h>
#include <stddef.h>

#include "outbuf.h"

/* One consultation as an event. Every string is borrowed and must be valid
 * UTF-8; NULL is read as "". */
typedef struct ical_event {
    const char *id;            /* the consultation's UUID */
    long version;              /* SEQUENCE */
    const char *status;        /* planned | in_field | closed | cancelled */
    const char *title;         /* SUMMARY */
    const char *summary;       /* first part of DESCRIPTION */
    const char *organisation;  /* named in DESCRIPTION (no ORGANIZER: it needs an e-mail address) */
    const char *location;      /* LOCATION: the areas' names */
    const char *categories;    /* CATEGORIES: topics separated by '\x1f' (each escaped as TEXT) */
    const char *start, *end;   /* fieldwork, YYYY-MM-DD, inclusive */
    const char *created;       /* YYYY-MM-DDTHH:MM:SSZ */
    const char *updated;       /* YYYY-MM-DDTHH:MM:SSZ: DTSTAMP and LAST-MODIFIED */
} ical_event;

/* The calendar around the events. */
typedef struct ical_calendar {
    const char *name;          /* NAME and X-WR-CALNAME */
    const char *console_url;   /* "<public_url>/console": URL is <console_url>/#/consultations/<id> */
    const char *prodid;        /* PRODID */
    const char *public_page;   /* when not NULL, DESCRIPTION ends with a line naming <public_page><id>:
                                * the residents' page showing the event, which needs no key (the
                                * public calendar: URL stays the console's, as API.md section 9 says) */
} ical_calendar;

/* A calendar in three parts, so that events rendered once can be kept and
 * put together again (body_cache.h): the head (BEGIN:VCALENDAR and the
 * calendar's properties), the events, the tail (END:VCALENDAR). An event's
 * bytes depend on the event and cal->console_url and cal->public_page only, never on the
 * calendar's name or on the other events.
 *
 * ical_render_events appends the events in order; ends (NULL, or n entries)
 * receives out->len after each event, so event i is the bytes from
 * ends[i - 1] (or the length before the call) to ends[i]. Returns 0, or -1
 * when an event's dates are not YYYY-MM-DD (the events before it are
 * written) or out of memory (out->failed). */
void ical_render_head(outbuf *out, const ical_calendar *cal);
int ical_render_events(outbuf *out, const ical_calendar *cal, const ical_event *events, size_t n, size_t *ends);
void ical_render_tail(outbuf *out);

/* Appends the calendar with events to out: head, events, tail. Returns 0, or -1 when an event's
 * dates are not YYYY-MM-DD or out of memory (out->failed). An empty events
 * list still makes a valid VCALENDAR. */
int ical_render(outbuf *out, const ical_calendar *cal, const ical_event *events, size_t n);

/* Appends one content line "name:value" (name may carry parameters, e.g.
 * "DTSTART;VALUE=DATE"), folded at 75 octets without splitting a UTF-8
 * sequence, ending in CRLF. value is written as given (escape TEXT first). */
void ical_line(outbuf *out, const char *name, const char *value);

/* Appends text escaped as an RFC 5545 TEXT value (section 3.3.11). */
void ical_escape_text(outbuf *out, const char *text);

/* "YYYY-MM-DD" plus days as "YYYYMMDD" (9 bytes with the NUL); false when s
 * is not a valid date. */
bool ical_date_plus(const char *s, long days, char out[9]);

#endif
