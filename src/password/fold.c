/*
 * fold.c: the case fold of fold.h.  The table below was generated from
 * Unicode's lowercase mappings (Python 3.11 str.lower(), one code point in,
 * one code point out) for U+0000..U+04FF, as runs: lo..hi in steps of
 * step, each code point mapped to itself plus delta.
 */
#include "ac-config.h"

#include "password/fold.h"

static const struct fold_run {
	uint16_t	lo, hi;
	uint8_t		step;
	int16_t		delta;
} runs[] = {
	{ 0x0041, 0x005a, 1, 32 },
	{ 0x00c0, 0x00d6, 1, 32 },
	{ 0x00d8, 0x00de, 1, 32 },
	{ 0x0100, 0x012e, 2, 1 },
	{ 0x0132, 0x0136, 2, 1 },
	{ 0x0139, 0x0147, 2, 1 },
	{ 0x014a, 0x0176, 2, 1 },
	{ 0x0178, 0x0178, 1, -121 },
	{ 0x0179, 0x017d, 2, 1 },
	{ 0x0181, 0x0181, 1, 210 },
	{ 0x0182, 0x0184, 2, 1 },
	{ 0x0186, 0x0186, 1, 206 },
	{ 0x0187, 0x0187, 1, 1 },
	{ 0x0189, 0x018a, 1, 205 },
	{ 0x018b, 0x018b, 1, 1 },
	{ 0x018e, 0x018e, 1, 79 },
	{ 0x018f, 0x018f, 1, 202 },
	{ 0x0190, 0x0190, 1, 203 },
	{ 0x0191, 0x0191, 1, 1 },
	{ 0x0193, 0x0193, 1, 205 },
	{ 0x0194, 0x0194, 1, 207 },
	{ 0x0196, 0x0196, 1, 211 },
	{ 0x0197, 0x0197, 1, 209 },
	{ 0x0198, 0x0198, 1, 1 },
	{ 0x019c, 0x019c, 1, 211 },
	{ 0x019d, 0x019d, 1, 213 },
	{ 0x019f, 0x019f, 1, 214 },
	{ 0x01a0, 0x01a4, 2, 1 },
	{ 0x01a6, 0x01a6, 1, 218 },
	{ 0x01a7, 0x01a7, 1, 1 },
	{ 0x01a9, 0x01a9, 1, 218 },
	{ 0x01ac, 0x01ac, 1, 1 },
	{ 0x01ae, 0x01ae, 1, 218 },
	{ 0x01af, 0x01af, 1, 1 },
	{ 0x01b1, 0x01b2, 1, 217 },
	{ 0x01b3, 0x01b5, 2, 1 },
	{ 0x01b7, 0x01b7, 1, 219 },
	{ 0x01b8, 0x01b8, 1, 1 },
	{ 0x01bc, 0x01bc, 1, 1 },
	{ 0x01c4, 0x01c4, 1, 2 },
	{ 0x01c5, 0x01c5, 1, 1 },
	{ 0x01c7, 0x01c7, 1, 2 },
	{ 0x01c8, 0x01c8, 1, 1 },
	{ 0x01ca, 0x01ca, 1, 2 },
	{ 0x01cb, 0x01db, 2, 1 },
	{ 0x01de, 0x01ee, 2, 1 },
	{ 0x01f1, 0x01f1, 1, 2 },
	{ 0x01f2, 0x01f4, 2, 1 },
	{ 0x01f6, 0x01f6, 1, -97 },
	{ 0x01f7, 0x01f7, 1, -56 },
	{ 0x01f8, 0x021e, 2, 1 },
	{ 0x0220, 0x0220, 1, -130 },
	{ 0x0222, 0x0232, 2, 1 },
	{ 0x023a, 0x023a, 1, 10795 },
	{ 0x023b, 0x023b, 1, 1 },
	{ 0x023d, 0x023d, 1, -163 },
	{ 0x023e, 0x023e, 1, 10792 },
	{ 0x0241, 0x0241, 1, 1 },
	{ 0x0243, 0x0243, 1, -195 },
	{ 0x0244, 0x0244, 1, 69 },
	{ 0x0245, 0x0245, 1, 71 },
	{ 0x0246, 0x024e, 2, 1 },
	{ 0x0370, 0x0372, 2, 1 },
	{ 0x0376, 0x0376, 1, 1 },
	{ 0x037f, 0x037f, 1, 116 },
	{ 0x0386, 0x0386, 1, 38 },
	{ 0x0388, 0x038a, 1, 37 },
	{ 0x038c, 0x038c, 1, 64 },
	{ 0x038e, 0x038f, 1, 63 },
	{ 0x0391, 0x03a1, 1, 32 },
	{ 0x03a3, 0x03ab, 1, 32 },
	{ 0x03cf, 0x03cf, 1, 8 },
	{ 0x03d8, 0x03ee, 2, 1 },
	{ 0x03f4, 0x03f4, 1, -60 },
	{ 0x03f7, 0x03f7, 1, 1 },
	{ 0x03f9, 0x03f9, 1, -7 },
	{ 0x03fa, 0x03fa, 1, 1 },
	{ 0x03fd, 0x03ff, 1, -130 },
	{ 0x0400, 0x040f, 1, 80 },
	{ 0x0410, 0x042f, 1, 32 },
	{ 0x0460, 0x0480, 2, 1 },
	{ 0x048a, 0x04be, 2, 1 },
	{ 0x04c0, 0x04c0, 1, 15 },
	{ 0x04c1, 0x04cd, 2, 1 },
	{ 0x04d0, 0x04fe, 2, 1 },
};

