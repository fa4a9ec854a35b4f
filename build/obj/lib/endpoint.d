build/obj/lib/endpoint.o: lib/endpoint.c include/sockit/endpoint.h \
 include/sockit/error.h
include/sockit/endpoint.h:
include/sockit/error.h:
