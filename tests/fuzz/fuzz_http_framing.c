/* libFuzzer target: arbitrary bytes through the HTTP framing pre-parser
 * (http_framing.h) that reads every request before evhttp does.
 *
 *   make fuzz-http FUZZ_SECONDS=60   (this, then the raw-socket driver)
 *
 * Besides crashes and undefined behaviour, it checks the properties the
 * connection guard relies on; a broken one aborts with the input:
 *   - an accepted head lies within the bytes given, and the same bytes cut
 *     anywhere before its end are never accepted (no early "complete");
 *   - cut exactly at its end, the head is accepted with the same framing;
 *   - a chunked body reads the same whether fed at once or in pieces, never
 *     consumes past its end, and its length covers its data. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_framing.h"

static const hf_limits lim = { 512, 16, 4096 };

static hf_outcome feed_all(const uint8_t *p, size_t n, size_t step, hf_chunked *c, hf_reason *why, size_t *end)
{
    hf_chunked_init(c);
    size_t at = 0;
    while (at < n) {
        size_t k = n - at < step ? n - at : step, used;
        hf_outcome o = hf_chunked_feed(c, (const char *)p + at, k, &lim, &used, why);
        if (used > k)
            abort();
        at += used;
        if (o != HF_NEED_MORE) {
            *end = at;
            return o;
        }
        if (used != k)
            abort();
    }
    *end = at;
    return HF_NEED_MORE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hf_head h;
    hf_outcome o = hf_parse_head((const char *)data, size, &lim, &h);
    if (o == HF_REJECT && (h.reason <= HF_OK || h.reason >= HF_REASON_COUNT))
        abort();
    if (o != HF_ACCEPT) {
        if (o == HF_NEED_MORE && h.skip > size)
            abort();
        return 0;
    }
    size_t end = h.skip + h.head_len;
    if (end > size || h.head_len < 4 || h.head_len > lim.max_head || memcmp(data + end - 4, "\r\n\r\n", 4) != 0)
        abort();
    if (h.body == HF_BODY_LENGTH && (h.length == 0 || h.length > lim.max_body))
        abort();
    /* The same head alone: the same verdict. */
    hf_head again;
    if (hf_parse_head((const char *)data, end, &lim, &again) != HF_ACCEPT || again.head_len != h.head_len ||
        again.body != h.body || again.length != h.length)
        abort();
    /* Cut before its end: never accepted. */
    for (size_t cut = h.skip; cut < end; cut += 1 + cut / 8)
        if (hf_parse_head((const char *)data, cut, &lim, &again) == HF_ACCEPT)
            abort();

    if (h.body != HF_BODY_CHUNKED)
        return 0;
    const uint8_t *b = data + end;
    size_t n = size - end;
    hf_chunked whole, piece;
    hf_reason w1, w2;
    size_t e1, e2;
    hf_outcome o1 = feed_all(b, n, n ? n : 1, &whole, &w1, &e1);
    size_t step = 1 + (size % 7);
    hf_outcome o2 = feed_all(b, n, step, &piece, &w2, &e2);
    if (o1 != o2 || e1 != e2 || (o1 == HF_REJECT && w1 != w2))
        abort();
    if (o1 == HF_ACCEPT) {
        if (whole.pos != e1 || whole.trailer_at > whole.pos || whole.total > lim.max_body ||
            whole.total > whole.pos || whole.trailer_at != piece.trailer_at)
            abort();
        if (memcmp(b + e1 - 2, "\r\n", 2) != 0)
            abort();
    }
    return 0;
}
