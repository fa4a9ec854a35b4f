build/obj/lib/buf.o: lib/buf.c include/sockit/buf.h
include/sockit/buf.h:
