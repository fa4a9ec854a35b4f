build/obj/lib/error.o: lib/error.c include/sockit/error.h
include/sockit/error.h:
