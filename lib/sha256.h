/* sha256.h - SHA-256 (FIPS 180-4), for the identity of a loaded rule set. */
#ifndef KR_SHA256_H
#define KR_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t h[8];
    uint64_t len;        /* bytes hashed so far */
    unsigned char buf[64];
    size_t nbuf;
} kr_sha256;

void kr_sha256_init(kr_sha256 *c);
void kr_sha256_update(kr_sha256 *c, const void *data, size_t len);
void kr_sha256_final(kr_sha256 *c, unsigned char out[32]);
/* hex of 32 bytes into out (65 bytes with NUL). */
void kr_sha256_hex(const unsigned char digest[32], char out[65]);

#endif
