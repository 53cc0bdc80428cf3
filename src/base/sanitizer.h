/*
 * sanitizer.h: SANITIZER_BUILD is defined in an ASan build, where the
 * lockdown steps stay off (the sanitizers' own system calls and reads of
 * /proc would be refused).
 */
#ifndef AR_SANITIZER_H
#define AR_SANITIZER_H

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZER_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZER_BUILD 1
#endif
#endif

#endif
