/* Unit tests: strict RFC 9112 request framing (http_framing.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "http_framing.h"

static const hf_limits lim = { 1024, 20, 1000 };

static hf_outcome parse(const char *s, hf_head *h)
{
    return hf_parse_head(s, strlen(s), &lim, h);
}

static hf_reason refused(const char *s)
{
    hf_head h;
    hf_outcome o = parse(s, &h);
    assert_int_equal(o, HF_REJECT);
    return h.reason;
}

static void accepts_plain_requests(void **state)
{
    (void)state;
    hf_head h;
    const char *get = "GET /v1/x?a=b HTTP/1.1\r\nHost: example.org:8080\r\nAccept: */*\r\n\r\nNEXT";
    assert_int_equal(parse(get, &h), HF_ACCEPT);
    assert_int_equal(h.head_len, strlen(get) - 4);
    assert_int_equal(h.body, HF_BODY_NONE);
    assert_int_equal(h.skip, 0);

    assert_int_equal(parse("POST /v1/c HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\n", &h), HF_ACCEPT);
    assert_int_equal(h.body, HF_BODY_LENGTH);
    assert_int_equal(h.length, 12);

    assert_int_equal(parse("POST /v1/c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:  Chunked \r\n\r\n", &h), HF_ACCEPT);
    assert_int_equal(h.body, HF_BODY_CHUNKED);

    assert_int_equal(parse("GET /healthz HTTP/1.0\r\n\r\n", &h), HF_ACCEPT); /* no Host needed in 1.0 */
    assert_true(h.http10);
    assert_int_equal(parse("\r\n\r\nGET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", &h), HF_ACCEPT);
    assert_int_equal(h.skip, 4);
    assert_int_equal(parse("OPTIONS * HTTP/1.1\r\nHost:\r\n\r\n", &h), HF_ACCEPT);
    assert_int_equal(parse("GET http://x/y HTTP/1.1\r\nHost: x\r\n\r\n", &h), HF_ACCEPT);
    assert_int_equal(parse("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", &h), HF_ACCEPT);
    assert_int_equal(parse("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n", &h),
                     HF_ACCEPT);
    assert_int_equal(parse("GET / HTTP/1.1\r\nHost: x\r\nX-Bin: caf\xc3\xa9\t1\r\n\r\n", &h), HF_ACCEPT);
}

static void waits_for_the_whole_head(void **state)
{
    (void)state;
    hf_head h;
    assert_int_equal(parse("", &h), HF_NEED_MORE);
    assert_int_equal(parse("GET / HT", &h), HF_NEED_MORE);
    assert_int_equal(parse("GET / HTTP/1.1\r", &h), HF_NEED_MORE);
    assert_int_equal(parse("GET / HTTP/1.1\r\nHost: x\r\n", &h), HF_NEED_MORE);
    assert_int_equal(parse("GET / HTTP/1.1\r\nHost: x\r\n\r", &h), HF_NEED_MORE);
    assert_int_equal(parse("\r\n\r\n", &h), HF_NEED_MORE);
    assert_int_equal(h.skip, 4);
    /* a bad request line is refused before the rest of the head arrives */
    assert_int_equal(parse("GET /\r\n", &h), HF_REJECT);
    assert_int_equal(h.reason, HF_HTTP09);
}

static void request_line_errors(void **state)
{
    (void)state;
    assert_int_equal(refused("GET /x\r\n\r\n"), HF_HTTP09);
    assert_int_equal(refused("GET  /x HTTP/1.1\r\nHost: x\r\n\r\n"), HF_BAD_REQUEST_LINE);
    assert_int_equal(refused("GET /x HTTP/1.1 \r\nHost: x\r\n\r\n"), HF_BAD_REQUEST_LINE);
    assert_int_equal(refused("GET /x http/1.1\r\nHost: x\r\n\r\n"), HF_BAD_REQUEST_LINE);
    assert_int_equal(refused("GET /x HTTP/2.0\r\nHost: x\r\n\r\n"), HF_VERSION);
    assert_int_equal(refused("GET /x HTTP/1.2\r\nHost: x\r\n\r\n"), HF_VERSION);
    assert_int_equal(refused("BREW /x HTTP/1.1\r\nHost: x\r\n\r\n"), HF_METHOD);
    assert_int_equal(refused("get /x HTTP/1.1\r\nHost: x\r\n\r\n"), HF_METHOD);
    assert_int_equal(refused("CONNECT x:443 HTTP/1.1\r\nHost: x\r\n\r\n"), HF_METHOD);
    assert_int_equal(refused("GET x HTTP/1.1\r\nHost: x\r\n\r\n"), HF_TARGET);
    assert_int_equal(refused("GET * HTTP/1.1\r\nHost: x\r\n\r\n"), HF_TARGET);
    assert_int_equal(refused("GET /\x7f HTTP/1.1\r\nHost: x\r\n\r\n"), HF_TARGET);
    assert_int_equal(refused("GET /\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n"), HF_TARGET);
    assert_int_equal(refused("GET /x HTTP/1.1\nHost: x\r\n\r\n"), HF_LINE_ENDING);
    assert_int_equal(refused("GET /x HTTP/1.1\rHost: x\r\n\r\n"), HF_LINE_ENDING);
    assert_int_equal(refused("\nGET /x HTTP/1.1\r\nHost: x\r\n\r\n"), HF_LINE_ENDING);
}

static void field_line_errors(void **state)
{
    (void)state;
    assert_int_equal(refused("GET / HTTP/1.1\r\nHost : x\r\n\r\n"), HF_FIELD_NAME_SPACE);
    assert_int_equal(refused("GET / HTTP/1.1\r\nHost: x\r\nContent-Length\t: 1\r\n\r\n"), HF_FIELD_NAME_SPACE);
    assert_int_equal(refused("GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n 2\r\n\r\n"), HF_OBS_FOLD);
    assert_int_equal(refused("GET / HTTP/1.1\r\n\tHost: x\r\n\r\n"), HF_OBS_FOLD);
    assert_int_equal(refused("GET / HTTP/1.1\r\nHost: x\r\nNo colon\r\n\r\n"), HF_FIELD_SYNTAX);
    assert_int_equal(refused("GET / HTTP/1.1\r\nHost: x\r\n: empty\r\n\r\n"), HF_FIELD_SYNTAX);
    assert_int_equal(refused("GET / HTTP/1.1\r\nHost: x\r\nX(y): 1\r\n\r\n"), HF_FIELD_SYNTAX);
    assert_int_equal(refused("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x01" "b\r\n\r\n"), HF_FIELD_SYNTAX);
    assert_int_equal(refused("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n"), HF_LINE_ENDING);
    assert_int_equal(refused("GET / HTTP/1.1\r\nHost: x\nX-A: 1\r\n\r\n"), HF_LINE_ENDING);
    /* NUL inside a value (strlen would stop there, so count it in) */
    const char nul[] = "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n";
    hf_head h;
    assert_int_equal(hf_parse_head(nul, sizeof nul - 1, &lim, &h), HF_REJECT);
    assert_int_equal(h.reason, HF_FIELD_SYNTAX);
}

static void host_rules(void **state)
{
    (void)state;
    assert_int_equal(refused("GET / HTTP/1.1\r\n\r\n"), HF_HOST_MISSING);
    assert_int_equal(refused("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n"), HF_HOST_REPEATED);
    assert_int_equal(refused("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"), HF_HOST_REPEATED);
    assert_int_equal(refused("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), HF_HOST_INVALID);
    assert_int_equal(refused("GET / HTTP/1.1\r\nHost: a:80x\r\n\r\n"), HF_HOST_INVALID);
    assert_int_equal(refused("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"), HF_HOST_INVALID);
    assert_int_equal(refused("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n"), HF_HOST_INVALID);
    assert_int_equal(refused("GET / HTTP/1.1\r\nHost:\ta\r\n\r\n"), HF_HOST_INVALID);
}

static void length_rules(void **state)
{
    (void)state;
    assert_int_equal(refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n"),
                     HF_LENGTH_REPEATED);
    assert_int_equal(refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\ncontent-length: 3\r\n\r\n"),
                     HF_LENGTH_REPEATED);
    assert_int_equal(refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\n"), HF_LENGTH_INVALID);
    assert_int_equal(refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"), HF_LENGTH_INVALID);
    assert_int_equal(refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +1\r\n\r\n"), HF_LENGTH_INVALID);
    assert_int_equal(refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x10\r\n\r\n"), HF_LENGTH_INVALID);
    assert_int_equal(refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n"), HF_LENGTH_INVALID);
    assert_int_equal(refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length:\t1\r\n\r\n"), HF_LENGTH_INVALID);
    assert_int_equal(refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n"),
                     HF_LENGTH_INVALID);
    assert_int_equal(refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n"), HF_LENGTH_TOO_LARGE);
    assert_int_equal(refused("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"), HF_BODY_NOT_ALLOWED);
    assert_int_equal(refused("DELETE / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"), HF_BODY_NOT_ALLOWED);
}

static void coding_rules(void **state)
{
    (void)state;
    assert_int_equal(refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
                     HF_CODING_UNKNOWN);
    assert_int_equal(refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"),
                     HF_CODING_UNKNOWN);
    assert_int_equal(refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"),
                     HF_CODING_NOT_CHUNKED);
    assert_int_equal(refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"), HF_CODING_NOT_CHUNKED);
    assert_int_equal(refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"),
                     HF_CODING_NOT_CHUNKED);
    assert_int_equal(refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"),
                     HF_CODING_NOT_CHUNKED);
    assert_int_equal(refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: , chunked\r\n\r\n"),
                     HF_CODING_NOT_CHUNKED);
    assert_int_equal(refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked;q=1\r\n\r\n"),
                     HF_CODING_NOT_CHUNKED);
    assert_int_equal(refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\tchunked\r\n\r\n"),
                     HF_CODING_NOT_CHUNKED);
    assert_int_equal(refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"),
                     HF_LENGTH_AND_CODING);
    assert_int_equal(refused("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), HF_CODING_HTTP10);
    assert_int_equal(refused("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"), HF_BODY_NOT_ALLOWED);
    assert_int_equal(refused("POST / HTTP/1.1\r\nHost: x\r\nExpect: tea\r\n\r\n"), HF_EXPECTATION);
}

static void limits(void **state)
{
    (void)state;
    char buf[2048];
    memset(buf, 'a', sizeof buf);
    memcpy(buf, "GET /", 5);
    hf_head h;
    assert_int_equal(hf_parse_head(buf, sizeof buf, &lim, &h), HF_REJECT);
    assert_int_equal(h.reason, HF_LINE_TOO_LONG);
    /* a head exactly at the limit still fits */
    size_t n = (size_t)snprintf(buf, sizeof buf, "GET / HTTP/1.1\r\nHost: x\r\nX: ");
    size_t fill = lim.max_head - n - 4;
    memset(buf + n, 'v', fill);
    memcpy(buf + n + fill, "\r\n\r\n", 4);
    assert_int_equal(hf_parse_head(buf, lim.max_head, &lim, &h), HF_ACCEPT);
    assert_int_equal(h.head_len, lim.max_head);
    /* one more byte and it does not */
    memmove(buf + n + 1, buf + n, fill + 4);
    assert_int_equal(hf_parse_head(buf, lim.max_head + 1, &lim, &h), HF_REJECT);
    assert_int_equal(h.reason, HF_HEAD_TOO_LARGE);
    /* too many field lines */
    char many[1024] = "GET / HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < 21; i++)
        strcat(many, "X: 1\r\n");
    strcat(many, "\r\n");
    assert_int_equal(refused(many), HF_TOO_MANY_FIELDS);
}

static void problems_have_statuses(void **state)
{
    (void)state;
    assert_int_equal(hf_reason_problem(HF_CODING_UNKNOWN)->status, 501);
    assert_int_equal(hf_reason_problem(HF_METHOD)->status, 501);
    assert_int_equal(hf_reason_problem(HF_VERSION)->status, 505);
    assert_int_equal(hf_reason_problem(HF_LENGTH_TOO_LARGE)->status, 413);
    assert_int_equal(hf_reason_problem(HF_LINE_TOO_LONG)->status, 414);
    assert_int_equal(hf_reason_problem(HF_HEAD_TOO_LARGE)->status, 431);
    assert_int_equal(hf_reason_problem(HF_EXPECTATION)->status, 417);
    assert_int_equal(hf_reason_problem(HF_LENGTH_REPEATED)->status, 400);
    assert_int_equal(hf_reason_problem((hf_reason)999)->status, 400);
    for (int r = 1; r < HF_REASON_COUNT; r++) {
        const hf_problem *p = hf_reason_problem((hf_reason)r);
        assert_non_null(p->slug);
        assert_non_null(p->title);
        assert_non_null(p->detail);
    }
}

/* Feeds s to a fresh chunked reader, in pieces of step bytes. */
static hf_outcome feed(const char *s, size_t len, size_t step, hf_chunked *c, hf_reason *why, size_t *end)
{
    hf_chunked_init(c);
    size_t at = 0;
    while (at < len) {
        size_t n = len - at < step ? len - at : step, used;
        hf_outcome o = hf_chunked_feed(c, s + at, n, &lim, &used, why);
        at += used;
        if (o != HF_NEED_MORE) {
            *end = at;
            return o;
        }
        assert_int_equal(used, n);
    }
    *end = at;
    return HF_NEED_MORE;
}

static void chunked_bodies(void **state)
{
    (void)state;
    hf_chunked c;
    hf_reason why;
    size_t end;
    const char *ok = "5\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\nGET / HTTP/1.1";
    size_t body_len = strlen(ok) - strlen("GET / HTTP/1.1");
    for (size_t step = 1; step <= strlen(ok); step++) {
        assert_int_equal(feed(ok, strlen(ok), step, &c, &why, &end), HF_ACCEPT);
        assert_int_equal(end, body_len);
        assert_int_equal(c.pos, body_len);
        assert_int_equal(c.total, 31);
        assert_int_equal(c.trailer_at, body_len - 2);
    }
    const char *trailer = "3\r\nabc\r\n0\r\nX-Sum: 1\r\nX-B: 2\r\n\r\n";
    assert_int_equal(feed(trailer, strlen(trailer), 4, &c, &why, &end), HF_ACCEPT);
    assert_int_equal(end, strlen(trailer));
    assert_int_equal(c.trailer_at, strlen("3\r\nabc\r\n0\r\n"));
    assert_int_equal(feed("3\r\nab", 5, 2, &c, &why, &end), HF_NEED_MORE);

    struct { const char *s; hf_reason why; } bad[] = {
        { "zz\r\n", HF_CHUNK_SIZE },
        { "\r\n", HF_CHUNK_SIZE },
        { "-1\r\n", HF_CHUNK_SIZE },
        { "0x5\r\nhello\r\n", HF_CHUNK_SIZE },
        { " 5\r\nhello\r\n", HF_CHUNK_SIZE },
        { "5;ext=1\r\nhello\r\n", HF_CHUNK_EXTENSION },
        { "5 \r\nhello\r\n", HF_CHUNK_EXTENSION },
        { "5\nhello\r\n", HF_LINE_ENDING },
        { "5\r\nhelloX\r\n", HF_CHUNK_DATA_END },
        { "5\r\nhello\n0\r\n\r\n", HF_CHUNK_DATA_END },
        { "00000000000000001\r\n", HF_CHUNK_SIZE },
        { "3E9\r\n", HF_BODY_TOO_LARGE },
        { "FFFFFFFFFFFFFFFF\r\n", HF_BODY_TOO_LARGE },
        { "0\r\n bad\r\n\r\n", HF_TRAILER },
        { "0\r\nX : 1\r\n\r\n", HF_TRAILER },
        { "0\r\nX: a\x01\r\n\r\n", HF_TRAILER },
        { "0\r\n\n", HF_LINE_ENDING },
        { "0\r\n\rX", HF_LINE_ENDING },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(feed(bad[i].s, strlen(bad[i].s), 3, &c, &why, &end), HF_REJECT);
        assert_int_equal(why, bad[i].why);
    }
    /* chunk sizes adding up past the limit */
    char big[64];
    snprintf(big, sizeof big, "%x\r\n", 600);
    hf_chunked_init(&c);
    size_t used;
    assert_int_equal(hf_chunked_feed(&c, big, strlen(big), &lim, &used, &why), HF_NEED_MORE);
    char data[600];
    memset(data, 'x', sizeof data);
    assert_int_equal(hf_chunked_feed(&c, data, sizeof data, &lim, &used, &why), HF_NEED_MORE);
    assert_int_equal(hf_chunked_feed(&c, "\r\n258\r\n", 7, &lim, &used, &why), HF_REJECT);
    assert_int_equal(why, HF_BODY_TOO_LARGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts_plain_requests),
        cmocka_unit_test(waits_for_the_whole_head),
        cmocka_unit_test(request_line_errors),
        cmocka_unit_test(field_line_errors),
        cmocka_unit_test(host_rules),
        cmocka_unit_test(length_rules),
        cmocka_unit_test(coding_rules),
        cmocka_unit_test(limits),
        cmocka_unit_test(problems_have_statuses),
        cmocka_unit_test(chunked_bodies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