#define NRUNS	(sizeof(runs) / sizeof(runs[0]))

uint32_t
fold_code_point(uint32_t cp)
{
	size_t	lo = 0, hi = NRUNS, mid;

	if (cp < 0x80)
		return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
	if (cp >= 0x500)
		return cp;
	/* The last run that starts at or below cp. */
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (runs[mid].lo <= cp)
			lo = mid;
		else
			hi = mid;
	}
	if (cp < runs[lo].lo || cp > runs[lo].hi ||
	    (cp - runs[lo].lo) % runs[lo].step != 0)
		return cp;
	return (uint32_t)((int32_t)cp + runs[lo].delta);
}

/* RFC 3629 by its table of well-formed sequences (Unicode's Table 3-7):
 * the lead byte fixes the length and the range of the second byte, which
 * rules out overlong forms, surrogates and anything past U+10FFFF. */
size_t
fold_decode(const unsigned char *p, size_t left, uint32_t *cp)
{
	unsigned char	lo = 0x80, hi = 0xbf, b = p[0];
	uint32_t	v;
	size_t		n, k;

	if (b < 0x80) {
		*cp = b;
		return 1;
	}
	if (b >= 0xc2 && b <= 0xdf)
		n = 2;
	else if (b >= 0xe0 && b <= 0xef) {
		n = 3;
		lo = b == 0xe0 ? 0xa0 : 0x80;
		hi = b == 0xed ? 0x9f : 0xbf;
	} else if (b >= 0xf0 && b <= 0xf4) {
		n = 4;
		lo = b == 0xf0 ? 0x90 : 0x80;
		hi = b == 0xf4 ? 0x8f : 0xbf;
	} else
		return 0;
	if (left < n || p[1] < lo || p[1] > hi)
		return 0;
	v = b & (0x7f >> n);
	for (k = 1; k < n; k++) {
		if (k > 1 && (p[k] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (p[k] & 0x3f);
	}
	*cp = v;
	return n;
}

/* Writes cp (at most U+FFFF here: only folded code points below U+0500
 * and their images, all in the BMP) as UTF-8; returns the length. */
static size_t
encode_bmp(uint32_t cp, unsigned char *out)
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xc0 | cp >> 6);
		out[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	out[0] = (unsigned char)(0xe0 | cp >> 12);
	out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	out[2] = (unsigned char)(0x80 | (cp & 0x3f));
	return 3;
}

size_t
fold_utf8(const char *in, size_t len, char *out)
{
	const unsigned char	*p = (const unsigned char *)in;
	unsigned char		*o = (unsigned char *)out;
	size_t			 i = 0, n, w = 0;
	uint32_t		 cp, f;

	while (i < len) {
		if (p[i] < 0x80) {
			o[w++] = p[i] >= 'A' && p[i] <= 'Z' ?
			    (unsigned char)(p[i] + 32) : p[i];
			i++;
			continue;
		}
		n = fold_decode(p + i, len - i, &cp);
		if (n == 0) {
			o[w++] = p[i++];	/* not UTF-8: kept as it is */
			continue;
		}
		if (cp < 0x500 && (f = fold_code_point(cp)) != cp)
			w += encode_bmp(f, o + w);
		else {
			for (size_t k = 0; k < n; k++)
				o[w++] = p[i + k];
		}
		i += n;
	}
	return w;
}
