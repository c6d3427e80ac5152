/*
 * content_decode.h - undoing the Content-Encoding of a fetched body: gzip (x-gzip), deflate
 * and identity, in any stack, at most max_size bytes of output. fetch.c asks for
 * "gzip, deflate" and decodes here instead of in libcurl (libdeflate inflates a whole gzip
 * body in one call, several times faster than libcurl's zlib stream fed 16 KB at a time); a
 * feed's body is decoded by ingest/outcome.c when it is parsed, and its buffer given back
 * (spare.h) for the next one.
 */
#ifndef WIRESIFT_CONTENT_DECODE_H
#define WIRESIFT_CONTENT_DECODE_H

#include <stddef.h>

/*
 * Decode *body (*length bytes, NUL-terminated) as the Content-Encoding header's value
 * encodings says (NULL or empty: nothing to do); on success *body is replaced by the decoded
 * bytes (NUL-terminated, the old one freed) and 0 returned. -1: the output would pass
 * max_size; -2: a coding we do not know or data that is not what it says (error says which).
 * On failure *body is left as it was.
 */
int	 content_decode(const char *encodings, char **body, size_t *length, long long max_size,
	    char *error, size_t error_size);

#endif
