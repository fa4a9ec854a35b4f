build/obj/lib/loop.o: lib/loop.c include/sockit/loop.h
include/sockit/loop.h:
