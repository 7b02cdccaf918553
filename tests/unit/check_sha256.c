/*
 * check_sha256.c - unit tests for lib/sha256.c.
 *
 * The FIPS 180-4 example vectors, plus lengths around the 55/56/64-byte
 * padding boundaries (digests from an independent implementation), and
 * incremental hashing in odd pieces against one-shot hashing.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "sha256.h"

static void hash_hex(const void *data, size_t len, char out[65])
{
    kr_sha256 c;
    unsigned char dg[32];

    kr_sha256_init(&c);
    kr_sha256_update(&c, data, len);
    kr_sha256_final(&c, dg);
    kr_sha256_hex(dg, out);
}

static void expect_hash(const char *s, const char *want)
{
    char hex[65];

    hash_hex(s, strlen(s), hex);
    ck_assert_str_eq(hex, want);
}

START_TEST(test_fips_vectors)
{
    expect_hash("",
                "e3b0c44298fc1c149afbf4c8996fb924"
                "27ae41e4649b934ca495991b7852b855");
    expect_hash("abc",
                "ba7816bf8f01cfea414140de5dae2223"
                "b00361a396177a9cb410ff61f20015ad");
    expect_hash("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039"
                "a33ce45964ff2167f6ecedd419db06c1");
    expect_hash("abcdefghbcdefghicdefghijdefghijkefghijklfghijklm"
                "ghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrs"
                "mnopqrstnopqrstu",
                "cf5b16a778af8380036ce59e7b049237"
                "0b249b11e8f07a51afac45037afee9d1");
}
END_TEST

START_TEST(test_million_a)
{
    static const char want[] = "cdc76e5c9914fb9281a1c7e284d73e67"
                               "f1809a48a497200e046d39ccc7112cd0";
    char *buf = malloc(1000000);
    unsigned char dg[32];
    char hex[65];
    kr_sha256 c;
    size_t i;

    ck_assert_ptr_nonnull(buf);
    memset(buf, 'a', 1000000);
    hash_hex(buf, 1000000, hex);
    ck_assert_str_eq(hex, want);

    /* The same in 1000 updates of 1000 bytes (not a multiple of 64). */
    kr_sha256_init(&c);
    for (i = 0; i < 1000; i++) {
        kr_sha256_update(&c, buf + i * 1000, 1000);
    }
    kr_sha256_final(&c, dg);
    kr_sha256_hex(dg, hex);
    free(buf);
    ck_assert_str_eq(hex, want);
}
END_TEST

START_TEST(test_padding_boundaries)
{
    static const struct {
        size_t n;
        const char *hex;
    } cases[] = {
        { 55, "9f4390f8d30c2dd92ec9f095b65e2b9a"
              "e9b0a925a5258e241c9f1e910f734318" },
        { 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f"
              "590ce20f1bde7090ef7970686ec6738a" },
        { 57, "f13b2d724659eb3bf47f2dd6af1accc8"
              "7b81f09f59f2b75e5c0bed6589dfe8c6" },
        { 63, "7d3e74a05d7db15bce4ad9ec0658ea98"
              "e3f06eeecf16b4c6fff2da457ddc2f34" },
        { 64, "ffe054fe7ae0cb6dc65c3af9b61d5209"
              "f439851db43d0ba5997337df154668eb" },
        { 65, "635361c48bb9eab14198e76ea8ab7f1a"
              "41685d6ad62aa9146d301d4f17eb0ae0" },
        { 119, "31eba51c313a5c08226adf18d4a359cf"
               "dfd8d2e816b13f4af952f7ea6584dcfb" },
        { 120, "2f3d335432c70b580af0e8e1b3674a7c"
               "020d683aa5f73aaaedfdc55af904c21c" },
        { 128, "6836cf13bac400e9105071cd6af47084"
               "dfacad4e5e302c94bfed24e013afb73e" }
    };
    char buf[128];
    char hex[65];
    size_t i;

    memset(buf, 'a', sizeof(buf));
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        hash_hex(buf, cases[i].n, hex);
        ck_assert_msg(strcmp(hex, cases[i].hex) == 0, "%zu x 'a': %s",
                      cases[i].n, hex);
    }
}
END_TEST

START_TEST(test_binary)
{
    unsigned char buf[1024];
    char hex[65];
    size_t i;

    /* Every byte value, high bit included, four times over. */
    for (i = 0; i < sizeof(buf); i++) {
        buf[i] = (unsigned char)i;
    }
    hash_hex(buf, sizeof(buf), hex);
    ck_assert_str_eq(hex, "785b0751fc2c53dc14a4ce3d800e69ef"
                          "9ce1009eb327ccf458afe09c242c26c9");
}
END_TEST

START_TEST(test_incremental)
{
    static const size_t pieces[] = { 1, 2, 3, 7, 13, 31, 55, 56, 63, 64,
                                     65, 127, 128, 129, 200 };
    unsigned char data[3001];
    unsigned char one[32], inc[32];
    uint32_t x = 2463534242u;
    size_t len, p, off;
    kr_sha256 c;

    /* xorshift32: arbitrary bytes without a dependency on rand(). */
    for (off = 0; off < sizeof(data); off++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        data[off] = (unsigned char)(x >> 24);
    }
    for (len = 0; len <= sizeof(data); len += 97) {
        kr_sha256_init(&c);
        kr_sha256_update(&c, data, len);
        kr_sha256_final(&c, one);
        for (p = 0; p < sizeof(pieces) / sizeof(pieces[0]); p++) {
            kr_sha256_init(&c);
            for (off = 0; off < len; off += pieces[p]) {
                size_t n = len - off < pieces[p] ? len - off : pieces[p];

                kr_sha256_update(&c, data + off, n);
                /* Empty updates in between change nothing. */
                kr_sha256_update(&c, NULL, 0);
            }
            kr_sha256_final(&c, inc);
            if (memcmp(one, inc, 32) != 0) {
                ck_abort_msg("len %zu in pieces of %zu differs", len,
                             pieces[p]);
            }
        }
        /* Growing pieces: 1, 2, 3, ... */
        kr_sha256_init(&c);
        for (off = 0, p = 1; off < len; off += p, p++) {
            kr_sha256_update(&c, data + off, len - off < p ? len - off : p);
        }
        kr_sha256_final(&c, inc);
        ck_assert_msg(memcmp(one, inc, 32) == 0, "len %zu growing", len);
    }
}
END_TEST

START_TEST(test_hex)
{
    unsigned char dg[32];
    char hex[65];
    size_t i;

    for (i = 0; i < 32; i++) {
        dg[i] = (unsigned char)(i * 8 + 7);
    }
    dg[0] = 0x00;
    dg[31] = 0xFF;
    memset(hex, 'x', sizeof(hex));
    kr_sha256_hex(dg, hex);
    ck_assert_uint_eq(strlen(hex), 64);
    ck_assert(memcmp(hex, "000f171f", 8) == 0);
    ck_assert(memcmp(hex + 62, "ff", 2) == 0);
    for (i = 0; i < 64; i++) {
        ck_assert(strchr("0123456789abcdef", hex[i]) != NULL);
    }
}
END_TEST

START_TEST(test_reinit)
{
    kr_sha256 c;
    unsigned char dg[32];
    char hex[65];

    /* A context is reusable after final once it is initialised again. */
    kr_sha256_init(&c);
    kr_sha256_update(&c, "junk", 4);
    kr_sha256_final(&c, dg);
    kr_sha256_init(&c);
    kr_sha256_update(&c, "a", 1);
    kr_sha256_update(&c, "bc", 2);
    kr_sha256_final(&c, dg);
    kr_sha256_hex(dg, hex);
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223"
                          "b00361a396177a9cb410ff61f20015ad");
}
END_TEST

static Suite *sha256_suite(void)
{
    Suite *s = suite_create("sha256");
    TCase *tc = tcase_create("sha256");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_fips_vectors);
    tcase_add_test(tc, test_million_a);
    tcase_add_test(tc, test_padding_boundaries);
    tcase_add_test(tc, test_binary);
    tcase_add_test(tc, test_incremental);
    tcase_add_test(tc, test_hex);
    tcase_add_test(tc, test_reinit);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(sha256_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
