build/obj/lib/net.o: lib/net.c include/sockit/error.h \
 include/sockit/loop.h include/sockit/net.h include/sockit/endpoint.h
include/sockit/error.h:
include/sockit/loop.h:
include/sockit/net.h:
include/sockit/endpoint.h:
