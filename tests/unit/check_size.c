// SPDX-License-Identifier: GPL-3.0-or-later
/* lib/size.c: the one size parser and printer. */
#include "unit.h"

#define MiB (1ULL << 20)

static uint64_t parse_ok(const char *s, uint64_t unit)
{
	uint64_t v = 0;

	ck_assert_msg(vn_size_parse(s, unit, &v) == 0, "'%s' did not parse", s);
	return v;
}

START_TEST(test_parse_units)
{
	ck_assert_uint_eq(parse_ok("2048", MiB), 2048 * MiB);	/* rapiddisk: MiB */
	ck_assert_uint_eq(parse_ok("2048", 1), 2048);
	ck_assert_uint_eq(parse_ok("512K", 1), 512 * 1024);
	ck_assert_uint_eq(parse_ok("512k", 1), 512 * 1024);
	ck_assert_uint_eq(parse_ok("2G", MiB), 2ULL << 30);
	ck_assert_uint_eq(parse_ok("2GiB", 1), 2ULL << 30);
	ck_assert_uint_eq(parse_ok("1MB", 1), 1000000);
	ck_assert_uint_eq(parse_ok("7TB", 1), 7000000000000ULL);
	ck_assert_uint_eq(parse_ok("1.5G", 1), 3ULL << 29);
	ck_assert_uint_eq(parse_ok("0.5K", 1), 512);
	ck_assert_uint_eq(parse_ok("4096B", MiB), 4096);
	ck_assert_uint_eq(parse_ok("15E", 1), 15ULL << 60);
}
END_TEST

START_TEST(test_parse_errors)
{
	uint64_t v = 42;

	ck_assert_int_eq(vn_size_parse("", 1, &v), -EINVAL);
	ck_assert_int_eq(vn_size_parse("G", 1, &v), -EINVAL);
	ck_assert_int_eq(vn_size_parse("-1", 1, &v), -EINVAL);
	ck_assert_int_eq(vn_size_parse("12X", 1, &v), -EINVAL);
	ck_assert_int_eq(vn_size_parse("1.", 1, &v), -EINVAL);
	ck_assert_int_eq(vn_size_parse("1.5", MiB, &v), -EINVAL);
	ck_assert_int_eq(vn_size_parse("16E", 1, &v), -ERANGE);
	ck_assert_int_eq(vn_size_parse("99999999999999999999", 1, &v), -ERANGE);
	ck_assert_int_eq(vn_size_parse("18446744073709551615G", 1, &v), -ERANGE);
	ck_assert_uint_eq(v, 42);	/* untouched on failure */
}
END_TEST

START_TEST(test_format)
{
	char buf[32];

	ck_assert_str_eq(vn_size_format(0, buf, sizeof(buf)), "0 B");
	ck_assert_str_eq(vn_size_format(512, buf, sizeof(buf)), "512 B");
	ck_assert_str_eq(vn_size_format(256 * MiB, buf, sizeof(buf)), "256 MiB");
	ck_assert_str_eq(vn_size_format(267369984, buf, sizeof(buf)), "255 MiB");
	ck_assert_str_eq(vn_size_format(1536 * MiB, buf, sizeof(buf)), "1.50 GiB");
	/* the article's 7 TB disk and 21 TB array */
	ck_assert_str_eq(vn_size_format(7000259821568ULL, buf, sizeof(buf)), "6.37 TiB");
	ck_assert_str_eq(vn_size_format(21000367374336ULL, buf, sizeof(buf)), "19.1 TiB");
	ck_assert_str_eq(vn_size_format(UINT64_MAX, buf, sizeof(buf)), "16.0 EiB");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("size");
	TCase *tc = tcase_create("size");

	tcase_add_test(tc, test_parse_units);
	tcase_add_test(tc, test_parse_errors);
	tcase_add_test(tc, test_format);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
