# libFuzzer targets, built only with ./configure CC=clang --enable-fuzzing.
if ENABLE_FUZZING
endif
